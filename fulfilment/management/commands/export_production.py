import codecs
import io
import os
from functools import partial
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from fulfilment.exports import FILE_EXTENSIONS, FILE_FORMATS, packing_list_write, production_list_write
from fulfilment.models import ProductionTally

LISTS = ("production", "packing")


class _TextSink(io.RawIOBase):
    """Bytes written here reach a text stream (the command's stdout), decoded as they come."""

    def __init__(self, text_stream):
        self.text_stream = text_stream
        self.decoder = codecs.getincrementaldecoder("utf-8")()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.text_stream.write(self.decoder.decode(bytes(data)))
        return len(data)


def campaign_find(reference: str) -> Campaign:
    """A campaign by slug, or by id when the reference is a number."""
    query = Q(slug=reference)
    if reference.isdigit():
        query |= Q(pk=int(reference))
    campaigns = sorted(Campaign.objects.filter(query), key=lambda campaign: campaign.slug != reference)
    if not campaigns:
        raise CommandError(_("There is no campaign with the id or slug %(reference)r.") % {"reference": reference})
    return campaigns[0]


class Command(BaseCommand):
    help = (
        "Write a PO's production list (from its tally) or packing list (its produced orders) as XLSX (to print), "
        "CSV, or CSV for an Excel set to Indonesian (csv-excel: separated by semicolons)."
    )

    def add_arguments(self, parser):
        parser.add_argument("campaign", help="The campaign's id or slug.")
        parser.add_argument("--list", dest="list_kind", choices=LISTS, required=True, help="Which list to write.")
        parser.add_argument(
            "--format",
            dest="file_format",
            choices=FILE_FORMATS,
            default="xlsx",
            help="xlsx (default, to print), csv (comma-separated) or csv-excel (semicolon-separated, for an Excel "
            "whose list separator is a semicolon, as with Indonesian regional settings).",
        )
        parser.add_argument(
            "--output",
            help='The file to write; by default "<slug>-<list>.xlsx" (or .csv, .excel.csv) in the current folder. "-" writes a CSV to standard output.',
        )

    def handle(self, *args, campaign, list_kind, file_format, output, **options):
        campaign = campaign_find(campaign)
        if list_kind == "production":
            tally = ProductionTally.objects.select_related("campaign").filter(campaign=campaign).first()
            if tally is None:
                raise CommandError(
                    _("%(campaign)s: no production tally yet: the PO has not gone into production.")
                    % {"campaign": campaign.slug}
                )
            write = partial(production_list_write, tally=tally, file_format=file_format)
        else:
            write = partial(packing_list_write, campaign=campaign, file_format=file_format)

        if output == "-":
            if file_format == "xlsx":
                raise CommandError(_("Only a CSV goes to standard output; give --output with a file name for an XLSX."))
            self._write_stdout(write)
            return
        path = Path(output or f"{campaign.slug}-{list_kind}.{FILE_EXTENSIONS[file_format]}")
        if not path.parent.is_dir():
            raise CommandError(_("The folder %(folder)s does not exist.") % {"folder": path.parent})
        # Written next to its place and moved there at the end: never a half-written list under the real name.
        part_path = path.with_name(f".{path.name}.part")
        try:
            with part_path.open("wb") as out:
                write(out=out)
            os.replace(part_path, path)
        finally:
            part_path.unlink(missing_ok=True)
        self.stdout.write(self.style.SUCCESS(_("Wrote %(path)s") % {"path": path}))

    def _write_stdout(self, write) -> None:
        binary = getattr(self.stdout, "buffer", None)
        if binary is not None:
            self.stdout.flush()
            try:
                write(out=binary)
                binary.flush()
            except BrokenPipeError:
                # The reader (head, less) stopped early: nothing is wrong, and the rest goes nowhere.
                os.dup2(os.open(os.devnull, os.O_WRONLY), binary.fileno())
            return
        # A text-only stdout (call_command with a StringIO): decode on the way.
        sink = io.BufferedWriter(_TextSink(self.stdout._out))
        write(out=sink)
        sink.flush()

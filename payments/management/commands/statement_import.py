from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from orders.models import BankAccount
from payments.models import BankStatementMapping
from payments.statements.importing import statement_import
from payments.statements.reading import PRESETS, ColumnMapping, StatementRefused, statement_read

SAVED = "saved"


def bank_account_by_number(number: str) -> BankAccount:
    """The shop's bank account with this number as entered in the admin (spaces, dashes and leading zeros aside)."""
    wanted = "".join(character for character in number if character.isdigit()).lstrip("0")
    for account in BankAccount.objects.all():
        if "".join(character for character in account.account_number if character.isdigit()).lstrip("0") == wanted:
            return account
    raise CommandError(f"No bank account {number} in the shop; add it under Orders > Bank accounts first.")


class Command(BaseCommand):
    help = (
        "Import a bank statement (CSV, XLSX or MT940) for one of the shop's bank accounts: new credits are kept "
        "once and matched to the orders they pay. Prints what it did; exits 1 on a refused file."
    )

    def add_arguments(self, parser):
        parser.add_argument("account_number", help="the shop's bank account number, as entered in the admin")
        parser.add_argument("file", help="the statement as downloaded from internet banking")
        parser.add_argument(
            "--layout",
            default="",
            choices=[*PRESETS, SAVED],
            help="the bank's layout, or 'saved' for the column mapping saved for this account "
            "(default: the saved mapping if there is one, else the layout named after the account's bank)",
        )

    def handle(self, *args, account_number, file, layout, **options):
        account = bank_account_by_number(account_number)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file {file}.")
        if path.stat().st_size > settings.STATEMENT_MAX_BYTES:
            raise CommandError(
                f"Refused: the file is larger than {settings.STATEMENT_MAX_BYTES // 2**20} MB; nothing was imported."
            )
        saved = BankStatementMapping.objects.filter(bank_account=account).first()
        layout = layout or (SAVED if saved else account.bank_name.strip().lower())
        mapping = None
        if layout == SAVED:
            if saved is None:
                raise CommandError("This account has no saved column mapping; import a file once in the admin.")
            mapping, layout = ColumnMapping(**saved.columns), "mapping"
        elif layout not in PRESETS:
            raise CommandError(f"Give --layout: one of {', '.join([*PRESETS, SAVED])}.")
        now = timezone.now()
        try:
            rows = statement_read(
                data=path.read_bytes(),
                file_name=path.name,
                layout=layout,
                mapping=mapping,
                today=timezone.localdate(now),
            )
        except StatementRefused as error:
            raise CommandError(f"Refused: {error} Nothing was imported.") from None
        record = statement_import(
            bank_account=account, rows=rows, file_name=path.name, layout=layout, actor=None, now=now
        )
        for label, value in (
            ("lines read", record.lines_read),
            ("new credits", record.credits),
            ("imported before", record.already_imported),
            ("debits (ignored)", record.debits),
            ("matched and confirmed", record.confirmed),
            ("matched, waiting for a click", record.waiting),
            ("suggestions", record.suggestions),
            ("unmatched", record.unmatched),
            ("proofs flagged", record.proofs_flagged),
        ):
            self.stdout.write(f"{label}: {value}")

"""The Order admin's "Import": a shipping file (order number, courier, resi) is checked, previewed row by
row with the buyer's name beside each order, and shipped at once when the seller confirms.

import-export's own screens speak English and show tracebacks; these keep its steps and say everything
in the shop's words: a file that cannot be read gets a plain reason, a second confirmation of the same
file is told it was imported already.
"""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from import_export.admin import ImportMixin
from import_export.forms import ImportForm

from orders.models import Order

from ..exceptions import ShippingError
from .files import (
    COLUMNS,
    PendingShipmentFile,
    ShipmentCSV,
    ShipmentFileGone,
    ShipmentFileRefused,
    ShipmentXLSX,
    cell_text,
    shipment_file_problem,
)
from .resource import ALREADY_SHIPPED, ShipmentResource

logger = logging.getLogger(__name__)


class ShipmentImportForm(ImportForm):
    """import-export's upload form, in the shop's words, refusing a file too big before it is stored."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.fields["import_file"].label = _("Shipping file (CSV or XLSX)")
        self.fields["format"].label = _("File format")

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        limit = settings.SHIPPING_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise ValidationError(
                gettext("The file is %(size)s; a shipping file may be at most %(limit)s.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            )
        return upload


def _plain_messages(error: ValidationError) -> list[str]:
    return [
        message for messages_ in getattr(error, "message_dict", {"": error.messages}).values() for message in messages_
    ]


def _codes(error: ValidationError) -> set[str]:
    return {item.code for items in getattr(error, "error_dict", {}).values() for item in items}


def shipment_import_rows(result) -> dict:
    """The preview's rows (order, buyer, courier, resi) and each refused row with its reasons, for the page."""
    if result is None:
        return {}
    rows = [
        {
            "line": line,
            "number": row.instance.number,
            "buyer": row.instance.buyer_name,
            "courier": row.instance.courier_name,
            "resi": row.instance.tracking_number,
        }
        for line, row in enumerate(result.rows, start=1)
        if row.is_valid() and row.instance is not None
    ]
    problems = [
        {
            "line": invalid.number,
            "messages": _plain_messages(invalid.error),
            **{column: cell_text(value) for column, value in zip(COLUMNS, invalid.values, strict=False)},
        }
        for invalid in result.invalid_rows
    ]
    for line, errors in result.row_errors():
        logger.error("Row %d of a shipping file failed: %s", line, errors[0].traceback)
        problems.append({"line": line, "messages": [gettext("This row could not be checked.")]})
    failures = []
    for error in result.base_errors:
        if isinstance(error.error, ValidationError):
            failures.extend(_plain_messages(error.error))
        elif isinstance(error.error, ShippingError):
            failures.append(str(error.error))
        else:
            logger.error("A shipping file failed: %s", error.traceback)
            failures.append(gettext("The file could not be checked; nothing was imported."))
    return {
        "shipment_rows": rows,
        "shipment_problems": sorted(problems, key=lambda problem: problem["line"]),
        "shipment_failures": failures,
    }


class ShipmentImportAdminMixin(ImportMixin):
    """import-export's ImportMixin for the Order admin, with the checks and screens above."""

    resource_classes = [ShipmentResource]
    import_formats = [ShipmentCSV, ShipmentXLSX]
    import_form_class = ShipmentImportForm
    import_template_name = "admin/fulfilment/shipping_import.html"
    tmp_storage_class = PendingShipmentFile

    def is_skip_import_confirm_enabled(self):
        return False  # the preview is the seller's check before every buyer is told

    def choose_import_resource_class(self, form, request):
        return ShipmentResource

    def get_import_data_kwargs(self, **kwargs):
        # Any row that breaks a rule undoes the whole file: never half-shipped.
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def get_import_context_data(self, **kwargs):
        return {
            **super().get_import_context_data(**kwargs),
            "max_rows": settings.SHIPPING_IMPORT_MAX_ROWS,
            "max_size": settings.SHIPPING_IMPORT_MAX_BYTES,
        }

    def add_data_read_fail_error_to_form(self, form, e):
        form.add_error("import_file", shipment_file_problem(e))

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        if not isinstance(response, TemplateResponse):
            return response
        response.context_data["title"] = gettext("Import a shipping file")
        response.context_data.update(shipment_import_rows(response.context_data.get("result")))
        # import-export stores every upload before reading it; one that cannot be confirmed is not kept.
        stored = getattr(request.FILES.get("import_file"), "tmp_storage_name", None)
        if stored and not response.context_data.get("confirm_form"):
            PendingShipmentFile(name=stored).remove()
        return response

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        """The seller confirmed the preview: claim the waiting file, ship every row or none, and say what
        happened; a file already imported (a second click, a second tab) or gone is told, never a 500."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        confirm_form = self.create_confirm_form(request)
        if not confirm_form.is_valid():
            return self._file_gone(request)
        formats = self.get_import_formats()
        try:
            input_format = formats[int(confirm_form.cleaned_data["format"])]()
        except (ValueError, IndexError):
            return self._file_gone(request)
        pending = PendingShipmentFile(name=confirm_form.cleaned_data["import_file_name"])
        try:
            data = pending.read()
        except ShipmentFileGone:
            return self._file_gone(request)
        # Claimed before it is imported: a second confirmation finds it gone. Two at the very same moment
        # both read it, and the orders' row locks let only the first ship them.
        pending.remove()
        try:
            dataset = input_format.create_dataset(data)
            result = self.process_dataset(dataset, confirm_form, request, **kwargs)
        except ShipmentFileRefused as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(self._url("import"))
        except Exception:
            pending.restore(data)  # nothing shipped: the file waits for another try
            raise
        if not result.has_errors() and not result.has_validation_errors():
            return self.process_result(result, request)
        if not result.has_errors() and all(ALREADY_SHIPPED in _codes(row.error) for row in result.invalid_rows):
            self.message_user(
                request,
                gettext("This file was already imported: its orders have shipped. Nothing was changed."),
                messages.WARNING,
            )
            return HttpResponseRedirect(self._url("changelist"))
        self.message_user(
            request,
            gettext("Nothing shipped: some rows can no longer ship. Correct them and upload the file again."),
            messages.ERROR,
        )
        context = {
            **self.get_import_context_data(),
            **self.admin_site.each_context(request),
            "title": gettext("Import a shipping file"),
            "form": self.get_import_form_class(request)(formats, self.get_import_resource_classes(request)),
            "opts": self.model._meta,
            "result": result,
            "import_error_display": self.import_error_display,
            "fields_list": [(ShipmentResource.get_display_name(), list(COLUMNS))],
            **shipment_import_rows(result),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.import_template_name], context)

    def _url(self, view: str) -> str:
        app_label, model_name = self.get_model_info()
        return reverse(f"admin:{app_label}_{model_name}_{view}", current_app=self.admin_site.name)

    def _file_gone(self, request):
        self.message_user(
            request,
            gettext(
                "This file is no longer waiting: it was imported already, or it is gone. "
                "Upload it again to ship the orders that have not shipped."
            ),
            messages.WARNING,
        )
        return HttpResponseRedirect(self._url("changelist"))

    def add_success_message(self, result, request):
        shipped = len(result.valid_rows())
        self.message_user(
            request,
            ngettext(
                "%(count)d order shipped; each buyer is told.", "%(count)d orders shipped; each buyer is told.", shipped
            )
            % {"count": shipped},
            messages.SUCCESS,
        )

    def generate_log_entries(self, result, request):
        """Each shipped order's history says what changed, in the reader's language (Django's own wording)."""
        shipped = [row.instance for row in result.valid_rows() if row.instance is not None]
        if not shipped or self.get_skip_admin_log():
            return
        with translation.override(None):
            fields = [str(Order._meta.get_field(name).verbose_name) for name in ("courier", "tracking_number")]
        LogEntry.objects.log_actions(
            request.user.pk,
            shipped,
            CHANGE,
            change_message=[{"changed": {"fields": fields}}],
            single_object=len(shipped) == 1,
        )

"""Payments > Bank statements: import a statement (upload, map the columns if the bank has no preset,
preview line by line, import), the list of imports, and the statement lines the seller still decides on."""

import dataclasses
import secrets
from pathlib import PurePath

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from catalog.money import format_rupiah
from orders.models import BankAccount, Order

from .exceptions import PaymentError
from .models import BankStatementImport, BankStatementLine, BankStatementMapping, private_proof_storage
from .statements.importing import statement_import, statement_line_confirm, statement_preview
from .statements.reading import PRESETS, ColumnMapping, StatementRefused, statement_headers, statement_read

MAPPING = "mapping"
SAVED = "saved"
# The uploaded file waits here (private, never served) between the preview and the import.
PENDING_FOLDER = "statements/pending"
SIGNING_SALT = "payments.statement-import"
MAPPING_FIELDS = ("date", "description", "amount", "credit", "debit", "mark")


class StatementUploadForm(forms.Form):
    bank_account = forms.ModelChoiceField(
        label=_("Bank account"), queryset=BankAccount.objects.filter(is_active=True), empty_label=None
    )
    layout = forms.ChoiceField(label=_("The file is"))
    file = forms.FileField(label=_("Statement file (CSV, XLSX or MT940)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["layout"].choices = [
            *[(key, label) for key, label in PRESETS.items()],
            (SAVED, _("This account's saved column mapping")),
            (MAPPING, _("Another layout: I will say which column is which")),
        ]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.STATEMENT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(megabytes)d MB; download a shorter period.")
                % {"megabytes": settings.STATEMENT_MAX_BYTES // 2**20}
            )
        return upload


class ColumnMappingForm(forms.Form):
    def __init__(self, *args, headers: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "-"), *[(header, header) for header in headers if header]]
        labels = {
            "date": _("Date"),
            "description": _("Description"),
            "amount": _("Amount (one column, signed or with a CR/DB column)"),
            "credit": _("Credit (money in)"),
            "debit": _("Debit (money out)"),
            "mark": _("Credit/debit mark (CR/DB, K/D)"),
        }
        for name in MAPPING_FIELDS:
            self.fields[name] = forms.ChoiceField(
                label=labels[name], choices=choices, required=name in ("date", "description")
            )
        self.fields["day_first"] = forms.BooleanField(
            label=_("Dates are day first (04/12 is 4 December)"), required=False, initial=True
        )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("amount") and not cleaned.get("credit"):
            raise forms.ValidationError(_("Choose the amount column, or the credit column."))
        return cleaned

    def mapping(self) -> ColumnMapping:
        return ColumnMapping(
            **{name: self.cleaned_data.get(name) or "" for name in MAPPING_FIELDS},
            day_first=self.cleaned_data["day_first"],
        )


@admin.register(BankStatementImport)
class BankStatementImportAdmin(admin.ModelAdmin):
    list_display = [
        "imported_at",
        "bank_account",
        "file_name",
        "lines_read",
        "credits",
        "confirmed",
        "waiting",
        "suggestions",
        "unmatched",
        "proofs_flagged",
    ]
    list_filter = ["bank_account"]
    readonly_fields = [field.name for field in BankStatementImport._meta.fields]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        # "Add" is importing a file.
        return HttpResponseRedirect(reverse("admin:payments_bankstatementimport_import"))

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="payments_bankstatementimport_import"),
        ] + super().get_urls()

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        step = request.POST.get("step", "") if request.method == "POST" else ""
        try:
            if step == "upload":
                return self._uploaded(request)
            if step in ("map", "confirm"):
                return self._pending(request, step)
        except StatementRefused as error:
            self.message_user(request, gettext("Nothing was imported: %(reason)s") % {"reason": error}, messages.ERROR)
        return self._render(request, "upload", upload_form=StatementUploadForm())

    def _render(self, request, step: str, **context):
        return TemplateResponse(
            request,
            "admin/payments/statement_import.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": gettext("Import a bank statement"),
                "step": step,
                **context,
            },
        )

    def _uploaded(self, request):
        form = StatementUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(request, "upload", upload_form=form)
        account, layout, upload = (
            form.cleaned_data["bank_account"],
            form.cleaned_data["layout"],
            form.cleaned_data["file"],
        )
        data = upload.read()
        mapping = None
        if layout == SAVED:
            saved = BankStatementMapping.objects.filter(bank_account=account).first()
            if saved is None:
                form.add_error("layout", gettext("This account has no saved mapping yet: choose “Another layout”."))
                return self._render(request, "upload", upload_form=form)
            layout, mapping = MAPPING, ColumnMapping(**saved.columns)
        if layout == MAPPING and mapping is None:
            headers, sample = statement_headers(data=data, file_name=upload.name)
            token = self._keep(data=data, file_name=upload.name, account=account, layout=layout)
            return self._render(
                request, "map", token=token, headers=headers, sample=sample, map_form=ColumnMappingForm(headers=headers)
            )
        token = self._keep(data=data, file_name=upload.name, account=account, layout=layout, mapping=mapping)
        return self._preview(request, token)

    def _keep(self, *, data: bytes, file_name: str, account, layout: str, mapping: ColumnMapping | None = None) -> str:
        name = private_proof_storage().save(f"{PENDING_FOLDER}/{secrets.token_hex(16)}.upload", ContentFile(data))
        return signing.dumps(
            {
                "name": name,
                "file_name": PurePath(file_name).name[:200],
                "account": account.pk,
                "layout": layout,
                "mapping": dataclasses.asdict(mapping) if mapping else None,
            },
            salt=SIGNING_SALT,
        )

    def _unsign(self, token: str) -> dict | None:
        try:
            return signing.loads(token, salt=SIGNING_SALT, max_age=60 * 60)
        except signing.BadSignature:
            return None

    def _pending(self, request, step: str):
        kept = self._unsign(request.POST.get("token", ""))
        storage = private_proof_storage()
        if kept is None or not storage.exists(kept["name"]):
            self.message_user(
                request,
                gettext(
                    "This file is no longer waiting (it was imported already, or an hour passed): upload it again."
                ),
                messages.WARNING,
            )
            return HttpResponseRedirect(reverse("admin:payments_bankstatementimport_changelist"))
        if step == "map":
            with storage.open(kept["name"]) as stored:
                headers, sample = statement_headers(data=stored.read(), file_name=kept["file_name"])
            form = ColumnMappingForm(request.POST, headers=headers)
            if not form.is_valid():
                return self._render(
                    request, "map", token=request.POST["token"], headers=headers, sample=sample, map_form=form
                )
            kept["mapping"] = dataclasses.asdict(form.mapping())
            return self._preview(request, signing.dumps(kept, salt=SIGNING_SALT))
        return self._import(request, kept)

    def _rows(self, kept: dict):
        with private_proof_storage().open(kept["name"]) as stored:
            data = stored.read()
        return statement_read(
            data=data,
            file_name=kept["file_name"],
            layout=kept["layout"],
            mapping=ColumnMapping(**kept["mapping"]) if kept["mapping"] else None,
            today=timezone.localdate(),
        )

    def _preview(self, request, token: str):
        kept = self._unsign(token)
        account = BankAccount.objects.get(pk=kept["account"])
        planned = statement_preview(bank_account=account, rows=self._rows(kept))
        return self._render(
            request, "preview", token=token, account=account, planned=planned, file_name=kept["file_name"]
        )

    def _import(self, request, kept: dict):
        storage = private_proof_storage()
        account = BankAccount.objects.get(pk=kept["account"])
        with storage.open(kept["name"]) as stored:
            data = stored.read()
        rows = self._rows(kept)
        # Claimed by deleting it: a second click (or a second tab) finds it gone and imports nothing twice.
        storage.delete(kept["name"])
        try:
            record = statement_import(
                bank_account=account,
                rows=rows,
                file_name=kept["file_name"],
                layout=kept["layout"],
                actor=request.user,
                now=timezone.now(),
            )
        except Exception:
            storage.save(kept["name"], ContentFile(data))  # nothing was imported: the file waits again
            raise
        if kept["mapping"]:
            BankStatementMapping.objects.update_or_create(
                bank_account=account, defaults={"columns": kept["mapping"], "saved_at": timezone.now()}
            )
        # Each count in its own plural (the literal texts are what the translation catalog picks up).
        parts = {
            "read": (ngettext("%(count)d line read", "%(count)d lines read", record.lines_read), record.lines_read),
            "credits": (ngettext("%(count)d new credit", "%(count)d new credits", record.credits), record.credits),
            "confirmed": (
                ngettext("%(count)d matched and confirmed", "%(count)d matched and confirmed", record.confirmed),
                record.confirmed,
            ),
            "waiting": (
                ngettext(
                    "%(count)d matched and waiting for you", "%(count)d matched and waiting for you", record.waiting
                ),
                record.waiting,
            ),
            "suggestions": (
                ngettext("%(count)d suggestion", "%(count)d suggestions", record.suggestions),
                record.suggestions,
            ),
            "unmatched": (ngettext("%(count)d unmatched", "%(count)d unmatched", record.unmatched), record.unmatched),
            "flagged": (
                ngettext("%(count)d proof flagged", "%(count)d proofs flagged", record.proofs_flagged),
                record.proofs_flagged,
            ),
        }
        counted = {name: text % {"count": count} for name, (text, count) in parts.items()}
        self.message_user(
            request,
            gettext(
                "%(file)s: %(read)s, %(credits)s; %(confirmed)s, %(waiting)s, %(suggestions)s, %(unmatched)s; "
                "%(flagged)s."
            )
            % {"file": record.file_name, **counted},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(
            reverse("admin:payments_bankstatementline_changelist") + f"?statement_import__id__exact={record.pk}"
        )


class LineActionForm(ActionForm):
    order_number = forms.CharField(label=_("Order number"), required=False, max_length=20)


@admin.register(BankStatementLine)
class BankStatementLineAdmin(admin.ModelAdmin):
    # The bank account is a filter; the note shows on the line itself.
    list_display = ["booked_on", "amount", "status", "order_link", "suggested", "description"]
    list_display_links = None
    list_filter = ["status", "bank_account", "statement_import"]
    search_fields = ["description", "order__number"]
    list_select_related = ["order", "bank_account"]
    action_form = LineActionForm
    actions = ["confirm_match", "confirm_with_order"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_ordering(self, request):
        # What waits for the seller first: a match to confirm, then suggestions, then the unmatched.
        waiting_first = Case(
            When(status=BankStatementLine.Status.EXACT, then=Value(0)),
            When(status=BankStatementLine.Status.SUGGESTED, then=Value(1)),
            When(status=BankStatementLine.Status.UNMATCHED, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        )
        return [waiting_first.asc(), "-booked_on", "-pk"]

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        ids = {pk for line in changelist.result_list for pk in line.suggested_order_ids}
        self._numbers = dict(Order.objects.filter(pk__in=ids).values_list("pk", "number"))
        return changelist

    @admin.display(description=_("amount"), ordering="amount_idr")
    def amount(self, obj):
        return format_rupiah(obj.amount_idr)

    @admin.display(description=_("order"))
    def order_link(self, obj):
        if obj.order_id is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[obj.order_id]), obj.order.number
        )

    @admin.display(description=_("suggested orders"))
    def suggested(self, obj):
        numbers = getattr(self, "_numbers", {})
        return (
            format_html_join(
                ", ",
                '<a href="{}">{}</a>',
                (
                    (reverse("admin:orders_order_change", args=[pk]), numbers.get(pk, pk))
                    for pk in obj.suggested_order_ids
                ),
            )
            or "-"
        )

    def _confirm(self, request, line, order):
        try:
            statement_line_confirm(line=line, order=order, actor=request.user, now=timezone.now())
        except PaymentError as error:
            self.message_user(request, f"{format_rupiah(line.amount_idr)}: {error}", messages.ERROR)
            return False
        return True

    @admin.action(permissions=["change"], description=_("Confirm the match (one order, or the only suggestion)"))
    def confirm_match(self, request, queryset):
        confirmed = 0
        for line in queryset:
            order_id = line.order_id or (line.suggested_order_ids[0] if len(line.suggested_order_ids) == 1 else None)
            if order_id is None:
                self.message_user(
                    request,
                    gettext(
                        "%(amount)s on %(day)s: pick the order: type its number above and use “Confirm with the order typed”."
                    )
                    % {"amount": format_rupiah(line.amount_idr), "day": line.booked_on.strftime("%d-%m-%Y")},
                    messages.ERROR,
                )
                continue
            confirmed += self._confirm(request, line, Order.objects.get(pk=order_id))
        if confirmed:
            self.message_user(
                request,
                ngettext("%(count)d payment confirmed.", "%(count)d payments confirmed.", confirmed)
                % {"count": confirmed},
                messages.SUCCESS,
            )

    @admin.action(permissions=["change"], description=_("Confirm with the order typed above"))
    def confirm_with_order(self, request, queryset):
        number = request.POST.get("order_number", "").strip().upper()
        order = Order.objects.filter(number=number).first() if number else None
        if order is None:
            self.message_user(request, gettext("Type the number of an order, e.g. PO-2612-00042."), messages.ERROR)
            return
        if queryset.count() != 1:
            self.message_user(request, gettext("Select one statement line for the order typed."), messages.ERROR)
            return
        if self._confirm(request, queryset.get(), order):
            self.message_user(
                request, gettext("%(number)s: payment confirmed.") % {"number": order.number}, messages.SUCCESS
            )

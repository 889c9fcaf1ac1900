import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Refund


class RupiahField(forms.IntegerField):
    """Whole rupiah as people write them: 225803, 225.803, Rp225.803, Rp 225.803, 225.803,00."""

    default_error_messages = {"invalid": _("Write the amount in rupiah, for example 225.803.")}

    def to_python(self, value):
        if isinstance(value, str):
            text = value.strip().replace("\u00a0", " ")
            if text[:2].lower() == "rp":
                text = text[2:]
            text = text.replace(" ", "")
            if re.fullmatch(r"\d{1,3}(\.\d{3})+(,0{1,2})?", text) or re.fullmatch(r"\d+(,0{1,2})?", text):
                text = text.split(",", 1)[0].replace(".", "")
            elif text:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            value = text
        return super().to_python(value)


class PaymentSubmitForm(forms.Form):
    amount_idr = RupiahField(
        label=_("Amount transferred (Rp)"),
        min_value=1,
        max_value=1_000_000_000,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    # An HTML date input takes and sends ISO dates, whatever the language.
    paid_on = forms.DateField(
        label=_("Transfer date"),
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    from_bank = forms.CharField(label=_("From bank"), max_length=60, help_text=_("For example: BCA, BRI, DANA, GoPay."))
    from_account_name = forms.CharField(label=_("Account holder's name"), max_length=120)
    proof = forms.FileField(
        label=_("Transfer proof"),
        help_text=_("A photo or screenshot (JPG, PNG, WebP) or a PDF, up to 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["paid_on"].initial = timezone.localdate()


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason the buyer sees"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500)


class RefundSentForm(forms.Form):
    method = forms.CharField(label=_("Method"), max_length=60, help_text=_("For example: transfer to the buyer's BCA."))
    reference = forms.CharField(label=_("Transfer reference"), max_length=100)


class RefundRecordForm(forms.Form):
    amount_idr = forms.IntegerField(label=_("Amount (Rp)"), min_value=1)
    reason = forms.ChoiceField(label=_("Reason"), choices=Refund.Reason.choices, initial=Refund.Reason.SELLER_DECISION)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

from django import forms
from django.utils.translation import gettext_lazy as _

from orders.checkout import phone_normalise
from orders.exceptions import InvalidOrder


class InterestForm(forms.Form):
    """The "Ingatkan saya" form: the same fields as on the PO's page (campaigns/_campaign_body.html)."""

    phone = forms.CharField(
        label=_("WhatsApp number"),
        max_length=24,
        help_text=_("For example 0812 3456 7890; you are told here once, when the PO opens."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=_("E-mail (optional)"),
        required=False,
        max_length=254,
        help_text=_("With an e-mail, the message comes there by itself."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_phone(self):
        try:
            return phone_normalise(self.cleaned_data["phone"])
        except InvalidOrder as error:
            raise forms.ValidationError(str(error)) from error


class WaitlistForm(InterestForm):
    """ "Kabari saya kalau ada": the same fields, told when units come back."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].help_text = _("For example 0812 3456 7890; you are told here once, when units come back.")

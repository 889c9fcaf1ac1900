from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from campaigns.provinces import PROVINCE_CHOICES

from .checkout import phone_normalise
from .exceptions import InvalidOrder
from .models import Order

QUANTITY_PREFIX = "qty-"
NOTE_PREFIX = "note-"
MAX_QUANTITY_PER_LINE = 999


def _small_number(text: str, digits: int) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= digits


def quantities_from(data) -> dict[int, int]:
    """{campaign item id: quantity} from qty-<id> fields; bad or zero values are left out."""
    quantities = {}
    for name, value in data.items():
        if not name.startswith(QUANTITY_PREFIX):
            continue
        raw_id, raw_quantity = name.removeprefix(QUANTITY_PREFIX), str(value).strip()
        if not _small_number(raw_id, 18) or not _small_number(raw_quantity, 4):
            continue  # not an id or a quantity the shop could have made
        item_id, quantity = int(raw_id), int(raw_quantity)
        if 0 < quantity <= MAX_QUANTITY_PER_LINE:
            quantities[item_id] = quantity
    return quantities


class FixedChoiceField(forms.ChoiceField):
    """A ChoiceField whose choices no form changes: a form's copy of it shares them.

    Every form deep-copies its fields; copying the 38 provinces with their lazy
    labels cost more than the rest of the checkout form together.
    """

    def __deepcopy__(self, memo):
        result = forms.Field.__deepcopy__(self, memo)
        result._choices = self._choices
        return result


class CheckoutForm(forms.Form):
    payment_plan = forms.ChoiceField(label=_("How do you want to pay?"), widget=forms.RadioSelect)
    buyer_name = forms.CharField(
        label=_("Full name"), max_length=120, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    phone = forms.CharField(
        label=_("WhatsApp number"),
        max_length=24,
        help_text=_("For example 0812 3456 7890; the seller contacts you here."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=_("E-mail (optional)"),
        required=False,
        help_text=_("Your order link is sent here. Without it, the seller sends you news on WhatsApp."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    province = FixedChoiceField(
        label=_("Province"),
        choices=[("", _("Choose your province")), *PROVINCE_CHOICES],
        widget=forms.Select(attrs={"autocomplete": "address-level1", "data-province": ""}),
    )
    city = forms.CharField(
        label=_("City or regency"), max_length=80, widget=forms.TextInput(attrs={"autocomplete": "address-level2"})
    )
    district = forms.CharField(
        label=_("District (kecamatan)"), max_length=80, widget=forms.TextInput(attrs={"autocomplete": "address-level3"})
    )
    postal_code = forms.CharField(
        label=_("Postal code"),
        min_length=5,
        max_length=5,
        validators=[RegexValidator(r"^\d{5}$", _("A postal code has five digits."))],
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    street = forms.CharField(
        label=_("Street address"),
        max_length=300,
        help_text=_("Street, house number, RT/RW, landmarks."),
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
    )
    note = forms.CharField(
        label=_("Note for the seller (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    terms_accepted = forms.BooleanField(
        label=_("I have read the PO terms above and accept them."),
        error_messages={"required": _("Read and accept the PO terms to order.")},
    )
    # The postage the page showed the buyer; the order is placed only at that postage.
    postage_seen = forms.IntegerField(
        required=False, min_value=0, widget=forms.HiddenInput(attrs={"data-postage-seen": ""})
    )

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        plans = Order.PaymentPlan
        choices = []
        if campaign.payment_terms != campaign.PaymentTerms.DP_REQUIRED:
            choices.append((plans.FULL, plans.FULL.label))
        if campaign.allows_down_payment:
            choices.append((plans.DOWN_PAYMENT, plans.DOWN_PAYMENT.label))
        self.fields["payment_plan"].choices = choices
        if len(choices) == 1:
            self.fields["payment_plan"].initial = choices[0][0]

    def clean_phone(self):
        try:
            return phone_normalise(self.cleaned_data["phone"])
        except InvalidOrder as error:
            raise forms.ValidationError(str(error)) from error


class OrderLookupForm(forms.Form):
    number = forms.CharField(label=_("Order number"), max_length=20, help_text=_("For example PO-2611-00042."))
    contact = forms.CharField(label=_("WhatsApp number or e-mail used for the order"), max_length=120)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Why are you cancelling? (optional)"), required=False, max_length=300)
    # Asked once more: one tap on a phone must not end an order.
    confirm = forms.BooleanField(label=_("Yes, cancel my order"))

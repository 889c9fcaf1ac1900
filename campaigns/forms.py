"""The form for an update for buyers: the campaign's own inline and the update page after the window use it."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .exceptions import CampaignError
from .models import CampaignUpdate
from .services import campaign_ship_date_check


class CampaignUpdateForm(forms.ModelForm):
    class Meta:
        model = CampaignUpdate
        fields = ["message", "new_estimated_ship_date"]
        widgets = {
            "message": forms.Textarea(attrs={"rows": 5, "cols": 70}),
            "new_estimated_ship_date": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        }
        help_texts = {
            "new_estimated_ship_date": _(
                "Only when the ship date moves. A later date is a delay: each buyer may keep the order or cancel it "
                "with a full refund."
            )
        }

    def clean_new_estimated_ship_date(self):
        day = self.cleaned_data.get("new_estimated_ship_date")
        try:
            campaign_ship_date_check(day, now=timezone.now())
        except CampaignError as error:
            raise forms.ValidationError(str(error)) from None
        return day

from django.utils.translation import gettext as _


class CampaignError(Exception):
    """A campaign rule was broken; the message is fit to show the seller."""


class CampaignStageMoveNotAllowed(CampaignError):
    def __init__(self, *, campaign, to_stage, reason: str = ""):
        self.campaign = campaign
        self.to_stage = to_stage
        message = _("%(campaign)s cannot move from %(from)s to %(to)s.") % {
            "campaign": campaign.title,
            "from": campaign.get_stage_display(),
            "to": campaign.Stage(to_stage).label,
        }
        super().__init__(f"{message} {reason}".strip())

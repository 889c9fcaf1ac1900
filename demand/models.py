"""Cek ombak: buyers who said what they want before a PO opens ("Ingatkan saya").

One row per WhatsApp number, PO and kind. The kind leaves room for the other lists of the same
buyers (a waitlist when a PO sells out, the interest carried to the next batch) in this table, each
with its own message keys ("interest:<pk>:<occasion>").
"""

import secrets

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, CampaignItem


def new_interest_token() -> str:
    return secrets.token_urlsafe(32)


class Interest(models.Model):
    class Kind(models.TextChoices):
        OPENING = "opening", _("Remind me when it opens")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="interests", verbose_name=_("campaign"), db_index=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OPENING)
    phone = models.CharField(_("WhatsApp number"), max_length=20, help_text=_("Stored as +62..."))
    email = models.EmailField(_("e-mail"), blank=True)
    language = models.CharField(_("language"), max_length=10, default="id", help_text=_("For the messages."))
    # A pseudonym of the client's address (preorder_shop.client), for the cap on numbers per client.
    client_key = models.CharField(max_length=32, blank=True, editable=False)
    # Identifies the buyer's stop link: whoever holds it may stop the messages, without logging in.
    token = models.CharField(max_length=64, default=new_interest_token, editable=False)
    created_at = models.DateTimeField(_("asked at"))
    updated_at = models.DateTimeField(_("changed at"))
    notified_at = models.DateTimeField(_("told it opened at"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("messages stopped at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("interest (Ingatkan saya)")
        verbose_name_plural = _("interest (Ingatkan saya)")
        indexes = [
            # The cap per client; leads with the campaign, so it serves the foreign key too.
            models.Index(fields=["campaign", "client_key"], name="interest_campaign_client"),
            # What the opening job looks for each minute: those not told yet.
            models.Index(
                fields=["campaign"],
                condition=Q(notified_at__isnull=True, stopped_at__isnull=True),
                name="interest_waiting",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "kind", "phone"], name="interest_once_per_number"),
            models.UniqueConstraint(fields=["token"], name="interest_token_unique"),
            models.CheckConstraint(condition=Q(phone__startswith="+62"), name="interest_phone_indonesian"),
            models.CheckConstraint(condition=Q(email=Lower("email")), name="interest_email_lower_case"),
        ]

    def __str__(self):
        return f"{self.phone} · {self.campaign}"


class InterestLine(models.Model):
    """A variant the buyer expects to buy, and how many."""

    interest = models.ForeignKey(Interest, on_delete=models.CASCADE, related_name="lines", verbose_name=_("interest"))
    campaign_item = models.ForeignKey(
        CampaignItem, on_delete=models.CASCADE, related_name="interest_lines", verbose_name=_("variant")
    )
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        ordering = ["pk"]
        verbose_name = _("variant wanted")
        verbose_name_plural = _("variants wanted")
        constraints = [
            models.UniqueConstraint(fields=["interest", "campaign_item"], name="interest_line_once_per_variant"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="interest_line_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.quantity} x {self.campaign_item}"

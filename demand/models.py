"""Cek ombak: buyers who said what they want before a PO opens ("Ingatkan saya").

One row per WhatsApp number, PO and kind: "remind me when it opens" (asked on a coming PO, or carried
over from the last batch to the next), and the waitlist of a sold-out PO or variant ("Kabari saya kalau
ada"). Each has its own message keys ("interest:<pk>:<occasion>").
"""

import secrets

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, CampaignItem
from orders.models import OrderEvent


def new_interest_token() -> str:
    return secrets.token_urlsafe(32)


class Interest(models.Model):
    class Kind(models.TextChoices):
        OPENING = "opening", _("Remind me when it opens")
        WAITLIST = "waitlist", _("Waitlist (sold out)")

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
    # Joined the waitlist at (its place in the queue), or asked to be reminded at.
    created_at = models.DateTimeField(_("asked at"))
    updated_at = models.DateTimeField(_("changed at"))
    notified_at = models.DateTimeField(_("told it opened at"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("messages stopped at"), null=True, blank=True)
    # Carried over to this PO, the next batch, from the waitlist or unmet interest of that one.
    carried_from = models.ForeignKey(
        Campaign,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("carried over from"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("interest (Ingatkan saya)")
        verbose_name_plural = _("interest (Ingatkan saya)")
        indexes = [
            # The cap per client; leads with the campaign, so it serves the foreign key too.
            models.Index(fields=["campaign", "client_key"], name="interest_campaign_client"),
            # What the opening and release jobs look for each minute: those not told yet, in join order.
            models.Index(
                fields=["campaign", "kind", "created_at"],
                condition=Q(notified_at__isnull=True, stopped_at__isnull=True),
                name="interest_waiting_in_order",
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


class Release(models.Model):
    """Units that came back on sale in a PO (an order expired or was cancelled), handled once by the
    waitlist's job: the event is unique, so two runs at once tell its buyers once."""

    event = models.OneToOneField(OrderEvent, on_delete=models.CASCADE, related_name="+", verbose_name=_("order event"))
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+", verbose_name=_("campaign"))
    units = models.PositiveIntegerField(_("units back on sale"))
    told = models.PositiveIntegerField(_("waitlisted buyers told"), default=0)
    handled_at = models.DateTimeField(_("handled at"))

    class Meta:
        ordering = ["-handled_at", "-pk"]
        verbose_name = _("units back on sale")
        verbose_name_plural = _("units back on sale")

    def __str__(self):
        return f"{self.units} · {self.campaign}"


class NextBatch(models.Model):
    """A PO copied as the next batch of another: its demand page shows what the last batch left unmet."""

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="previous_batch_link", verbose_name=_("next batch")
    )
    previous = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="next_batch_links", verbose_name=_("previous batch")
    )
    waitlist_carried = models.PositiveIntegerField(_("waitlisted buyers carried over"), default=0)
    interest_carried = models.PositiveIntegerField(_("interested buyers carried over"), default=0)
    created_at = models.DateTimeField(_("made at"))

    class Meta:
        verbose_name = _("next batch")
        verbose_name_plural = _("next batches")

    def __str__(self):
        return f"{self.previous} -> {self.campaign}"

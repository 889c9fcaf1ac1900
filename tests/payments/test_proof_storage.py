"""A proof that cannot be stored (full disk, unusable folder) gives the buyer a clear
message, records nothing and leaves no partial file."""

import errno
from unittest import mock

import pytest
from django.core.files.storage import FileSystemStorage
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from payments.exceptions import PaymentNotAccepted
from payments.models import Payment
from tests.factories import place_order

from .conftest import png_upload, submit_transfer

pytestmark = pytest.mark.django_db


def _files(root):
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_a_full_disk_records_nothing_and_leaves_no_partial_file(campaign, settings):
    order = place_order(campaign, [(campaign.items.first(), 1)])
    original_save = FileSystemStorage._save

    def disk_fills_half_way(self, name, content):
        chunks = list(content.chunks())

        class HalfWritten:
            def chunks(self_inner):
                yield chunks[0][: len(chunks[0]) // 2]
                raise OSError(errno.ENOSPC, "No space left on device")

            def __getattr__(self_inner, attribute):
                return getattr(content, attribute)

        return original_save(self, name, HalfWritten())

    with mock.patch.object(FileSystemStorage, "_save", disk_fills_half_way), translation.override("en"):
        with pytest.raises(PaymentNotAccepted, match="could not save"):
            submit_transfer(order, order.first_transfer_idr)
    assert Payment.objects.count() == 0
    assert _files(settings.PRIVATE_MEDIA_ROOT) == []


def test_an_unusable_proof_folder_answers_a_clear_message_on_the_order_page(client, campaign, settings, tmp_path):
    order = place_order(campaign, [(campaign.items.first(), 1)])
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the proof folder should be")
    settings.PRIVATE_MEDIA_ROOT = blocked
    response = client.post(
        reverse("fulfilment:payment_submit", args=[order.token]),
        {
            "amount_idr": str(order.first_transfer_idr),
            "paid_on": timezone.localdate().isoformat(),
            "from_bank": "BCA",
            "from_account_name": "Siti Rahmawati",
            "proof": png_upload(),
        },
    )
    assert response.status_code == 200
    errors = response.context["payment_form"].non_field_errors()
    with translation.override("id"):
        expected = gettext(
            "We could not save your transfer proof, so nothing was recorded. Please try again in a few minutes."
        )
    assert list(errors) == [expected]
    assert escape(expected) in response.content.decode()
    assert Payment.objects.count() == 0

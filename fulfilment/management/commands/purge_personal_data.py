from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fulfilment.exceptions import FulfilmentError
from fulfilment.services import personal_data_purge


class Command(BaseCommand):
    help = "Anonymise the buyers of orders completed, cancelled or expired more than --days days ago."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=settings.PERSONAL_DATA_DAYS)

    def handle(self, *args, days, **options):
        try:
            orders, proofs = personal_data_purge(days=days, now=timezone.now())
        except FulfilmentError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{orders} orders anonymised, {proofs} transfer proofs deleted.")

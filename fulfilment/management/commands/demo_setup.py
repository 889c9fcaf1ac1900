from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from campaigns.demo import demo_password_file, demo_seller_ensure
from fulfilment.demo import demo_shop


class Command(BaseCommand):
    help = (
        "Load the demo shop (products, campaigns, bank accounts, orders, and POs in production, being shipped, "
        "completed and failed) and the seller login; safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", help="Password for a new seller account (default: a random one).")

    def handle(self, *args, password=None, **options):
        # The seller first: the demo's past steps (imports, shipping, refunds) are the seller's.
        login = demo_seller_ensure(password=password)
        seller = get_user_model().objects.get(username=login.username)
        campaigns = demo_shop(now=timezone.now(), seller=seller)
        self.stdout.write(f"Demo campaigns: {', '.join(campaign.slug for campaign in campaigns)}")
        password_file = demo_password_file()
        if login.password:
            password_file.parent.mkdir(parents=True, exist_ok=True)
            password_file.write_text(login.password)
            password_file.chmod(0o600)
        elif password_file.exists():
            login = login.__class__(username=login.username, password=password_file.read_text().strip())
        shown = login.password or "(unchanged; reset it with: python manage.py changepassword penjual)"
        self.stdout.write(self.style.SUCCESS(f"Seller login: {login.username} / {shown}"))

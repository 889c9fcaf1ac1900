from django.core.management.base import BaseCommand, CommandError

from orders.models import Order
from payments.ledger import ledger_disagreement, order_ledger


class Command(BaseCommand):
    help = "Check every order's status and totals against its payments and refunds; exit 1 if any disagree."

    def handle(self, *args, **options):
        checked = 0
        problems = []
        refunds_due = 0
        orders = Order.objects.order_by("pk").prefetch_related("payments", "refunds")
        for order in orders.iterator(chunk_size=500):
            checked += 1
            ledger = order_ledger(order)
            refunds_due += ledger.refund_due_idr
            problem = ledger_disagreement(order, ledger)
            if problem:
                problems.append(
                    f"{order.number} [{order.status}] total {order.total_idr}, paid {ledger.paid_idr}, "
                    f"refunded {ledger.refunded_idr}, refund due {ledger.refund_due_idr}: {problem}"
                )
        for line in problems:
            self.stdout.write(line)
        self.stdout.write(f"Checked {checked} orders; refunds still to send: Rp{refunds_due:,}".replace(",", "."))
        if problems:
            raise CommandError(f"{len(problems)} orders disagree with their payments.")
        self.stdout.write(self.style.SUCCESS("Every order agrees with its payments."))

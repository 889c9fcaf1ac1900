"""The per-buyer limit's e-mail key drops a +tag only at Gmail: the keys of other addresses are written again."""

from django.db import migrations

GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


def email_key(email):
    # As orders.checkout.buyer.email_key was when this migration was written.
    email = email.strip().lower()
    if "@" not in email:
        return email
    local, domain = email.rsplit("@", 1)
    if domain in GMAIL_DOMAINS:
        local, domain = local.split("+", 1)[0].replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def email_keys_recompute(apps, schema_editor):
    """Only keys that change are written, a thousand at a time."""
    Order = apps.get_model("orders", "Order")
    changed = []
    for order in Order.objects.exclude(email="").only("pk", "email", "email_key").iterator(chunk_size=2000):
        key = email_key(order.email)
        if key != order.email_key:
            order.email_key = key
            changed.append(order)
        if len(changed) >= 1000:
            Order.objects.bulk_update(changed, ["email_key"])
            changed = []
    Order.objects.bulk_update(changed, ["email_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0016_message_outgoing_names"),
    ]

    operations = [
        migrations.RunPython(email_keys_recompute, migrations.RunPython.noop),
    ]

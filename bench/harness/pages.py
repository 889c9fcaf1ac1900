"""The shop's pages as a buyer sees them: the checkout form they post, and what the answers say."""

import re

# Seconds a buyer waits for an answer, as a proxy's read timeout; gunicorn kills a worker silent for 30.
REQUEST_TIMEOUT = 60
ORDER_PAGE = re.compile(r"/pesanan/([A-Za-z0-9_-]{16,64})/terima-kasih/$")  # the group: the order's token
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
QTY_INPUT = re.compile(rb'<input[^>]*name="qty-(\d+)"[^>]*>')
MESSAGE = re.compile(rb'<li class="message[^"]*">(.*?)</li>', re.S)
# QuotaExceeded, in Indonesian (the shop's language without a language cookie) and in English.
SOLD_OUT = ("baru saja habis", "has just sold out", "kurangi jumlahnya", "lower the quantity")


def checkout_path(slug: str) -> str:
    return f"/po/{slug}/pesan/"


def buyer_phone(number: int) -> str:
    return f"0812{90_000_000 + number:08d}"


def checkout_form(*, number: int, item: int, quantity: int, plan: str, name: str, email: str) -> dict[str, str]:
    """What the checkout form posts (less its CSRF token), filled in as tests/factories.py's checkout_form does."""
    return {
        f"qty-{item}": str(quantity),
        "payment_plan": plan,
        "buyer_name": name,
        "phone": buyer_phone(number),
        "email": email,
        "province": "DI Yogyakarta",
        "city": "Kota Yogyakarta",
        "district": "Gondokusuman",
        "postal_code": "55223",
        "street": f"Jl. Kaliurang No. {number}, RT 03/RW 05",
        "terms_accepted": "on",
    }


def failed(status: int) -> bool:
    """Neither a page nor a redirect: a 4xx, a 5xx, or no answer (0)."""
    return not 200 <= status < 400


def messages_said(body: bytes) -> str:
    """The page's messages to its visitor, one after another."""
    return " | ".join(m.decode(errors="replace").strip() for m in MESSAGE.findall(body))


def sold_out_said(body: bytes) -> bool:
    messages = messages_said(body)
    return any(text in messages for text in SOLD_OUT)

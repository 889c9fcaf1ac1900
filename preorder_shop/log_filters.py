import logging
import re

# An order's private link gives its holder the buyer's name, address and proofs; an "Ingatkan saya" stop
# link stops a buyer's messages.
PRIVATE_LINK = re.compile(r"(/pesanan/|/ingatkan/)[A-Za-z0-9_-]{20,}")


def redact(value):
    return PRIVATE_LINK.sub(r"\1<token>", value) if isinstance(value, str) else value


class RedactOrderTokens(logging.Filter):
    """Keep private order and stop links out of logs (Django logs the path of 4xx and 5xx requests)."""

    def filter(self, record):
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) for arg in record.args)
        record.msg = redact(record.msg)
        return True

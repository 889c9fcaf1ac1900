import logging
import re

# An order's private link gives its holder the buyer's name, address and proofs.
ORDER_LINK = re.compile(r"(/pesanan/)[A-Za-z0-9_-]{20,}")


def redact(value):
    return ORDER_LINK.sub(r"\1<token>", value) if isinstance(value, str) else value


class RedactOrderTokens(logging.Filter):
    """Keep private order links out of logs (Django logs the path of 4xx and 5xx requests)."""

    def filter(self, record):
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) for arg in record.args)
        record.msg = redact(record.msg)
        return True

"""URL parts that can only be what the shop makes: an order token, a database id.

Anything else is a 404 before any query (a NUL byte or a 30-digit number never
reaches the database)."""

from django.urls import register_converter


class OrderTokenConverter:
    regex = r"[A-Za-z0-9_-]{16,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class IdConverter:
    regex = r"[0-9]{1,18}"  # below 2**63, so every database takes it

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)


register_converter(OrderTokenConverter, "token")
register_converter(IdConverter, "id")

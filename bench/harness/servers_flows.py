"""The servers drill's flows over HTTP: one step on one app server, the next on the other.

A buyer sends a transfer proof on A, the seller opens it on B; the seller adds a product picture on B and
A's PO page shows it; the seller previews a shipping file on A and confirms it on B. Sessions live in the
database and cookies belong to the host, not the port: the seller logs in once and is in on both servers.
"""

import datetime
import html
import http.cookiejar
import io
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser

from PIL import Image

from bench.harness.drill_buyers import Buyer, NoRedirect, Shop
from bench.harness.pages import CSRF_FIELD, ORDER_PAGE, REQUEST_TIMEOUT
from bench.harness.servers_s3 import S3Server
from bench.harness.services import Database

IMAGE_SOURCE = re.compile(r'(?:src|content)="(http[^"]+)"')
SRCSET = re.compile(r'srcset="([^"]+)"')


class Client:
    """One browser: its cookie jar (shared by both servers, as they are one host), no redirects followed."""

    def __init__(self, address: str):
        self.address = address  # the client's own address, as the shop's proxy reports it (PROXY_COUNT=1)
        self.statuses: list[int] = []  # of every request, 0 when nothing answered
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def open(self, url: str, *, data: bytes | None = None, content_type: str = "") -> tuple[int, str, bytes]:
        """(status, Location, body); status 0 when nothing answered."""
        request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
        request.add_header("X-Forwarded-For", self.address)
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            with self.opener.open(request, timeout=REQUEST_TIMEOUT) as response:
                answer = response.status, response.headers.get("Location", ""), response.read()
        except urllib.error.HTTPError as error:
            answer = error.code, error.headers.get("Location", ""), error.read() if error.fp else b""
        except (urllib.error.URLError, OSError):
            answer = 0, "", b""
        self.statuses.append(answer[0])
        return answer

    def post(self, url: str, fields: list[tuple[str, str]], files: dict[str, tuple[str, bytes, str]] | None = None):
        if files is None:
            return self.open(url, data=urllib.parse.urlencode(fields).encode(),
                             content_type="application/x-www-form-urlencoded")  # fmt: skip
        body, content_type = multipart(fields, files)
        return self.open(url, data=body, content_type=content_type)


def multipart(fields: list[tuple[str, str]], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    """A multipart/form-data body: `files` is {field: (file name, content, content type)}."""
    boundary = secrets.token_hex(16)
    out = io.BytesIO()
    for name, value in fields:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content, content_type) in files.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                  f"Content-Type: {content_type}\r\n\r\n".encode())  # fmt: skip
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


class FormFields(HTMLParser):
    """The fields a browser would send from the first form whose opening tag contains `marker`: inputs
    (checked boxes only, no files, no buttons), selects (their selected options) and textareas."""

    def __init__(self, page: bytes, marker: str):
        super().__init__(convert_charrefs=True)
        self.marker, self.fields = marker, []
        self._inside = self._done = False
        self._select = self._textarea = None
        self._options: list[tuple[str, bool]] = []
        self._text = ""
        self.feed(page.decode())

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and not self._done and self.marker in self.get_starttag_text():
            self._inside = True
        if not self._inside:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = (attributes.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            if kind not in ("file", "submit", "button", "image", "reset"):
                self.fields.append((name, attributes.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select:
            self._options.append((attributes.get("value", ""), "selected" in attributes))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if not self._inside:
            return
        if tag == "select" and self._select:
            chosen = (
                [value for value, selected in self._options if selected] or self._options[:1] and [self._options[0][0]]
            )
            self.fields.extend((self._select, value) for value in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None
        elif tag == "form":
            self._inside, self._done = False, True


def csrf(page: bytes) -> str:
    found = CSRF_FIELD.search(page)
    return found.group(1).decode() if found else ""


def picture(width: int, height: int, colour: str, image_format: str) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(output, format=image_format)
    return output.getvalue()


def is_image(content: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
    except Exception:  # noqa: BLE001 - whatever Pillow cannot read is not a picture
        return False
    return True


@dataclass
class Flow:
    """One flow across the servers: whether it held, and what was seen on the way."""

    name: str
    ok: bool = False
    said: list[str] = field(default_factory=list)
    extra: int = 0  # the renditions seen, for the picture
    proofs_sent: list[tuple[str, int]] = field(default_factory=list)  # (order token, the proof POST's status)

    def note(self, text: str) -> None:
        self.said.append(text)


def order_token(buyer: Buyer) -> str:
    found = next((ORDER_PAGE.search(a.location) for a in buyer.posts if ORDER_PAGE.search(a.location)), None)
    return found.group(1) if found else ""


def proof_submit(client: Client, base_url: str, token: str, database: Database, *, name: str, colour: str) -> int:
    """The buyer's "Send payment confirmation" on the order page, with a picture of the transfer: the POST's
    status (302 when the proof was taken)."""
    _status, _location, page = client.open(f"{base_url}/pesanan/{token}/")
    ((amount,),) = database.query("SELECT first_transfer_idr FROM orders_order WHERE token = %s", (token,))
    status, _location, _body = client.post(
        f"{base_url}/pesanan/{token}/bayar/",
        [("csrfmiddlewaretoken", csrf(page)), ("amount_idr", str(amount)),
         ("paid_on", datetime.date.today().isoformat()), ("from_bank", "BCA"), ("from_account_name", name)],
        {"proof": ("bukti.png", picture(300, 500, colour, "PNG"), "image/png")},
    )  # fmt: skip
    return status


def seller_login(seller: Client, base_url: str, username: str, password: str) -> bool:
    _status, _location, page = seller.open(base_url + "/admin/login/")
    status, location, _body = seller.post(
        base_url + "/admin/login/?next=/admin/",
        [("csrfmiddlewaretoken", csrf(page)), ("username", username), ("password", password), ("next", "/admin/")],
    )
    return status == 302 and "/login/" not in location


def proof_flow(*, shop_a: Shop, buyer: Buyer, base_b: str, seller: Client, s3: S3Server, database: Database) -> Flow:
    """The buyer checks out on A and sends a proof through A's order page; the seller opens it on B."""
    flow = Flow("proof A->B")
    base_a = shop_a.base_url
    shop_a.checkout(buyer)
    token = order_token(buyer)
    if not token:
        flow.note(f"checkout on A did not reach an order page: {[(a.status, a.location) for a in buyer.attempts]}")
        return flow
    client = Client(buyer.address)
    status = proof_submit(client, base_a, token, database, name=f"Pembeli Drill {buyer.number}", colour="#2266aa")
    flow.proofs_sent.append((token, status))
    if status != 302:
        flow.note(f"the proof's POST on A answered {status}, not a redirect to the order page")
        return flow
    rows = database.query(
        "SELECT p.id, p.proof FROM payments_payment p JOIN orders_order o ON o.id = p.order_id WHERE o.token = %s",
        (token,),
    )
    if len(rows) != 1 or not rows[0][1]:
        flow.note(f"payments of the order: {rows}")
        return flow
    payment_id, name = rows[0]
    buyer_status, _location, buyer_copy = client.open(f"{base_a}/pesanan/{token}/bukti/{payment_id}/")
    seller_status, _location, seller_copy = seller.open(f"{base_b}/bukti-transfer/{payment_id}/")
    stored = s3.read(f"private/{name}")
    flow.ok = buyer_status == seller_status == 200 and seller_copy == buyer_copy == stored and is_image(stored)
    flow.note(f"payment {payment_id}: buyer on A {buyer_status} ({len(buyer_copy)} B), seller on B {seller_status} "
              f"({len(seller_copy)} B), bucket private/{name} ({len(stored)} B), same bytes: "
              f"{seller_copy == buyer_copy == stored}")  # fmt: skip
    return flow


def picture_flow(*, base_a: str, base_b: str, seller: Client, visitor: Client, product_id: int, slug: str,
                 s3: S3Server, database: Database) -> Flow:  # fmt: skip
    """The seller adds a product picture through B's admin; A's PO page shows it and its links give it."""
    flow = Flow("picture B->A")
    change = f"{base_b}/admin/catalog/product/{product_id}/change/"
    _status, _location, page = seller.open(change)
    fields = FormFields(page, 'id="product_form"').fields
    if not fields:
        flow.note("no product form on B's change page")
        return flow
    upload = picture(1200, 900, "#c0392b", "JPEG")
    fields = [(name, value) for name, value in fields if name != "images-0-alt_text"] + [
        ("images-0-alt_text", "Foto dari server B")
    ]
    status, location, body = seller.post(change, fields, {"images-0-image": ("foto-servers.jpg", upload, "image/jpeg")})
    if status != 302:
        errors = re.findall(rb'<ul class="errorlist[^"]*">(.*?)</ul>', body, re.S)
        flow.note(f"the product's POST on B answered {status}: {[html.unescape(e.decode()) for e in errors][:5]}")
        return flow
    rows = database.query(
        "SELECT image, rendition_widths FROM catalog_productimage WHERE product_id = %s ORDER BY id", (product_id,)
    )
    if not rows:
        flow.note("no product image in the database after B's save")
        return flow
    name, widths = rows[-1]
    _status, _location, campaign_page = visitor.open(f"{base_a}/po/{slug}/")
    text = campaign_page.decode()
    links = {html.unescape(url) for url in IMAGE_SOURCE.findall(text) if name.rsplit(".", 1)[0] in url}
    for srcset in SRCSET.findall(text):
        links.update(html.unescape(part.strip().rsplit(" ", 1)[0]) for part in srcset.split(","))
    links = {url for url in links if name.rsplit(".", 1)[0] in url}
    original = [url for url in links if urllib.parse.urlsplit(url).path.endswith("/" + name)]
    renditions = links - set(original)
    fetched = {url: visitor.open(url) for url in links}
    good = {url for url, (status, _location, content) in fetched.items() if status == 200 and is_image(content)}
    same = bool(original) and fetched[original[0]][2] == upload
    flow.extra = len(renditions & good)
    in_bucket = f"media/{name}" in s3.objects("media/")
    flow.ok = bool(original) and same and links == good and flow.extra == len(widths or []) > 0 and in_bucket
    flow.note(f"{name}: original on A's page {len(original)} (same bytes as uploaded: {same}), renditions "
              f"{flow.extra} of {len(widths or [])} made ({sorted(widths or [])}), links that gave a picture "
              f"{len(good)} of {len(links)}, in the bucket: {in_bucket}")  # fmt: skip
    return flow


def shipping_flow(*, base_a: str, base_b: str, seller: Client, orders: list[str], s3: S3Server,
                  database: Database) -> Flow:  # fmt: skip
    """The seller previews a shipping file on A and confirms it on B: every order ships."""
    flow = Flow("shipping import A->B")
    _status, _location, page = seller.open(f"{base_a}/admin/orders/order/import/")
    rows = "\n".join(f"{number},JNE,JNE{90000000 + n:010d}" for n, number in enumerate(orders, start=1))
    content = f"Nomor pesanan,Kurir,No resi\n{rows}\n".encode()
    status, _location, preview = seller.post(
        f"{base_a}/admin/orders/order/import/",
        [("csrfmiddlewaretoken", csrf(page)), ("resource", "0"), ("format", "0")],
        {"import_file": ("resi.csv", content, "text/csv")},
    )
    confirm = FormFields(preview, "process_import").fields
    waiting = s3.objects("private/shipments/pending/")
    if status != 200 or not confirm:
        flow.note(f"the preview on A answered {status} without a confirmation form")
        return flow
    status, location, _body = seller.post(f"{base_b}/admin/orders/order/process_import/", confirm)
    shipped = database.query(
        "SELECT number FROM orders_order WHERE number = ANY(%s) AND status = 'shipped'", (list(orders),)
    )
    left = s3.objects("private/shipments/pending/")
    flow.ok = status == 302 and len(shipped) == len(orders) and len(waiting) == 1 and not left
    flow.note(f"preview on A kept {len(waiting)} file(s) in the bucket; confirmed on B: {status} to {location}; "
              f"shipped {len(shipped)} of {len(orders)}; files still waiting: {len(left)}")  # fmt: skip
    return flow

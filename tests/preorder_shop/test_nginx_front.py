"""nginx in front, with the shop's own snippets (deploy/nginx/): it keeps for a moment the pages that are the
same for everyone, per language, and passes everything personal through. Without nginx these are skipped,
unless REQUIRE_NGINX is set (as CI does), where that is a failure."""

import os
import shutil
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from tests.factories import campaign_with_products
from tests.helpers import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

DEPLOY = Path(settings.BASE_DIR) / "deploy" / "nginx"
CONF = """
worker_processes 1;
{user}
daemon off;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    proxy_cache_path {work}/cache keys_zone=prapesan_pages:1m inactive=10m;
    server {{
        listen 127.0.0.1:{port};
        location ~ ^/po/[^/]+/pesan/$ {{
            include {deploy}/proxy-headers.conf;
            proxy_pass http://127.0.0.1:{upstream};
        }}
        location / {{
            include {deploy}/proxy-headers.conf;
            include {deploy}/pages-cache.conf;
            proxy_pass http://127.0.0.1:{upstream};
        }}
    }}
}}
"""


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _nginx() -> str:
    nginx = shutil.which("nginx", path=os.environ.get("PATH", "") + ":/usr/sbin")
    if nginx is None:
        message = "nginx is not installed (apt-get install nginx-light)."
        if os.environ.get("REQUIRE_NGINX"):
            pytest.fail(message)
        pytest.skip(message)
    return nginx


@pytest.mark.django_db(transaction=False)
def test_the_deployed_site_is_one_nginx_takes(tmp_path):
    nginx = _nginx()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=toko.example.id",
         "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    site = (DEPLOY / "prapesan.conf").read_text()
    for deployed, here in (
        ("/etc/nginx/prapesan/", f"{DEPLOY}/"),
        ("/etc/letsencrypt/live/toko.example.id/fullchain.pem", str(tmp_path / "cert.pem")),
        ("/etc/letsencrypt/live/toko.example.id/privkey.pem", str(tmp_path / "key.pem")),
        ("/var/cache/nginx/prapesan", str(tmp_path / "cache")),
    ):
        assert deployed in site
        site = site.replace(deployed, here)
    (tmp_path / "site.conf").write_text(site)
    main = tmp_path / "nginx.conf"
    main.write_text(f"pid {tmp_path}/pid;\nevents {{}}\nhttp {{ include {tmp_path}/site.conf; }}\n")
    checked = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(main)],
                             capture_output=True, text=True)  # fmt: skip
    assert checked.returncode == 0, checked.stderr


@pytest.fixture
def front(live_server, tmp_path, settings):
    nginx = _nginx()
    settings.PAGE_CACHE_SECONDS = 30
    settings.PROXY_CACHE_SECONDS = 30  # long enough for the test; 1 s by default
    settings.ALLOWED_HOSTS = ["*"]
    cache.clear()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    upstream = live_server.url.rsplit(":", 1)[1]
    tmp_path.chmod(0o755)
    user = "user root;" if os.geteuid() == 0 else ""
    conf = tmp_path / "nginx.conf"
    conf.write_text(CONF.format(user=user, work=tmp_path, port=port, upstream=upstream, deploy=DEPLOY))
    process = subprocess.Popen([nginx, "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(conf)])
    base = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(NoRedirect)

    def get(path, cookies=None):
        request = urllib.request.Request(base + path, headers={"Cookie": cookies} if cookies else {})
        try:
            response = opener.open(request, timeout=10)
        except urllib.error.HTTPError as error:  # a redirect, not followed
            response = error
        return response.status, response.headers, response.read().decode()

    try:
        wait_until(lambda: _listening(port), timeout=10, interval=0.05, message=f"nginx listens on port {port}")
        yield get
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_po_page_is_answered_by_nginx_after_the_first_visitor(front):
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S", "M"]}, title="PO Kaos Kilat")
    status, first, first_html = front(campaign.get_absolute_url())
    assert status == 200 and first["X-Cache-Status"] == "MISS" and "PO Kaos Kilat" in first_html
    status, second, second_html = front(campaign.get_absolute_url(), cookies="csrftoken=abc")
    assert second["X-Cache-Status"] == "HIT" and second_html == first_html
    # What the shop tells nginx stays between them.
    assert "X-Accel-Expires" not in second and "Set-Cookie" not in second


def test_each_language_is_kept_apart(front):
    campaign_with_products(products=1, options={"Ukuran": ["S"]})
    _status, indonesian, _html = front("/")
    _status, english, english_html = front("/", cookies=f"{settings.LANGUAGE_COOKIE_NAME}=en")
    assert indonesian["Content-Language"] == "id"
    assert english["X-Cache-Status"] == "MISS" and english["Content-Language"] == "en"
    assert "Open pre-orders" in english_html
    _status, english_again, _html = front("/", cookies=f"{settings.LANGUAGE_COOKIE_NAME}=en")
    assert english_again["X-Cache-Status"] == "HIT" and english_again["Content-Language"] == "en"


def test_a_visitor_with_a_message_or_signed_in_always_reaches_the_shop(front):
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S"]})
    front(campaign.get_absolute_url())
    # No line chosen: the checkout sends the buyer back to the PO's page with a message.
    status, refused, _html = front(f"/po/{campaign.slug}/pesan/")
    assert status == 302
    messages = refused["Set-Cookie"].split(";")[0]
    _status, shown, html = front(campaign.get_absolute_url(), cookies=messages)
    assert shown["X-Cache-Status"] == "BYPASS" and 'class="messages"' in html
    _status, staff, _html = front(campaign.get_absolute_url(), cookies="sessionid=abc")
    assert staff["X-Cache-Status"] == "BYPASS"


def test_the_checkout_form_and_order_pages_are_never_kept(front):
    campaign = campaign_with_products(products=1, options={"Ukuran": ["S"]})
    item = campaign.items.get()
    for _visitor in range(2):
        status, form, html = front(f"/po/{campaign.slug}/pesan/?qty-{item.pk}=1")
        assert status == 200 and "csrfmiddlewaretoken" in html and "csrftoken=" in form["Set-Cookie"]
        assert "X-Cache-Status" not in form  # the checkout's own location keeps nothing
    for _visitor in range(2):
        status, lookup, _html = front("/pesanan/cari/")
        assert lookup["X-Cache-Status"] == "MISS"

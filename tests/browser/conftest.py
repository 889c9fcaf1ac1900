"""Browser tests drive Debian's Chromium (apt-get install chromium) through
Playwright; no browser is downloaded. Without Chromium they are skipped,
unless REQUIRE_BROWSER is set (as CI does), where that is a failure."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)."
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the test's
    # own ORM calls are still plain synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def phone(browser, live_server):
    """A page in a phone-sized window, with a browser that prefers English:
    the shop must still answer in Indonesian."""
    context = browser.new_context(**PHONE, locale="en-US", base_url=live_server.url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    screenshots = os.environ.get("SCREENSHOT_DIR")
    if screenshots:
        Path(screenshots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(screenshots) / "last-page.png"), full_page=True)
    context.close()


SELLER_PASSWORD = "rahasia-penjual-123"


@pytest.fixture
def seller_desktop(browser, live_server):
    """The seller's desktop browser (1280 x 900), logged in to the admin, which answers in English."""
    from django.conf import settings  # noqa: PLC0415 - after Django is set up by pytest-django
    from playwright.sync_api import expect  # noqa: PLC0415 - only the admin's fixture needs it

    from campaigns.demo import demo_seller_ensure  # noqa: PLC0415 - after Django is set up by pytest-django

    demo_seller_ensure(password=SELLER_PASSWORD)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("penjual")
    page.get_by_label("Password").fill(SELLER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Log out").or_(page.get_by_role("button", name="Log out"))).to_be_visible()
    yield page
    context.close()

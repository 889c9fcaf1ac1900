import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files from tests go to a throw-away folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def seller_client(client):
    """The test client logged in as the demo seller (staff in the seller group)."""
    from campaigns.demo import demo_seller_ensure

    demo_seller_ensure(password="rahasia-penjual-123")
    assert client.login(username="penjual", password="rahasia-penjual-123")
    return client

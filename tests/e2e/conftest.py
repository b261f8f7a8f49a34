import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture
def site(live_server, catalog):
    """The live site with the real blueprints loaded; yields its base URL."""
    return live_server.url

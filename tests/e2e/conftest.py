import pytest
from django.db import connections

pytestmark = pytest.mark.e2e


@pytest.fixture
def site(live_server, catalog):
    """The live site with the real blueprints loaded; yields its base URL."""
    return live_server.url


@pytest.fixture(autouse=True)
def _close_connections_after_browser_tests():
    """Playwright's sync API runs the test body in another context, and Django's connections
    are per context: close this context's connections, or PostgreSQL refuses to drop the test
    database at the end of a run that also ran tests outside the browser."""
    yield
    connections.close_all()

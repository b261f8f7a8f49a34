import os
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# under a running loop unless told this is safe (it is: the test thread is the only user).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def catalog(db):
    """The real blueprints and service catalog from fixtures/, as `make run` loads them."""
    call_command("load_catalog", stdout=StringIO())


@pytest.fixture(scope="session")
def notes_dir() -> Path:
    path = Path(settings.NOTES_DIR)
    assert path.is_dir(), f"The study notes are expected at {path} (set NOTES_DIR)."
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, headless, with no background traffic (the network is closed)."""
    assert Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}: run `make chromium`."
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


def pytest_sessionfinish(session, exitstatus):
    """A skipped test is a test that did not run: fail the run so CI cannot pass around it."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and session.exitstatus == 0:
        reporter.write_line(f"{len(skipped)} test(s) skipped: skips count as failures here.")
        session.exitstatus = 1

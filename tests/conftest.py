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


@pytest.fixture(scope="session", autouse=True)
def _end_stray_database_sessions(django_db_setup, django_db_blocker):
    """Let the test database be dropped at the end of a PostgreSQL run.

    Playwright's sync API runs code in greenlets, each with its own context, and Django keeps a
    connection per context: one such connection outlives the browser tests (last statement a
    ROLLBACK, idle). Nothing else can reach it to close it, so its server session is ended here.
    """
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


IMMEDIATE_TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(scope="session", autouse=True)
def _tasks_run_immediately():
    """Background tasks run inside the request in the tests (no worker process to wait for).
    The handler caches its settings and backends, so both are reset around the override."""
    from asgiref.local import Local
    from django.tasks import task_backends
    from django.test import override_settings

    def reset() -> None:
        task_backends.__dict__.pop("settings", None)
        task_backends._settings = None
        task_backends._connections = Local(task_backends.thread_critical)

    with override_settings(TASKS=IMMEDIATE_TASKS):
        reset()
        yield
    reset()

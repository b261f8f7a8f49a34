"""Shared set-up for bench scripts: a throwaway SQLite database, migrated, with the catalog."""

from __future__ import annotations

import os
import sys
import tempfile
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_with_fresh_database() -> Path:
    """Point Django at a new SQLite file (unless DATABASE_URL is set), migrate, load catalog."""
    workdir = Path(tempfile.mkdtemp(prefix="examsite-bench-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examsite.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_catalog", stdout=StringIO())
    return workdir

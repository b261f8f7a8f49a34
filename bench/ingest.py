"""bench/ingest: cost of ingestion must be linear in the size of the notes.

Ingests the study notes once, then a copy in which every file is repeated ten times, each into
an empty database, and reports both times and their ratio (expected near 10). Run: bench/ingest
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from _setup import django_with_fresh_database


def timed_ingest(folder: Path) -> tuple[float, int]:
    from django.db import transaction

    from notes.models import Fact
    from notes.services import notes_ingest

    with transaction.atomic():
        started = time.perf_counter()
        summary = notes_ingest(paths=[folder])
        elapsed = time.perf_counter() - started
        assert not summary.errors, summary.errors
        facts = Fact.objects.count()
        transaction.set_rollback(True)  # each run starts from an empty fact base
    return elapsed, facts


def repeated_copy(source: Path, target: Path, times: int) -> Path:
    target.mkdir()
    for path in source.iterdir():
        if path.suffix in {".md", ".tsv"} and not path.stem.upper().startswith("README"):
            text = path.read_text(encoding="utf-8")
            if not text.endswith("\n"):
                text += "\n"
            if path.suffix == ".tsv":
                # Repeat the rows, not the header: later copies start with a topic row anyway.
                header, _, body = text.partition("\n")
                (target / path.name).write_text(header + "\n" + body * times, encoding="utf-8")
            else:
                (target / path.name).write_text(text * times, encoding="utf-8")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notes", type=Path, default=None)
    parser.add_argument("--times", type=int, default=10)
    args = parser.parse_args()
    workdir = django_with_fresh_database()
    from django.conf import settings

    notes = args.notes or Path(settings.NOTES_DIR)
    big = repeated_copy(notes, workdir / "repeated", args.times)
    timed_ingest(notes)  # warm-up: imports, regex compilation, SQLite file growth
    once, facts_once = timed_ingest(notes)
    repeated, facts_repeated = timed_ingest(big)
    print(f"ingest x1:  {once:7.2f} s  {facts_once:6d} facts")
    print(f"ingest x{args.times}: {repeated:7.2f} s  {facts_repeated:6d} facts")
    print(
        f"ratio: {repeated / once:.2f} (linear is {args.times}; facts ratio "
        f"{facts_repeated / facts_once:.2f})"
    )
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

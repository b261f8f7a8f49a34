"""bench/generate: generating the bank from the ingested notes, against ingesting them.

Both are measured in the same run on the same machine, so the ratio (generation time / ingest
time) is comparable across runs where bare seconds are not. Run: bench/generate
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from _setup import django_with_fresh_database


def main() -> None:
    workdir = django_with_fresh_database()
    from django.conf import settings

    from notes.services import notes_ingest
    from questions.bank_export import generation_inputs
    from questions.generation import DEFAULT_SEED, generate
    from questions.services import bank_generate

    started = time.perf_counter()
    notes_ingest(paths=[Path(settings.NOTES_DIR)])
    ingest = time.perf_counter() - started

    started = time.perf_counter()
    facts, services, blueprints = generation_inputs()
    read = time.perf_counter() - started

    started = time.perf_counter()
    result = generate(facts, services, blueprints=blueprints, seed=DEFAULT_SEED)
    pure = time.perf_counter() - started

    started = time.perf_counter()
    report = bank_generate()
    full = time.perf_counter() - started

    print(f"ingest (baseline):          {ingest:7.2f} s")
    print(f"read facts for generation:  {read:7.2f} s")
    print(f"generate (pure):            {pure:7.2f} s  {len(result.questions)} questions")
    print(f"generate_questions (DB):    {full:7.2f} s  {report.created} written")
    print(f"ratio generate/ingest: {pure / ingest:.2f}; with writes: {full / ingest:.2f}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

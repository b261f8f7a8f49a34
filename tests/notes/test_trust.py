"""Facts that contradict each other or that errata correct are marked, linked and resolvable."""

import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from notes.models import Erratum, Fact, Service
from notes.services import erratum_save, fact_reject, fact_resolve_conflict, facts_trust_refresh

pytestmark = pytest.mark.django_db

OLD_NOTES = """# Kinesis

## Kinesis Data Streams

- Kinesis Data Streams data retention is 7 days maximum.
"""
NEW_NOTES = """# Streaming

## Kinesis Data Streams

- Kinesis Data Streams data retention is 365 days maximum.
"""


def ingest(folder: Path) -> str:
    out = StringIO()
    call_command("ingest_notes", str(folder), stdout=out)
    return out.getvalue()


@pytest.fixture
def contradicting_notes(tmp_path: Path, catalog) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "old.md").write_text(OLD_NOTES)
    (folder / "new.md").write_text(NEW_NOTES)
    Erratum.objects.all().delete()  # judge the contradiction alone first
    return folder


def retention_facts() -> tuple[Fact, Fact]:
    old = Fact.objects.get(section__source__name="old.md", statement__contains="7 days")
    new = Fact.objects.get(section__source__name="new.md", statement__contains="365 days")
    return old, new


def test_two_files_that_contradict_each_other_give_a_linked_conflict(contradicting_notes):
    out = ingest(contradicting_notes)
    assert "1 conflicts" in out
    old, new = retention_facts()
    assert old.status == new.status == Fact.Status.CONFLICT
    assert list(old.conflicts_with.all()) == [new]
    assert list(new.conflicts_with.all()) == [old]
    assert not Fact.objects.usable().filter(pk__in=[old.pk, new.pk]).exists()


def test_an_instructor_keeps_one_side(contradicting_notes):
    ingest(contradicting_notes)
    old, new = retention_facts()
    fact_resolve_conflict(fact=new)
    old.refresh_from_db()
    new.refresh_from_db()
    assert new.status == Fact.Status.ACTIVE and new.resolution == "kept"
    assert old.status == Fact.Status.OUTDATED and old.resolution == "rejected"


def test_the_verdict_survives_reingestion(contradicting_notes):
    ingest(contradicting_notes)
    old, new = retention_facts()
    fact_reject(fact=old)
    (contradicting_notes / "new.md").write_text(NEW_NOTES + "\n- Shards scale throughput.\n")
    ingest(contradicting_notes)
    old, new = retention_facts()
    assert old.resolution == "rejected" and old.status == Fact.Status.OUTDATED
    assert new.status == Fact.Status.ACTIVE


def test_an_erratum_turns_the_outdated_side_outdated_and_ends_the_conflict(contradicting_notes):
    ingest(contradicting_notes)
    erratum = Erratum(
        key="kds-retention",
        subject=Service.objects.get(short_name="Kinesis Data Streams"),
        attribute="maximum data retention",
        pattern=r"retention.*\b7 days",
        change=Erratum.Change.VALUE,
        outdated_value="7 days",
        current_value="365 days",
        reason="Long-term retention up to 365 days.",
        checked_on=datetime.date(2026, 11, 24),
    )
    report = erratum_save(erratum=erratum)
    old, new = retention_facts()
    assert old.status == Fact.Status.OUTDATED and old.erratum == erratum
    assert new.status == Fact.Status.ACTIVE
    # Still linked, so instructors see both sides, but no longer withholding anything.
    assert len(report.conflicts) == 1 and report.open_conflicts == 0
    assert list(new.conflicts_with.all()) == [old]


def test_shipped_errata_load_and_apply_to_real_facts(catalog):
    assert Erratum.objects.count() >= 25
    facts_trust_refresh()  # no facts: nothing to do, nothing breaks
    assert not Fact.objects.exists()

"""`bank_generate(only_new=True)` (what a notes upload runs): it adds new questions as drafts
and leaves every question already in the bank exactly as it is."""

from pathlib import Path

import pytest

from notes.services import notes_ingest
from questions.models import Question
from questions.services import bank_generate, question_update
from tests.questions.factories import QuestionFactory

pytestmark = pytest.mark.django_db

KINESIS = "# Streams\n\n## Kinesis Data Streams\n\n- Kinesis Data Streams data retention is {}.\n"
SQS = "# Queues\n\n## Amazon SQS\n\n- Amazon SQS message retention is up to 14 days.\n"


def test_only_new_creates_drafts_and_leaves_existing_questions_alone(tmp_path: Path, catalog):
    (tmp_path / "streams.md").write_text(KINESIS.format("365 days maximum"))
    notes_ingest(paths=[tmp_path])
    bank_generate()
    existing = Question.objects.filter(origin=Question.Origin.GENERATED).order_by("key").first()
    assert existing is not None
    # An instructor's edit that regeneration would otherwise overwrite.
    question_update(question=existing, stem="An instructor reworded this stem?")
    # A generated question the generator no longer produces: a full run marks it stale.
    orphan = QuestionFactory(
        origin=Question.Origin.GENERATED,
        status=Question.Status.PUBLISHED,
        certification=existing.certification,
        domain=existing.domain,
    )
    before = set(Question.objects.values_list("key", flat=True))

    (tmp_path / "queues.md").write_text(SQS)
    notes_ingest(paths=[tmp_path])
    report = bank_generate(new_status=Question.Status.DRAFT, only_new=True)

    created = Question.objects.exclude(key__in=before)
    assert report.created == created.count() > 0
    assert set(report.created_keys) == set(created.values_list("key", flat=True))
    assert set(created.values_list("status", flat=True)) == {Question.Status.DRAFT}
    existing.refresh_from_db()
    assert existing.stem == "An instructor reworded this stem?"
    assert existing.status == Question.Status.PUBLISHED
    orphan.refresh_from_db()
    assert orphan.status == Question.Status.PUBLISHED
    assert report.updated == report.stale == 0


def test_without_only_new_the_same_run_updates_and_stales(tmp_path: Path, catalog):
    """The contrast: a full run rewrites the edited stem and stales the orphan."""
    (tmp_path / "streams.md").write_text(KINESIS.format("365 days maximum"))
    notes_ingest(paths=[tmp_path])
    bank_generate()
    existing = Question.objects.filter(origin=Question.Origin.GENERATED).order_by("key").first()
    question_update(question=existing, stem="An instructor reworded this stem?")
    orphan = QuestionFactory(
        origin=Question.Origin.GENERATED,
        status=Question.Status.PUBLISHED,
        certification=existing.certification,
        domain=existing.domain,
    )
    report = bank_generate()
    existing.refresh_from_db()
    orphan.refresh_from_db()
    assert existing.stem != "An instructor reworded this stem?"
    assert orphan.status == Question.Status.STALE
    assert report.updated >= 1 and report.stale >= 1
    # Staleness is in the history too, so it can be seen and undone.
    assert list(orphan.revisions.order_by("number").values_list("source", "summary")) == [
        ("baseline", "As it was before the first recorded change."),
        ("generator", "status published → stale"),
    ]

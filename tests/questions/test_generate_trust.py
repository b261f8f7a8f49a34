"""Generation's trust rules on small notes: disputed facts never key a question; errata do."""

from pathlib import Path

import pytest

from notes.models import Erratum, Fact
from notes.services import fact_resolve_conflict, notes_ingest
from questions.models import Question
from questions.services import bank_generate

pytestmark = pytest.mark.django_db

NOTE = "# Streams\n\n## Kinesis Data Streams\n\n- Kinesis Data Streams data retention is {}.\n"
CONTRADICTING = {"old.md": NOTE.format("7 days maximum"), "new.md": NOTE.format("365 days maximum")}


def test_no_question_is_keyed_on_either_side_of_a_conflict_until_resolved(
    tmp_path: Path, catalog, django_capture_on_commit_callbacks
):
    Erratum.objects.all().delete()
    for name, text in CONTRADICTING.items():
        (tmp_path / name).write_text(text)
    notes_ingest(paths=[tmp_path])
    old = Fact.objects.get(section__source__name="old.md", statement__contains="7 days")
    new = Fact.objects.get(section__source__name="new.md", statement__contains="365 days")
    assert old.status == new.status == Fact.Status.CONFLICT
    bank_generate()
    assert not Question.objects.filter(source_facts__in=[old, new]).exists()
    with django_capture_on_commit_callbacks(execute=True):
        fact_resolve_conflict(fact=new)  # regenerates the questions about the subject
    assert not Question.objects.filter(source_facts=old).exists()
    keyed = Question.objects.filter(source_facts=new)
    assert keyed.exists()
    assert any("365 days" in c.text for q in keyed for c in q.choices.filter(is_correct=True))


def test_an_erratum_keys_the_question_on_the_corrected_value(tmp_path: Path, catalog):
    (tmp_path / "old.md").write_text(NOTE.format("up to 7 days"))  # shipped erratum applies
    notes_ingest(paths=[tmp_path])
    fact = Fact.objects.get(statement__contains="7 days")
    assert fact.status == Fact.Status.OUTDATED
    assert fact.erratum.current_value.startswith("365 days")
    bank_generate()
    questions = Question.objects.filter(source_facts=fact)  # one per certification
    assert questions.exists()
    for question in questions:
        correct = [c.text for c in question.choices.filter(is_correct=True)]
        assert any("365 days" in text for text in correct), correct
        assert not any("7 days" in text for text in correct)
        assert "Older notes say 7 days" in question.explanation
        assert "365 days" in question.explanation


def test_regeneration_keeps_authored_questions_and_stales_vanished_ones(tmp_path: Path, catalog):
    from tests.questions.factories import QuestionFactory

    authored = QuestionFactory(origin=Question.Origin.AUTHORED, status=Question.Status.PUBLISHED)
    (tmp_path / "old.md").write_text(NOTE.format("up to 7 days"))
    notes_ingest(paths=[tmp_path])
    first = bank_generate()
    generated = set(Question.objects.filter(origin="generated").values_list("key", flat=True))
    assert generated and first.created == len(generated)
    again = bank_generate()
    assert again.created == again.updated == again.stale == 0  # same keys, nothing rewritten
    (tmp_path / "old.md").write_text("# Other\n\n- Amazon S3 stores objects durably.\n")
    notes_ingest(paths=[tmp_path])  # the keyed fact disappears: its questions go stale
    assert set(Question.objects.filter(key__in=generated).values_list("status", flat=True)) == {
        Question.Status.STALE
    }
    bank_generate()
    authored.refresh_from_db()
    assert authored.status == Question.Status.PUBLISHED

"""Acceptance of the generated bank over the real notes, and generation's trust rules."""

from collections import Counter
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from notes.models import Fact, Service
from notes.services import notes_ingest
from questions.bank import dump_bank_text, load_bank_text
from questions.bank_export import bank_entries_all, generation_inputs
from questions.generation import BANK_GATES, FactBase, QuestionDraft, check_question
from questions.generation.types import ChoiceDraft
from questions.models import Question
from questions.scoring import apportion
from questions.services import bank_generate

pytestmark = pytest.mark.django_db

BANK_FILE = settings.FIXTURES_DIR / "question_bank.yaml"
MOCKS = {"SAA-C03": 6, "SAP-C02": 4}


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker, notes_dir):
    """load_catalog + ingest_notes ../shared/notes + generate_questions, as the README says."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_catalog", stdout=StringIO())
        notes_ingest(paths=[notes_dir])
        report = bank_generate()
        yield report
        transaction.set_rollback(True)


def as_draft(entry) -> QuestionDraft:
    return QuestionDraft(
        key=entry.key,
        certification=entry.certification,
        domain=entry.domain,
        task_statement=entry.task_statement,
        template=entry.template,
        kind=entry.kind,
        select=entry.select,
        stem=entry.stem,
        choices=tuple(ChoiceDraft(c.text, c.correct, c.rationale) for c in entry.choices),
        explanation=entry.explanation,
        services=entry.services,
        source_hashes=tuple(s.fact for s in entry.sources),
    )


def committed_entries():
    entries, errors = load_bank_text(BANK_FILE.read_text(encoding="utf-8"))
    assert not errors
    return entries


def test_committed_bank_is_exactly_what_generation_produces(generated):
    assert dump_bank_text(bank_entries_all()) == BANK_FILE.read_text(encoding="utf-8")


def test_generation_is_deterministic(generated):
    again = bank_generate()
    assert again.entries == generated.entries
    assert again.created == again.updated == again.stale == 0


def test_enough_questions_for_non_overlapping_mocks(generated):
    published = Question.objects.published()
    for code, mocks in MOCKS.items():
        certification_questions = published.filter(certification__code=code)
        domains = {
            d.number: d.weight
            for d in Question.domain.field.related_model.objects.filter(certification__code=code)
        }
        needed = {
            n: c * mocks
            for n, c in apportion(
                certification_questions.first().certification.question_count, domains
            ).items()
        }
        have = Counter(certification_questions.values_list("domain__number", flat=True))
        for number, count in needed.items():
            assert have[number] >= count, (code, number, have[number], count)


def test_bank_mix(generated):
    published = list(Question.objects.published().values_list("kind", "template"))
    total = len(published)
    assert sum(kind == "multiple" for kind, _ in published) / total >= 0.20
    assert sum(template == "term_definition" for _, template in published) / total <= 0.10


def test_every_task_statement_has_five_questions(generated):
    from notes.models import TaskStatement

    counts = Counter(Question.objects.published().values_list("task_statement", flat=True))
    for statement in TaskStatement.objects.select_related("domain__certification"):
        assert counts[statement.pk] >= 5, str(statement)


def test_every_gate_passes_over_the_committed_bank(generated):
    facts, services, _ = generation_inputs()
    kb = FactBase(facts, services)
    drafts = [as_draft(entry) for entry in committed_entries()]
    failures = [(d.key, check_question(d, kb)) for d in drafts]
    assert not [f for f in failures if f[1]][:10]
    for name, gate in BANK_GATES.items():
        for code in MOCKS:
            assert not gate([d for d in drafts if d.certification == code]), name


def test_no_published_question_rests_on_a_disputed_fact(generated):
    published = Question.objects.published().prefetch_related("source_facts")
    for question in published:
        for fact in question.source_facts.all():
            assert fact.status != Fact.Status.CONFLICT, (question.key, fact.statement)
            if fact.status == Fact.Status.OUTDATED:
                assert fact.erratum is not None, (question.key, fact.statement)


def test_outdated_facts_are_used_with_their_correction(generated):
    corrected = Question.objects.published().filter(source_facts__status=Fact.Status.OUTDATED)
    assert corrected.exists()
    for question in corrected.distinct()[:50]:
        assert "Older notes" in question.explanation, question.key


def test_stems_and_options_use_current_service_names(generated):
    former = sorted(
        {
            name
            for names in Service.objects.values_list("former_names", flat=True)
            for name in names
        },
        key=len,
        reverse=True,
    )
    for entry in committed_entries():
        texts = [entry.stem, *(c.text for c in entry.choices)]
        for name in former:
            for text in texts:
                assert name not in text, (entry.key, name, text[:80])


def test_bank_report_lists_real_conflicts_and_applied_errata(generated):
    import re

    out = StringIO()
    call_command("bank_report", "--list", stdout=out)
    text = out.getvalue()
    conflicts = int(re.search(r"(\d+)\s+conflicts \(pairs of facts\)", text).group(1))
    errata = int(re.search(r"(\d+) errata applied", text).group(1))
    assert conflicts >= 10
    assert errata >= 25
    assert "Candidates rejected by gate" in text
    assert "SAA-C03 D1 Design Secure Architectures" in text
    # --list names both sides of every conflict with file and line.
    assert text.count("⟷") == conflicts

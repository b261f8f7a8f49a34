"""Acceptance over the real study notes in ../shared/notes: volume, linking, provenance, clean text.

The corpus is ingested once per module into the test database (rolled back afterwards).
"""

import random
import re

import pytest
from django.core.management import call_command
from django.db import transaction

from notes.models import Fact, NoteSource
from notes.services import notes_ingest

# Floors about 5% under what was measured on 2026-11-24 (7,000 facts, 99.1% linked).
MIN_FACTS = 6650
MIN_FACTS_PER_FILE = {
    "aws-glossary.tsv": 1360,  # measured 1,438
    "aws-services-notes.md": 195,  # 209
    "saa-associate-notes.md": 2900,  # 3,063
    "saa-c02-notes.md": 320,  # 340
    "sap-professional-notes.md": 1850,  # 1,950
}
MIN_LINKED_SHARE = 0.95
LEFTOVERS = ("**", "](", "<br", "<a ", "↖", "`", "|")

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def corpus(django_db_setup, django_db_blocker, notes_dir):
    with django_db_blocker.unblock(), transaction.atomic():
        from io import StringIO

        call_command("load_catalog", stdout=StringIO())
        summary = notes_ingest(paths=[notes_dir])
        yield summary
        transaction.set_rollback(True)


def test_every_file_ingests_without_errors(corpus, notes_dir):
    assert not corpus.errors
    note_files = sorted(
        p.name for p in notes_dir.iterdir() if p.suffix in {".md", ".tsv"} and p.name != "README.md"
    )
    assert sorted(r.name for r in corpus.files) == note_files  # the folder's README is skipped


def test_volume_and_linking(corpus):
    facts = Fact.objects.count()
    assert facts >= MIN_FACTS
    linked = Fact.objects.filter(subject__isnull=False).count()
    assert linked / facts >= MIN_LINKED_SHARE


def test_every_file_contributes_facts(corpus):
    assert sorted(NoteSource.objects.values_list("name", flat=True)) == sorted(MIN_FACTS_PER_FILE)
    for source in NoteSource.objects.all():
        count = Fact.objects.filter(section__source=source).count()
        assert count >= MIN_FACTS_PER_FILE[source.name], source.name


def test_every_kind_is_found(corpus):
    kinds = set(Fact.objects.values_list("kind", flat=True).distinct())
    assert kinds == set(Fact.Kind.values)


def test_no_markup_leftovers_in_any_statement(corpus):
    offenders = []
    for fact_id, statement in Fact.objects.values_list("pk", "statement"):
        if statement.lstrip().startswith("#") or any(s in statement for s in LEFTOVERS):
            offenders.append((fact_id, statement[:120]))
    assert not offenders, offenders[:10]


def key_terms(fact: Fact) -> list[str]:
    """Words a reader would look for on the cited lines: the value and the longest words."""
    terms = [fact.value] if fact.value else []
    words = sorted(set(re.findall(r"[A-Za-z][A-Za-z0-9-]{4,}", fact.statement)), key=len)
    return terms + words[-3:]


def test_provenance_lines_contain_the_key_terms_of_a_random_sample(corpus, notes_dir):
    facts = list(Fact.objects.select_related("section__source").order_by("pk"))
    sample = random.Random(20261124).sample(facts, 200)
    files: dict[str, list[str]] = {}
    misses = []
    for fact in sample:
        source = fact.section.source
        lines = files.setdefault(
            source.name, (notes_dir / source.name).read_text(encoding="utf-8").splitlines()
        )
        assert fact.section.line_start <= fact.line_start <= fact.line_end <= fact.section.line_end
        cited = " ".join(lines[fact.line_start - 1 : fact.line_end]).casefold()
        cited = re.sub(r"<br\s*/?>|[*_`|]", " ", cited)
        found = [t for t in key_terms(fact) if t.casefold() in cited]
        if len(found) < min(2, len(key_terms(fact))):
            misses.append((source.name, fact.line_start, fact.statement[:100], key_terms(fact)))
    assert not misses, misses[:5]


def test_section_ranges_lie_inside_their_files(corpus):
    for source in NoteSource.objects.prefetch_related("sections"):
        for section in source.sections.all():
            assert 1 <= section.line_start <= section.line_end <= source.line_count

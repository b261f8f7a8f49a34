"""ingest_notes: bad input, idempotency, incremental replacement, stale questions."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from notes.models import Fact, NoteSource, Section
from notes.services import notes_ingest
from questions.models import Question
from tests.questions.factories import QuestionFactory

pytestmark = pytest.mark.django_db

S3_NOTES = """# Storage

## Amazon S3

- Amazon S3 is object storage built to store and retrieve any amount of data.
- The largest object S3 can store is 5 TB.
- S3 Standard offers 99.99% availability.

## Amazon EBS

- EBS volumes attach to one EC2 instance in one Availability Zone.
- An EBS gp2 volume delivers up to 16,000 IOPS.
"""


def ingest(*paths: Path) -> tuple[str, str, int]:
    out, err = StringIO(), StringIO()
    try:
        call_command("ingest_notes", *map(str, paths), stdout=out, stderr=err)
        code = 0
    except CommandError as exc:
        err.write(str(exc))
        code = 1
    return out.getvalue(), err.getvalue(), code


@pytest.fixture
def notes_folder(tmp_path: Path, catalog) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "storage.md").write_text(S3_NOTES)
    return folder


def test_ingest_creates_sections_and_linked_facts(notes_folder):
    out, _, code = ingest(notes_folder)
    assert code == 0
    assert "storage.md: created" in out
    source = NoteSource.objects.get()
    assert source.name == "storage.md"
    assert Section.objects.filter(source=source).count() >= 3
    facts = Fact.objects.filter(section__source=source).select_related("subject")
    assert facts.count() >= 4
    by_subject = {f.subject.short_name for f in facts if f.subject}
    assert {"S3", "EBS"} <= by_subject
    five_tb = next(f for f in facts if "5 TB" in f.statement)
    assert five_tb.kind == Fact.Kind.ATTRIBUTE
    assert five_tb.value_number == pytest.approx(5e12)
    assert five_tb.line_start == five_tb.line_end == 6
    assert five_tb.tags.exists()


def test_reingesting_an_unchanged_file_changes_nothing(notes_folder):
    ingest(notes_folder)
    before = list(Fact.objects.values_list("pk", "statement", "line_start").order_by("pk"))
    sections_before = list(Section.objects.values_list("pk", flat=True).order_by("pk"))
    out, _, code = ingest(notes_folder)
    assert code == 0
    assert "storage.md: unchanged" in out
    assert list(Fact.objects.values_list("pk", "statement", "line_start").order_by("pk")) == before
    assert list(Section.objects.values_list("pk", flat=True).order_by("pk")) == sections_before


def test_changed_file_replaces_its_facts_and_keeps_surviving_ones(notes_folder):
    ingest(notes_folder)
    kept = Fact.objects.get(statement__contains="5 TB")
    dropped = Fact.objects.get(statement__contains="16,000 IOPS")
    question = QuestionFactory(status=Question.Status.PUBLISHED)
    question.source_facts.add(dropped)
    survivor_question = QuestionFactory(status=Question.Status.PUBLISHED)
    survivor_question.source_facts.add(kept)

    changed = "# Preface\n\nA new first line moves everything down.\n\n" + S3_NOTES.replace(
        "- An EBS gp2 volume delivers up to 16,000 IOPS.\n", ""
    )
    (notes_folder / "storage.md").write_text(changed)
    out, _, code = ingest(notes_folder)
    assert code == 0
    assert "storage.md: updated" in out

    kept.refresh_from_db()
    assert kept.line_start == 10  # same row, new lines
    assert not Fact.objects.filter(pk=dropped.pk).exists()
    question.refresh_from_db()
    assert question.status == Question.Status.STALE  # never deleted
    survivor_question.refresh_from_db()
    assert survivor_question.status == Question.Status.PUBLISHED
    assert list(survivor_question.source_facts.all()) == [kept]
    assert not Section.objects.filter(source__name="storage.md", line_start__gt=100).exists()


def test_missing_path_is_reported_and_other_paths_still_ingest(notes_folder, tmp_path):
    _, err, code = ingest(tmp_path / "nope.md", notes_folder)
    assert code == 1
    assert "nope.md: no such file or folder" in err
    assert NoteSource.objects.filter(name="storage.md").exists()


def test_folder_without_notes_is_reported(tmp_path, catalog):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "picture.png").write_bytes(b"\x89PNG")
    _, err, code = ingest(empty)
    assert code == 1
    assert "no notes here" in err


@pytest.mark.parametrize(
    ("file_name", "content", "message"),
    [
        ("binary.md", b"\x00\x01\x02 binary \x00", "binary.md: looks like a binary file"),
        (
            "latin1.md",
            "# Caf\u00e9\n\n- S3 stores objects\n".encode("latin-1"),
            "latin1.md:1: not valid UTF-8",
        ),
        ("empty.md", b"  \n\n", "empty.md: the file is empty"),
        ("nothing.tsv", b"just one line without tabs\n", "nothing.tsv"),
    ],
)
def test_bad_files_fail_clearly_and_the_rest_still_ingest(
    notes_folder, file_name, content, message
):
    (notes_folder / file_name).write_bytes(content)
    out, err, code = ingest(notes_folder)
    assert code == 1
    assert message in err
    assert "storage.md: created" in out
    assert not NoteSource.objects.filter(name=file_name).exists()


def test_a_failing_new_version_leaves_the_saved_one_intact(notes_folder):
    ingest(notes_folder)
    facts_before = Fact.objects.count()
    (notes_folder / "storage.md").write_bytes(b"\xff\xfe broken \x00")
    _, err, code = ingest(notes_folder)
    assert code == 1
    assert "storage.md" in err
    assert Fact.objects.count() == facts_before
    assert NoteSource.objects.get(name="storage.md").sections.exists()


def test_malformed_tsv_row_is_named_with_its_line(tmp_path, catalog):
    glossary = tmp_path / "glossary.tsv"
    glossary.write_text(
        "Terms\tFull Form\tDefinition\tNOTE\n"
        "S3\tSimple Storage Service\tObject storage for any amount of data\t\n"
        "EFS\tElastic File System\tShared NFS file system\tmore\textra\tcolumns\n"
        "EBS\tElastic Block Store\tBlock storage volumes for EC2\t\n"
    )
    out, _, code = ingest(glossary)
    assert code == 0
    assert "glossary.tsv:3" in out
    statements = " ".join(Fact.objects.values_list("statement", flat=True))
    assert "Elastic Block Store" in statements


def test_dry_run_writes_nothing(notes_folder):
    out = StringIO()
    call_command("ingest_notes", str(notes_folder), "--dry-run", stdout=out)
    assert "Dry run" in out.getvalue()
    assert not NoteSource.objects.exists()


def test_service_summary(notes_folder):
    summary = notes_ingest(paths=[notes_folder])
    assert not summary.failed
    [report] = summary.files
    assert report.facts == sum(report.facts_by_kind.values())
    assert report.facts_linked <= report.facts


def test_a_folder_readme_is_not_ingested_unless_named(notes_folder):
    (notes_folder / "README.md").write_text("# About these notes\n\n- S3 notes live here.\n")
    ingest(notes_folder)
    assert not NoteSource.objects.filter(name="README.md").exists()
    ingest(notes_folder / "README.md")
    assert NoteSource.objects.filter(name="README.md").exists()

"""The bank YAML format: parse errors, all-or-nothing import, lossless export/import round trip."""

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from questions.bank import dump_bank_text, load_bank_text
from questions.bank_export import bank_entries_all
from questions.models import Question
from questions.services import bank_import

pytestmark = pytest.mark.django_db

GOOD = {
    "key": "s3-durability",
    "certification": "SAA-C03",
    "domain": 2,
    "task_statement": "2.2",
    "services": ["S3"],
    "kind": "single",
    "select": 1,
    "origin": "authored",
    "status": "published",
    "stem": "Which storage class keeps objects in at least three Availability Zones?\n\nPick one.",
    "choices": [
        {"text": "S3 Standard", "correct": True, "rationale": "Stores data across 3+ AZs."},
        {"text": "S3 One Zone-IA", "correct": False, "rationale": "One AZ only."},
        {"text": "EBS gp3", "correct": False, "rationale": "Block storage in one AZ."},
        {"text": "Instance store", "correct": False, "rationale": "Ephemeral, one host."},
    ],
    "explanation": "S3 Standard is designed for 99.999999999% durability across AZs.",
}


def bank(*entries) -> str:
    return yaml.safe_dump({"version": 1, "questions": list(entries)}, sort_keys=False)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bank.yaml"
    path.write_text(text)
    return path


def test_import_creates_then_reports_unchanged(catalog, tmp_path):
    path = write(tmp_path, bank(GOOD))
    out = StringIO()
    call_command("import_bank", str(path), stdout=out)
    assert "1 new, 0 changed, 0 unchanged" in out.getvalue()
    question = Question.objects.get(key="s3-durability")
    assert question.task_statement.code == "2.2"
    assert [c.is_correct for c in question.choices.all()] == [True, False, False, False]
    call_command("import_bank", str(path), stdout=out)
    assert "0 new, 0 changed, 1 unchanged" in out.getvalue()


def test_import_updates_a_changed_question_in_place(catalog, tmp_path):
    call_command("import_bank", str(write(tmp_path, bank(GOOD))), stdout=StringIO())
    question = Question.objects.get()
    choice_ids = list(question.choices.values_list("pk", flat=True))
    changed = {**GOOD, "stem": "A new wording of the stem?"}
    out = StringIO()
    call_command("import_bank", str(write(tmp_path, bank(changed))), stdout=out)
    assert "0 new, 1 changed" in out.getvalue()
    question.refresh_from_db()
    assert question.stem == "A new wording of the stem?"
    assert list(question.choices.values_list("pk", flat=True)) == choice_ids


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "maybe"}, "'kind' must be single or multiple"),
        ({"domain": 9}, "SAA-C03 has no domain 9"),
        ({"certification": "XYZ-01"}, "unknown certification"),
        ({"services": ["NotAService"]}, "unknown service(s): NotAService"),
        ({"task_statement": "4.9"}, "unknown task statement"),
        ({"colour": "blue"}, "unknown field(s): colour"),
        ({"stem": ""}, "'stem' must be non-empty text"),
    ],
)
def test_an_invalid_question_writes_nothing_and_names_its_key(catalog, tmp_path, change, message):
    other = {**GOOD, "key": "other-good-one"}
    bad = {**GOOD, "key": "the-bad-one", **change}
    with pytest.raises(CommandError) as excinfo:
        call_command("import_bank", str(write(tmp_path, bank(other, bad))), stdout=StringIO())
    assert "the-bad-one" in str(excinfo.value)
    assert message in str(excinfo.value)
    assert "nothing written" in str(excinfo.value)
    assert not Question.objects.exists()


def test_choice_rules_are_checked_on_import(catalog):
    two_correct = {
        **GOOD,
        "choices": [{**c, "correct": True} if i < 2 else c for i, c in enumerate(GOOD["choices"])],
    }
    entries, errors = load_bank_text(bank(two_correct))
    assert not errors
    report = bank_import(entries=entries)
    assert report.errors == [
        "s3-durability: A single-answer question has exactly one correct choice, not 2."
    ]
    assert not Question.objects.exists()


def test_duplicate_keys_and_broken_yaml_are_reported():
    _, errors = load_bank_text(bank(GOOD, GOOD))
    assert errors == ["s3-durability: the key appears more than once"]
    _, errors = load_bank_text("questions: [unclosed")
    assert errors and errors[0].startswith("not valid YAML")


def test_dry_run_writes_nothing(catalog, tmp_path):
    out = StringIO()
    call_command("import_bank", str(write(tmp_path, bank(GOOD))), "--dry-run", stdout=out)
    assert "Dry run: bank.yaml: 1 new" in out.getvalue()
    assert not Question.objects.exists()


def test_export_then_import_round_trips_losslessly(catalog, tmp_path):
    multiple = {
        **GOOD,
        "key": "pick-two",
        "kind": "multiple",
        "select": 2,
        "status": "draft",
        "choices": [
            {"text": f"Option {i}", "correct": i < 2, "rationale": f"Reason {i}"} for i in range(5)
        ],
    }
    call_command("import_bank", str(write(tmp_path, bank(GOOD, multiple))), stdout=StringIO())
    exported = dump_bank_text(bank_entries_all())
    entries, errors = load_bank_text(exported)
    assert not errors
    assert entries == bank_entries_all()
    # Importing the export into an empty bank gives the same export again, byte for byte.
    Question.objects.all().delete()
    call_command("import_bank", str(write(tmp_path, exported)), stdout=StringIO())
    assert dump_bank_text(bank_entries_all()) == exported
    out = StringIO()
    call_command("export_bank", stdout=out)
    assert out.getvalue() == exported

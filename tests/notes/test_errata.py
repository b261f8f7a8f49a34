"""Tests for notes.errata and fixtures/errata.yaml: loading, matching, and the real notes.

Plain pytest, no database: run with `pytest tests/notes/test_errata.py -p no:django`.
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import yaml

from notes.conflicts import FactRecord
from notes.errata import ErratumSpec, SubjectIndex, correction_note, load_errata, match_erratum
from notes.linking import load_catalog
from tests.notes.test_conflicts import real_facts

ERRATA = Path(__file__).resolve().parents[2] / "fixtures" / "errata.yaml"
CATALOG = Path(__file__).resolve().parents[2] / "fixtures" / "services.yaml"
MIN_ERRATA = 30


def fact(statement: str, subject: str | None = "Kinesis Data Streams") -> FactRecord:
    return FactRecord(
        id=1,
        subject=subject,
        concept="",
        kind="attribute",
        statement=statement,
        value="",
        value_number=None,
        unit="",
        source="a.md",
        line_start=1,
    )


def erratum(key: str = "x", subject: str | None = "Kinesis Data Streams", pattern: str = "7 days"):
    return ErratumSpec(
        key=key,
        subject=subject,
        attribute="maximum data retention",
        pattern=re.compile(pattern, re.IGNORECASE),
        change="value",
        outdated_value="7 days",
        current_value="365 days",
        reason="Extended retention.",
        checked_on=date(2026, 11, 24),
    )


VALID_ITEM = {
    "key": "kinesis-data-streams-retention",
    "subject": "Kinesis Data Streams",
    "attribute": "maximum data retention",
    "pattern": "retention.*7 days",
    "change": "value",
    "outdated_value": "7 days",
    "current_value": "365 days",
    "reason": "Extended retention up to 365 days since 2020.",
    "checked_on": "2026-11-24",
}


def write(tmp_path: Path, items: list[dict]) -> Path:
    path = tmp_path / "errata.yaml"
    path.write_text(yaml.safe_dump({"errata": items}), encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------------------------


def test_load_a_valid_file(tmp_path):
    (loaded,) = load_errata(write(tmp_path, [VALID_ITEM]))
    assert loaded.key == "kinesis-data-streams-retention"
    assert loaded.subject == "Kinesis Data Streams"
    assert loaded.checked_on == date(2026, 11, 24)
    assert loaded.pattern.search("Data RETENTION can go up to 7 days")  # case-insensitive


def test_null_subject_and_yaml_dates_are_accepted(tmp_path):
    path = tmp_path / "errata.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            errata:
              - key: ec2-classic
                subject: null
                attribute: EC2-Classic networking
                pattern: 'ec2.classic'
                change: retired
                outdated_value: EC2-Classic
                current_value: retired in 2023
                reason: Retired.
                checked_on: 2026-11-24
            """
        ),
        encoding="utf-8",
    )
    (loaded,) = load_errata(path)
    assert loaded.subject is None
    assert loaded.checked_on == date(2026, 11, 24)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"pattern": "retention (7 days"}, "pattern does not compile"),
        ({"colour": "red"}, "unknown field"),
        ({"reason": ""}, "missing required field"),
        ({"current_value": None}, "missing required field"),
        ({"change": "moved"}, "change must be one of"),
        ({"checked_on": "late 2026"}, "checked_on"),
        ({"key": "Not A Slug"}, "slug"),
        ({"attribute": 7}, "attribute must be a string"),
    ],
)
def test_invalid_entries_are_rejected_naming_the_key(tmp_path, change, message):
    item = {**VALID_ITEM, **change}
    with pytest.raises(ValueError, match=message) as raised:
        load_errata(write(tmp_path, [item]))
    if isinstance(item.get("key"), str) and item["key"]:
        assert repr(item["key"]) in str(raised.value)


def test_missing_key_field_is_rejected(tmp_path):
    item = {k: v for k, v in VALID_ITEM.items() if k != "key"}
    with pytest.raises(ValueError, match=r"errata\[0\].*missing required field\(s\) key"):
        load_errata(write(tmp_path, [item]))


def test_duplicate_keys_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="'kinesis-data-streams-retention': duplicate key"):
        load_errata(write(tmp_path, [VALID_ITEM, dict(VALID_ITEM)]))


def test_unknown_subjects_are_rejected_when_the_catalog_is_given(tmp_path):
    path = write(tmp_path, [{**VALID_ITEM, "subject": "Kinesis Data Stream"}])
    with pytest.raises(ValueError, match="unknown subject 'Kinesis Data Stream'"):
        load_errata(path, known_subjects={"Kinesis Data Streams"})


@pytest.mark.parametrize("content", ["errata: {}\n", "- a\n", "errata: [\n"])
def test_malformed_files_are_rejected(tmp_path, content):
    path = tmp_path / "errata.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=r"errata\.yaml"):
        load_errata(path)


# --------------------------------------------------------------------------------------------
# matching
# --------------------------------------------------------------------------------------------


def test_a_subject_erratum_matches_facts_about_that_subject_only():
    errata = [erratum()]
    assert match_erratum(fact("Data retention can go up to 7 days."), errata) is errata[0]
    assert match_erratum(fact("Retention up to 7 days.", subject="SQS"), errata) is None
    assert match_erratum(fact("Retention up to 365 days."), errata) is None


def test_a_fact_without_subject_matches_when_it_names_the_service():
    errata = [erratum()]
    named = fact("Kinesis Data Streams keep data up to 7 days.", subject=None)
    unnamed = fact("Data storage for 1 to 7 days.", subject=None)
    assert match_erratum(named, errata) is errata[0]
    assert match_erratum(unnamed, errata) is None
    # Aliases (from the catalog) count as naming the service.
    aliased = fact("KDS keeps data up to 7 days.", subject=None)
    subjects = SubjectIndex(names={"Kinesis Data Streams": ("KDS",)}, parents={})
    assert match_erratum(aliased, errata) is None
    assert match_erratum(aliased, errata, subjects=subjects) is errata[0]


def test_a_subject_erratum_covers_the_features_of_its_service():
    errata = [erratum(subject="EBS", pattern="500 GiB")]
    cold_hdd = fact("Cold HDD: 500 GiB to 16 TiB.", subject="EBS Cold HDD")
    subjects = SubjectIndex(names={}, parents={"EBS Cold HDD": "EBS"})
    assert match_erratum(cold_hdd, errata) is None  # without the catalog: another subject
    assert match_erratum(cold_hdd, errata, subjects=subjects) is errata[0]
    other = fact("Cold HDD: 500 GiB to 16 TiB.", subject="EFS")
    assert match_erratum(other, errata, subjects=subjects) is None


def test_an_erratum_without_subject_matches_any_fact_its_pattern_matches():
    errata = [erratum(subject=None, pattern=r"ec2.classic")]
    assert match_erratum(fact("DB security groups on EC2-Classic.", subject="RDS"), errata)
    assert match_erratum(fact("Runs on EC2-Classic.", subject=None), errata)


def test_the_most_specific_erratum_wins():
    general = erratum("general", subject=None, pattern="7 days")
    specific = erratum("specific", pattern="retention.*7 days")
    longer_general = erratum("longer", subject=None, pattern="retention can go up to 7 days")
    errata = [general, longer_general, specific]
    assert match_erratum(fact("Retention can go up to 7 days."), errata) is specific
    # Among errata without a subject the longer pattern wins; ties keep file order.
    assert match_erratum(fact("Retention can go up to 7 days.", "SQS"), errata) is longer_general
    twin = erratum("twin", subject=None, pattern="7 days")
    assert match_erratum(fact("7 days.", "SQS"), [general, twin]) is general


def test_correction_note():
    note = correction_note(erratum())
    assert note == (
        "Older notes say 7 days; the current maximum data retention is 365 days "
        "(checked 2026-11-24)."
    )
    renamed = ErratumSpec(
        **{
            **erratum().__dict__,
            "change": "renamed",
            "outdated_value": "AWS SSO",
            "current_value": "IAM Identity Center",
        }
    )
    assert correction_note(renamed) == (
        "Older notes call it AWS SSO; it is now IAM Identity Center (checked 2026-11-24)."
    )


# --------------------------------------------------------------------------------------------
# the shipped errata and the real notes
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def subjects() -> SubjectIndex:
    assert CATALOG.is_file(), f"The service catalog is expected at {CATALOG}."
    return SubjectIndex.from_catalog(load_catalog(CATALOG))


@pytest.fixture(scope="module")
def shipped(subjects) -> list[ErratumSpec]:
    return load_errata(ERRATA, known_subjects=set(subjects.names))


def test_the_shipped_errata_load_and_name_catalog_subjects(shipped, subjects):
    assert len(shipped) >= MIN_ERRATA
    assert len({item.key for item in shipped}) == len(shipped)
    for item in shipped:
        assert item.subject is None or item.subject in subjects.names, item.key
        assert item.checked_on <= date.today(), item.key
        assert correction_note(item).endswith(f"(checked {item.checked_on.isoformat()}).")


def test_every_erratum_matches_real_facts(shipped, subjects):
    """Each entry must correct at least one fact the ingester extracts from the real notes; an
    entry that matches nothing is stale (the notes or the extractor changed) and fails here."""
    matched: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for record in real_facts():
        found = match_erratum(record, shipped, subjects=subjects)
        if found is not None:
            matched[found.key] += 1
            examples.setdefault(
                found.key, f"{record.source}:{record.line_start} {record.statement}"
            )
    for item in shipped:
        print(f"{item.key}: {matched[item.key]}  e.g. {examples.get(item.key, '-')[:140]}")
    unmatched = [item.key for item in shipped if not matched[item.key]]
    assert not unmatched, f"errata matching no real fact: {unmatched}"
    assert sum(1 for item in shipped if matched[item.key]) >= 25


@pytest.mark.parametrize(
    "statement",
    [
        # Already current: the errata must leave these alone.
        "Kinesis Data Streams: data retention is 24 hours by default, can go up to 365 days "
        "(previously: 7 days).",
        "IAM Identity Center (formerly AWS SSO) integrates with AWS Organizations.",
        "AWS OpenSearch is a managed service (previously Elasticsearch).",
        "Spot Block (Discontinued) provides a set duration (1 to 6 hours). This option is no "
        "longer available.",
        "Disk capacity in the function container (in /tmp): 512MB to 10GB.",
        "S3 Glacier Flexible Retrieval: expedited (1 to 5 minutes).",
        "S3 Glacier Deep Archive: bulk (48 hours).",
        "CloudWatch Events (Amazon EventBridge) can be used to automate responses.",
    ],
)
def test_current_statements_are_not_flagged(shipped, statement):
    subject = (
        "Kinesis Data Streams"
        if "Kinesis" in statement
        else "EC2"
        if "Spot" in statement
        else "Lambda"
        if "/tmp" in statement
        else "S3"
    )
    assert match_erratum(fact(statement, subject), shipped) is None

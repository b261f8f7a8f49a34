"""Tests for notes.conflicts: synthetic pairs per rule, then the real study notes.

Plain pytest, no database: run with
`pytest tests/notes/test_conflicts.py -p no:django`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from notes.conflicts import Conflict, FactRecord, attribute_key, find_conflicts
from notes.extract import extract_facts, parse_quantity
from notes.linking import CatalogEntry, ServiceMatcher, load_catalog
from notes.readers import read_glossary_tsv, read_markdown

NOTES_DIR = Path(__file__).resolve().parents[3] / "shared" / "notes"
CATALOG = Path(__file__).resolve().parents[2] / "fixtures" / "services.yaml"
# Measured over the real notes (see `test_real_notes_conflicts`): 25 conflicts, all real.
MIN_REAL_CONFLICTS = 22


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------

_ids = iter(range(1, 1_000_000))


def fact(
    statement: str,
    subject: str | None = "S3",
    *,
    source: str = "a.md",
    line: int | None = None,
    concept: str = "",
) -> FactRecord:
    """A fact as ingestion would store it: value and unit from the first quantity."""
    identifier = next(_ids)
    quantities = parse_quantity(statement)
    first = quantities[0] if quantities else None
    return FactRecord(
        id=identifier,
        subject=subject,
        concept=concept,
        kind="attribute" if first else "feature",
        statement=statement,
        value=first.value_text if first else "",
        value_number=first.number_in_base_unit if first else None,
        unit=first.unit_family if first else "",
        source=source,
        line_start=line if line is not None else identifier * 100,  # far apart by default
    )


def pair(first: FactRecord, second: FactRecord) -> list[Conflict]:
    return find_conflicts([first, second])


# --------------------------------------------------------------------------------------------
# numeric conflicts
# --------------------------------------------------------------------------------------------


def test_different_maximums_conflict_after_unit_normalisation():
    old = fact("Kinesis Data Streams: data retention can go up to 7 days.", "Kinesis Data Streams")
    new = fact(
        "Kinesis Data Streams: data retention can go up to 365 days.", "Kinesis Data Streams"
    )
    (conflict,) = pair(old, new)
    assert (conflict.first, conflict.second) == (old.id, new.id)
    assert conflict.reason == "7 days vs 365 days"
    assert conflict.attribute == "kinesis data streams|max retention"


def test_kilobytes_and_mebibytes_are_compared_in_bytes():
    (conflict,) = pair(
        fact("SQS: maximum message size is 256 KB.", "SQS"),
        fact("SQS: maximum message size is 1 MiB.", "SQS"),
    )
    assert conflict.reason == "256 KB vs 1 MiB"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("S3: maximum object size is 5 TB.", "S3: maximum object size is 5000 GB."),
        ("S3: maximum object size is 1 GB.", "S3: maximum object size is 1000 MB."),
        # 1 GiB is 7.4 % more than 1 GB: the same limit written loosely.
        ("S3: maximum object size is 1 GiB.", "S3: maximum object size is 1 GB."),
        (
            "S3: presigned URL validity is at most 60 minutes.",
            "S3: presigned URL validity is at most 3600 seconds.",
        ),
    ],
)
def test_values_equal_after_normalisation_do_not_conflict(first, second):
    assert pair(fact(first), fact(second)) == []


def test_different_attributes_do_not_conflict():
    facts = [
        fact("SQS: maximum message retention is 14 days.", "SQS"),
        fact("SQS: maximum visibility timeout is 12 hours.", "SQS"),
        fact("SQS: maximum delay of a message is 15 minutes.", "SQS"),
        fact("SQS: long polling wait time is at most 20 seconds.", "SQS"),
    ]
    assert find_conflicts(facts) == []


def test_min_and_max_of_one_attribute_do_not_conflict():
    facts = [
        fact("SQS: the minimum message retention is 60 seconds.", "SQS"),
        fact("SQS: the maximum message retention is 14 days.", "SQS"),
        fact("SQS: message retention is 4 days by default.", "SQS"),
    ]
    assert find_conflicts(facts) == []


def test_per_region_and_per_account_limits_do_not_conflict():
    per_region = fact("EC2: up to 5 Elastic IP addresses per Region.", "EC2")
    per_account = fact("EC2: up to 20 Elastic IP addresses per account.", "EC2")
    assert pair(per_region, per_account) == []
    # The same scope with another number is a conflict.
    other_region = fact("EC2: up to 10 Elastic IP addresses per Region.", "EC2")
    assert len(pair(per_region, other_region)) == 1


def test_get_and_put_rates_do_not_conflict():
    put = fact("S3: 3,500 PUT requests per second per prefix.")
    get = fact("S3: 5,500 GET requests per second per prefix.")
    assert pair(put, get) == []


def test_siblings_of_one_table_do_not_conflict():
    facts = [
        fact("For io1, the max IOPS is 64,000.", "EBS", source="b.md", line=10),
        fact("For io2, the max IOPS is 256,000.", "EBS", source="c.md", line=10),
        fact("For gp2, the max IOPS is 16,000.", "EBS", source="d.md", line=10),
    ]
    assert find_conflicts(facts) == []


def test_ranges_conflict_on_either_end():
    old = fact("For st1, the size is 500 GiB - 16 TiB.", "EBS", source="old.md")
    new = fact("For st1, the size is 125 GiB - 16 TiB.", "EBS", source="new.md")
    (conflict,) = pair(old, new)
    assert conflict.reason == "500 GiB - 16 TiB vs 125 GiB - 16 TiB"


def test_a_range_is_compared_with_a_maximum_and_a_minimum():
    old = fact("Lambda RAM: from 128 MB to 3,008 MB.", "Lambda")
    new = fact("Lambda RAM: up to 10 GB.", "Lambda")
    (conflict,) = pair(old, new)
    assert conflict.reason == "128 MB to 3,008 MB vs 10 GB"
    # Its lower end is compared with a minimum…
    (conflict,) = pair(old, fact("Lambda RAM: minimum 256 MB.", "Lambda"))
    assert conflict.reason == "128 MB to 3,008 MB vs 256 MB"
    assert pair(old, fact("Lambda RAM: minimum 128 MB.", "Lambda")) == []
    # …and a minimum is never compared with a maximum.
    assert pair(new, fact("Lambda RAM: minimum 128 MB.", "Lambda")) == []


def test_default_and_maximum_do_not_conflict():
    facts = [
        fact(
            "Kinesis Data Streams: data retention is 24 hours by default.", "Kinesis Data Streams"
        ),
        fact("Kinesis Data Streams: data retention can go up to 365 days.", "Kinesis Data Streams"),
    ]
    assert find_conflicts(facts) == []


def test_values_the_note_marks_as_outdated_are_not_claims():
    current = fact(
        "Kinesis Data Streams: data retention can go up to 365 days (previously: 7 days).",
        "Kinesis Data Streams",
    )
    same = fact("Kinesis Data Streams: retention up to 365 days.", "Kinesis Data Streams")
    assert pair(current, same) == []


def test_worked_examples_are_not_claims():
    facts = [
        fact("DynamoDB: example 1: we write 10 objects per second of 2 KB each.", "DynamoDB"),
        fact("DynamoDB: example 2: we write 6 objects per second of 4.5 KB each.", "DynamoDB"),
    ]
    assert find_conflicts(facts) == []


def test_conditional_values_do_not_conflict_with_plain_ones():
    plain = fact("SQS: message size of max 256 KB.", "SQS")
    extended = fact("SQS: message size of max 2 GB with the Extended Client Library.", "SQS")
    assert pair(plain, extended) == []


def test_different_subjects_never_conflict():
    assert (
        pair(
            fact("SQS: maximum message size is 256 KB.", "SQS"),
            fact("Kinesis Data Streams: maximum message size is 1 MB.", "Kinesis Data Streams"),
        )
        == []
    )


def test_facts_without_subject_are_not_compared():
    assert (
        pair(
            fact("Maximum duration: 1 year.", None),
            fact("Maximum duration: 5 minutes.", None),
        )
        == []
    )


def test_neighbours_in_one_file_are_siblings_not_contradictions():
    # "Standard workflows … 1 year", "Express workflows … 5 minutes": two columns of one table.
    standard = fact("Maximum duration: 1 year.", "Step Functions", source="g.tsv", line=1327)
    express = fact("Maximum duration: 5 minutes.", "Step Functions", source="g.tsv", line=1332)
    assert pair(standard, express) == []
    # The same two statements far apart (or in two files) do contradict each other.
    far = fact("Maximum duration: 5 minutes.", "Step Functions", source="g.tsv", line=1500)
    assert len(pair(standard, far)) == 1


def test_conflicts_are_found_across_files_and_within_one():
    facts = [
        fact("Aurora storage automatically grows up to 64 TB.", "Aurora", source="x.md", line=5),
        fact("Aurora: storage automatically grows up to 128 TB.", "Aurora", source="y.md", line=5),
        fact("Aurora: storage grows up to 128 TB.", "Aurora", source="x.md", line=400),
    ]
    conflicts = find_conflicts(facts)
    assert {(c.first, c.second) for c in conflicts} == {
        (facts[0].id, facts[1].id),
        (facts[0].id, facts[2].id),
    }
    assert all(c.first < c.second for c in conflicts)


def test_a_statement_copied_into_two_files_does_not_contradict_itself():
    text = "Caching: default TTL is 300 seconds (min: 0s, max: 3600s)."
    assert (
        pair(fact(text, "API Gateway", source="a.md"), fact(text, "API Gateway", source="b.md"))
        == []
    )


# A tiny catalog: RDS with two features.
CATALOG_ENTRIES = [
    CatalogEntry("RDS", "Amazon Relational Database Service", ("Relational Database Service",)),
    CatalogEntry("RDS Read Replicas", "Amazon RDS read replicas", (), parent="RDS"),
    CatalogEntry("RDS Multi-AZ", "Amazon RDS Multi-AZ deployments", (), parent="RDS"),
]


def test_a_feature_is_compared_with_its_service_when_the_catalog_is_given():
    feature = fact("RDS Read Replicas: up to 15 replicas.", "RDS Read Replicas")
    service = fact("RDS: you can create up to 5 read replicas.", "RDS")
    assert pair(feature, service) == []  # without the catalog: two subjects
    (conflict,) = find_conflicts([feature, service], catalog=CATALOG_ENTRIES)
    assert conflict.attribute == "rds|max replica"
    assert conflict.reason == "15 replicas vs 5 read"


def test_a_service_fact_must_name_the_feature_to_meet_it():
    feature = fact("RDS Multi-AZ: failover takes up to 2 minutes.", "RDS Multi-AZ")
    other = fact("RDS: a snapshot restore takes up to 20 minutes.", "RDS")
    assert find_conflicts([feature, other], catalog=CATALOG_ENTRIES) == []


def test_two_features_of_one_service_never_conflict():
    replicas = fact("Read replicas: up to 15 replicas.", "RDS Read Replicas")
    multi_az = fact("Multi-AZ: up to 2 replicas.", "RDS Multi-AZ")
    assert find_conflicts([replicas, multi_az], catalog=CATALOG_ENTRIES) == []


def test_catalog_names_are_not_attribute_words():
    record = fact("Relational Database Service: maximum storage is 64 TiB.", "RDS")
    assert attribute_key(record) == "rds|max relational database storage"
    assert attribute_key(record, catalog=CATALOG_ENTRIES) == "rds|max storage"


# --------------------------------------------------------------------------------------------
# polarity conflicts
# --------------------------------------------------------------------------------------------


def test_polarity_conflicts():
    yes = fact("New S3 objects are encrypted by default.")
    no = fact("New S3 objects are not encrypted by default.")
    (conflict,) = pair(yes, no)
    assert conflict.reason == "are vs are not"
    cannot = fact("HDD volumes cannot be used as a boot volume.", "EBS")
    can = fact("HDD volumes can be used as a boot volume.", "EBS")
    (conflict,) = pair(can, cannot)
    assert conflict.reason == "cannot vs can"
    assert conflict.first == cannot.id


def test_table_verdicts_are_polarity():
    (conflict,) = pair(
        fact("For Network Load Balancer, WebSocket support: no.", "ELB"),
        fact("For Network Load Balancer, WebSocket support: yes.", "ELB"),
    )
    assert conflict.reason == "no vs yes"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # A negation inside a subordinate clause does not negate the statement.
        (
            "RDS backups degrade performance if Multi-AZ is not enabled.",
            "RDS backups degrade performance if Multi-AZ is enabled.",
        ),
        # Different words once the negation is gone: different claims.
        (
            "HDD volumes cannot be used as a boot volume.",
            "SSD volumes can be used as a boot volume.",
        ),
        ("Not applicable for compute services.", "Applicable for compute services."),
    ],
)
def test_polarity_non_conflicts(first, second):
    assert pair(fact(first, "RDS"), fact(second, "RDS")) == []


def test_polarity_needs_the_same_subject():
    assert (
        pair(
            fact("Encrypted by default at rest.", "S3"),
            fact("Not encrypted by default at rest.", "EBS"),
        )
        == []
    )


# --------------------------------------------------------------------------------------------
# attribute_key
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "subject", "key"),
    [
        ("S3: maximum object size is 5 TB.", "S3", "s3|max object size"),
        (
            "SQS Visibility Timeout: configurable up to 12 hours.",
            "SQS",
            "sqs|max visibility timeout",
        ),
        ("Default (SQS Visibility Timeout): 30 seconds.", "SQS", "sqs|default visibility timeout"),
        ("For io1, the max IOPS is 64,000.", "EBS", "ebs|max io1 iop"),
        ("HDD volumes cannot be a boot volume.", "EBS", "ebs|hdd volume boot"),
    ],
)
def test_attribute_key(statement, subject, key):
    assert attribute_key(fact(statement, subject)) == key


def test_attribute_key_is_none_without_subject():
    assert attribute_key(fact("Maximum duration: 1 year.", None)) is None


def test_worded_differently_same_key_family():
    # Differently worded statements about one attribute must be compared (and conflict).
    facts = [
        fact(
            "Lambda function important: easy to get more resources (up to 3GB of RAM!).", "Lambda"
        ),
        fact("RAM (Execution): from 128MB up to 10GB.", "Lambda"),
        fact("For RAM, the limit is 128 MB to 10GB.", "Lambda"),
    ]
    reasons = {c.reason for c in find_conflicts(facts)}
    assert reasons == {"3GB vs 10GB", "3GB vs 128 MB to 10GB"}


# --------------------------------------------------------------------------------------------
# the real notes
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def real_facts() -> tuple[FactRecord, ...]:
    """Facts of the real notes, built the way the ingester builds them; ids by enumeration."""
    assert NOTES_DIR.is_dir(), f"The study notes are expected at {NOTES_DIR}."
    assert CATALOG.is_file(), f"The service catalog is expected at {CATALOG}."
    matcher = ServiceMatcher(load_catalog(CATALOG))
    facts: list[FactRecord] = []
    for path in sorted(NOTES_DIR.iterdir()):
        if path.suffix not in {".md", ".tsv"} or path.name == "README.md":
            continue
        text = path.read_text(encoding="utf-8")
        reader = read_glossary_tsv if path.suffix == ".tsv" else read_markdown
        for section in reader(text, file_name=path.name).sections:
            for draft, service in extract_facts(section, resolver=matcher):
                facts.append(
                    FactRecord(
                        id=len(facts) + 1,
                        subject=service,
                        concept=draft.concept,
                        kind=draft.kind,
                        statement=draft.statement,
                        value=draft.value,
                        value_number=draft.value_number,
                        unit=draft.unit,
                        source=path.name,
                        line_start=draft.line_start,
                    )
                )
    assert len(facts) > 3000
    return tuple(facts)


def describe(conflict: Conflict, by_id: dict[int, FactRecord]) -> str:
    first, second = by_id[conflict.first], by_id[conflict.second]
    return (
        f"{conflict.attribute}: {conflict.reason} "
        f"({first.source}:{first.line_start} / {second.source}:{second.line_start})"
    )


def test_every_real_conflict_is_a_pair_of_distinct_facts():
    facts = real_facts()
    by_id = {f.id: f for f in facts}
    for conflict in find_conflicts(facts, catalog=load_catalog(CATALOG)):
        first, second = by_id[conflict.first], by_id[conflict.second]
        assert conflict.first < conflict.second
        assert first.subject and second.subject
        assert conflict.reason.count(" vs ") == 1


def test_real_notes_conflicts():
    facts = real_facts()
    by_id = {f.id: f for f in facts}
    catalog = load_catalog(CATALOG)
    conflicts = find_conflicts(facts, catalog=catalog)
    for conflict in conflicts:
        print(describe(conflict, by_id))
    assert len(conflicts) >= MIN_REAL_CONFLICTS
    # Contradictions the notes are known to contain (each one checked by hand).
    found = {(c.attribute.split("|")[0], c.reason) for c in conflicts}
    for expected in [
        ("aurora", "64 TB vs 128 TB"),
        ("kinesis data streams", "7 days vs 365 days"),
        ("lambda", "3GB vs 10GB"),
        ("lambda", "512MB to 10GB vs 512 MB"),
        ("rds", "15 replicas vs 5 read"),
        ("ebs", "125 GiB - 16TiB vs 500 GiB – 16 TiB"),
    ]:
        assert expected in found, expected

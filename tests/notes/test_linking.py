"""The AWS service catalog (fixtures/services.yaml) and the linker over it (notes.linking).

Plain functions, no database: `notes.linking` is pure Python. The coverage tests read the real
study notes in ../shared/notes and fail (never skip) when they are missing.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from notes.linking import CatalogEntry, ServiceMatcher, load_catalog

CATALOG = Path(__file__).resolve().parents[2] / "fixtures" / "services.yaml"
NOTES_DIR = Path(__file__).resolve().parents[3] / "shared" / "notes"
NOTE_FILES = (
    "aws-glossary.tsv",
    "aws-services-notes.md",
    "saa-associate-notes.md",
    "saa-c02-notes.md",
    "sap-professional-notes.md",
)

# The categories of notes.models.Service.Category.
CATEGORIES = frozenset(
    {
        *("compute", "containers", "serverless", "storage", "database", "networking"),
        *("content_delivery", "security", "identity", "integration", "analytics"),
        *("machine_learning", "management", "monitoring", "developer_tools", "migration"),
        *("cost_management", "end_user_computing", "iot", "media", "frontend_mobile"),
        "governance",
    }
)
REQUIRED_FIELDS = {"name", "short_name", "category", "kind", "parent", "aliases", "former_names"}
OPTIONAL_FIELDS = {"retired"}
# notes.models.Service column sizes.
MAX_NAME, MAX_SHORT_NAME = 200, 80


@pytest.fixture(scope="module")
def items() -> list[dict]:
    return yaml.safe_load(CATALOG.read_text(encoding="utf-8"))["services"]


@pytest.fixture(scope="module")
def entries() -> list[CatalogEntry]:
    return load_catalog(CATALOG)


@pytest.fixture(scope="module")
def matcher(entries: list[CatalogEntry]) -> ServiceMatcher:
    return ServiceMatcher(entries)


@pytest.fixture(scope="module")
def note_lines() -> list[str]:
    assert NOTES_DIR.is_dir(), f"The study notes are expected at {NOTES_DIR}."
    missing = [name for name in NOTE_FILES if not (NOTES_DIR / name).is_file()]
    assert not missing, f"Missing note files in {NOTES_DIR}: {missing}"
    return [
        line
        for name in NOTE_FILES
        for line in (NOTES_DIR / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def short_names(matcher: ServiceMatcher, text: str) -> list[str]:
    return [match.short_name for match in matcher.find(text)]


# --- the catalog file ---------------------------------------------------------------------------


def test_the_catalog_lists_at_least_150_services_and_features(entries) -> None:
    assert len(entries) >= 150


def test_every_item_has_the_documented_fields(items) -> None:
    for item in items:
        where = item.get("short_name", item)
        assert set(item) >= REQUIRED_FIELDS, where
        assert set(item) <= REQUIRED_FIELDS | OPTIONAL_FIELDS, where
        assert isinstance(item["name"], str) and 0 < len(item["name"]) <= MAX_NAME, where
        assert isinstance(item["short_name"], str), where
        assert 0 < len(item["short_name"]) <= MAX_SHORT_NAME, where
        assert item["kind"] in {"service", "feature"}, where
        for field in ("aliases", "former_names"):
            assert isinstance(item[field], list), where
            assert all(isinstance(value, str) and value.strip() for value in item[field]), where
        assert isinstance(item.get("retired", False), bool), where


def test_categories_come_from_the_allowed_list(items) -> None:
    assert {item["category"] for item in items} <= CATEGORIES


def test_features_name_an_existing_service_as_parent(items) -> None:
    kinds = {item["short_name"]: item["kind"] for item in items}
    for item in items:
        if item["kind"] == "feature":
            assert kinds.get(item["parent"]) == "service", item["short_name"]
        else:
            assert item["parent"] is None, item["short_name"]


def test_every_name_belongs_to_exactly_one_entry_after_case_folding(entries) -> None:
    owners: dict[str, set[str]] = {}
    for entry in entries:
        for term, _rank in entry.terms():
            owners.setdefault(term.casefold(), set()).add(entry.short_name)
    shared = {term: names for term, names in owners.items() if len(names) > 1}
    assert not shared


def test_aliases_do_not_repeat_their_own_entry(entries) -> None:
    for entry in entries:
        own = {entry.short_name.casefold(), entry.name.casefold()}
        others = [name.casefold() for name in (*entry.aliases, *entry.former_names)]
        assert not own & set(others), entry.short_name
        assert len(others) == len(set(others)), entry.short_name


def test_no_two_entries_share_a_lookup_key(matcher) -> None:
    # Stricter than the test above: spacing, punctuation and plural variants must not clash.
    assert matcher.conflicts == ()


def test_renamed_services_are_listed_under_their_current_name(items) -> None:
    current = {item["short_name"]: item for item in items}
    assert current["OpenSearch"]["name"] == "Amazon OpenSearch Service"
    assert current["EventBridge"]["name"] == "Amazon EventBridge"
    assert current["Managed Service for Apache Flink"]["name"] == (
        "Amazon Managed Service for Apache Flink"
    )
    assert current["IAM Identity Center"]["name"] == "AWS IAM Identity Center"
    assert current["Data Firehose"]["name"] == "Amazon Data Firehose"
    assert current["KMS key"]["parent"] == "KMS"
    assert current["Server Migration Service"]["retired"] is True


# --- resolve ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old_name", "short_name"),
    [
        ("Elasticsearch", "OpenSearch"),
        ("Amazon Elasticsearch Service", "OpenSearch"),
        ("Amazon ES", "OpenSearch"),
        ("CloudWatch Events", "EventBridge"),
        ("AWS SSO", "IAM Identity Center"),
        ("Single Sign-On", "IAM Identity Center"),
        ("AWS Single Sign-On", "IAM Identity Center"),
        ("Kinesis Data Analytics", "Managed Service for Apache Flink"),
        ("Kinesis Firehose", "Data Firehose"),
        ("Kinesis Data Firehose", "Data Firehose"),
        ("CMK", "KMS key"),
        ("CMKs", "KMS key"),
        ("customer master key", "KMS key"),
        ("CloudEndure Migration", "MGN"),
        ("Amazon Glacier", "S3 Glacier"),
        ("Fault Injection Simulator", "Fault Injection Service"),
        ("DDoS Response Team", "Shield Response Team"),
        ("AWS Transfer for SFTP", "Transfer Family"),
        ("Elastic MapReduce", "EMR"),
        ("ACM Private CA", "Private CA"),
    ],
)
def test_former_names_resolve_to_the_current_entry(matcher, old_name, short_name) -> None:
    assert matcher.resolve(old_name) == short_name


@pytest.mark.parametrize(
    ("name", "short_name"),
    [
        ("S3", "S3"),
        ("Amazon S3", "S3"),
        ("amazon s3", "S3"),
        ("Simple Storage Service", "S3"),
        ("Amazon Simple Storage Service", "S3"),
        ("AWS Lambda", "Lambda"),
        ("Route53", "Route 53"),
        ("route 53", "Route 53"),
        ("Dynamo DB", "DynamoDB"),
        ("Cloudfront", "CloudFront"),
        ("Cloud Front", "CloudFront"),
        ("ElasticSearch", "OpenSearch"),
        ("X Ray", "X-Ray"),
        ("auto-scaling group", "EC2 Auto Scaling"),
        ("ASG", "EC2 Auto Scaling"),
        ("Security Groups", "Security Group"),
        ("security group", "Security Group"),
        ("NACLs", "NACL"),
        ("Network ACLs", "NACL"),
        ("SCPs", "SCP"),
        ("Service Control Policies", "SCP"),
        ("Spot Fleets", "Spot Fleet"),
        ("Savings Plan", "Savings Plans"),
        ("S3 Glacier Deep Archive", "S3 Glacier Deep Archive"),
        ("Glacier", "S3 Glacier"),
        ("Kinesis Streams", "Kinesis Data Streams"),
        ("ALB", "ALB"),
        ("Application Load Balancer", "ALB"),
        ("AWS Config", "Config"),
        ("SSM Parameter Store", "Parameter Store"),
        ("  Amazon EC2:  ", "EC2"),
    ],
)
def test_names_resolve_whatever_their_spelling(matcher, name, short_name) -> None:
    assert matcher.resolve(name) == short_name


@pytest.mark.parametrize(
    "name",
    ["EBS volumes", "", "   ", "the cloud", "SSO", "RAM", "Amazon", "AWS", "S3, Glacier", "Backup"],
)
def test_resolve_is_none_for_anything_but_one_catalog_name(matcher, name) -> None:
    assert matcher.resolve(name) is None


# --- find ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Archive to S3 Glacier Deep Archive", ["S3 Glacier Deep Archive"]),
        ("S3 Glacier is cheap", ["S3 Glacier"]),
        ("Kinesis Data Streams keeps data 24 hours", ["Kinesis Data Streams"]),
        ("CloudWatch Events rules", ["EventBridge"]),
        ("Lambda@Edge runs at edge locations", ["Lambda@Edge"]),
        ("an Egress-Only Internet Gateway", ["Egress-Only Internet Gateway"]),
        ("Amazon EC2 Auto Scaling launches instances", ["EC2 Auto Scaling"]),
        ("KMS keys encrypt EBS snapshots", ["KMS key", "EBS Snapshots"]),
    ],
)
def test_the_longest_name_wins(matcher, text, expected) -> None:
    assert short_names(matcher, text) == expected


def test_matches_report_positions_and_surfaces_including_the_prefix(matcher) -> None:
    text = "Use Amazon S3 with aws lambda and Route53."
    matches = matcher.find(text)
    assert [(m.short_name, m.surface) for m in matches] == [
        ("S3", "Amazon S3"),
        ("Lambda", "aws lambda"),
        ("Route 53", "Route53"),
    ]
    for match in matches:
        assert text[match.start : match.end] == match.surface


@pytest.mark.parametrize(
    "text",
    [
        "the batch of glue config",
        "a shield against a bad forecast",
        "connect to the database and back up the data",
        "Double the RAM of the instance",
        "single sign-on (SSO) with a SAML identity provider",
        "it is an in-memory DB",
        "log in as ec2-user and open s3://bucket/sns",
        "Google Workspace users",
        "Build artifacts and Data Pipelines",
    ],
)
def test_ordinary_english_is_not_a_service(matcher, text) -> None:
    assert matcher.find(text) == []


def test_english_word_services_match_as_proper_nouns_or_after_aws(matcher) -> None:
    assert short_names(matcher, "Glue runs the ETL jobs") == ["Glue"]
    assert short_names(matcher, "turn on AWS config rules") == ["Config Rules"]
    assert short_names(matcher, "Macie finds PII; Batch runs jobs") == ["Macie", "Batch"]
    assert short_names(matcher, "Amazon Connect, not OpenID Connect") == ["Amazon Connect"]


def test_acronyms_match_in_capitals_only(matcher) -> None:
    assert short_names(matcher, "EC2 instances poll SQS") == ["EC2", "SQS"]
    assert short_names(matcher, "ec2 instances poll sqs") == []
    assert short_names(matcher, "three AMIs and two ENIs") == ["AMI", "ENI"]


def test_words_of_one_name_do_not_join_across_punctuation(matcher) -> None:
    assert short_names(matcher, "S3, Glacier") == ["S3", "S3 Glacier"]
    assert short_names(matcher, "S3/Glacier") == ["S3", "S3 Glacier"]
    assert short_names(matcher, "AppStream 2.0") == ["AppStream 2.0"]


def test_matches_never_overlap_and_come_in_text_order(matcher, note_lines) -> None:
    for line in note_lines[::7]:
        previous_end = 0
        for match in matcher.find(line):
            assert previous_end <= match.start < match.end, line
            assert line[match.start : match.end] == match.surface
            previous_end = match.end


def test_primary_is_the_most_mentioned_entry_then_the_first(matcher) -> None:
    assert matcher.primary("SNS fans out to SQS queues; SQS buffers the work") == "SQS"
    assert matcher.primary("SNS fans out to SQS") == "SNS"
    assert matcher.primary("no service here") is None


def test_find_is_fast_enough_for_the_ingester(matcher, note_lines) -> None:
    calls = 20_000
    sample = (note_lines * (calls // len(note_lines) + 1))[:calls]
    started = time.perf_counter()
    for line in sample:
        matcher.find(line)
    # ~1 s on a laptop; the bound only catches an accidental per-alias loop or regex blow-up.
    assert time.perf_counter() - started < 15


def test_a_clash_is_reported_and_the_short_name_wins() -> None:
    matcher = ServiceMatcher(
        [
            CatalogEntry(short_name="Alpha", name="AWS Alpha", aliases=("Beta",)),
            CatalogEntry(short_name="Beta", name="AWS Beta", aliases=()),
        ]
    )
    assert matcher.conflicts
    assert matcher.resolve("Beta") == "Beta"


def test_load_catalog_rejects_a_file_without_a_services_list(tmp_path: Path) -> None:
    broken = tmp_path / "services.yaml"
    broken.write_text("service:\n  - name: x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="services"):
        load_catalog(broken)
    broken.write_text("services:\n  - name: Only a name\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"services\[0\]"):
        load_catalog(broken)


# --- coverage over the real notes ---------------------------------------------------------------


def test_the_notes_mention_at_least_120_catalog_entries(matcher, note_lines) -> None:
    mentioned = Counter(m.short_name for line in note_lines for m in matcher.find(line))
    assert len(mentioned) >= 120, sorted(mentioned)


def test_most_lines_naming_an_aws_or_amazon_service_are_linked(matcher, note_lines) -> None:
    # A line with "AWS X" / "Amazon X" almost always names a service ("AWS Cloud", "AWS Region"
    # are the exceptions); measured 92 %.
    naming = [line for line in note_lines if re.search(r"\b(?:AWS|Amazon) [A-Z]", line)]
    linked = [line for line in naming if matcher.find(line)]
    assert len(naming) > 1000
    assert len(linked) / len(naming) >= 0.85

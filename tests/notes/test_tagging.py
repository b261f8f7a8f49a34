"""Tagging facts with exam task statements: data integrity, expected tags, matching rules, cost.

Plain functions, no database: `notes.tagging` is pure Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from notes import tagging
from notes.tagging import (
    CATEGORY_PRIORS,
    CERTIFICATIONS,
    SAA,
    SAP,
    TASK_STATEMENT_LEXICONS,
    TERM_PATTERN,
    Tag,
    explain,
    matched_terms,
    tag_fact,
)

BLUEPRINTS = Path(__file__).resolve().parents[2] / "fixtures" / "certifications.yaml"

# The categories of fixtures/services.yaml (and of notes.models.Service.Category).
SERVICE_CATEGORIES = (
    "compute",
    "containers",
    "serverless",
    "storage",
    "database",
    "networking",
    "content_delivery",
    "security",
    "identity",
    "integration",
    "analytics",
    "machine_learning",
    "management",
    "monitoring",
    "developer_tools",
    "migration",
    "cost_management",
    "end_user_computing",
    "iot",
    "media",
    "frontend_mobile",
    "governance",
)


def blueprint_codes() -> dict[str, set[str]]:
    data = yaml.safe_load(BLUEPRINTS.read_text(encoding="utf-8"))
    return {
        certification["code"]: {
            str(statement["code"])
            for domain in certification["domains"]
            for statement in domain["task_statements"]
        }
        for certification in data["certifications"]
    }


def top_tag(tags: list[Tag], certification: str) -> str | None:
    """The best task statement for one certification (tags come best first per certification)."""
    return next((t.task_statement for t in tags if t.certification == certification), None)


# --- the data ---------------------------------------------------------------------------------


def test_lexicons_cover_exactly_the_blueprint_task_statements() -> None:
    codes = blueprint_codes()
    assert set(codes) == set(CERTIFICATIONS)
    for certification, expected in codes.items():
        assert set(TASK_STATEMENT_LEXICONS[certification]) == expected, certification


def test_every_lexicon_is_rich_and_uses_the_documented_weights() -> None:
    allowed = {tagging.CORE_WEIGHT, tagging.RELATED_WEIGHT, tagging.WEAK_WEIGHT}
    for certification, by_code in TASK_STATEMENT_LEXICONS.items():
        for code, terms in by_code.items():
            assert len(terms) >= 12, f"{certification} {code} has only {len(terms)} terms"
            assert set(terms.values()) <= allowed, f"{certification} {code}"
            # The core tier carries the task statement; it must not be empty.
            assert tagging.CORE_WEIGHT in terms.values(), f"{certification} {code}"


def test_every_service_category_has_a_prior_for_both_certifications() -> None:
    assert set(CATEGORY_PRIORS) == set(SERVICE_CATEGORIES)
    for category, by_certification in CATEGORY_PRIORS.items():
        assert set(by_certification) == set(CERTIFICATIONS), category
        for certification, by_code in by_certification.items():
            assert by_code, f"{category} {certification}"
            assert set(by_code) <= set(TASK_STATEMENT_LEXICONS[certification])
            assert all(0 < weight <= 1 for weight in by_code.values())
            # Distinct weights: the fallback "best" tag never depends on a tie-break.
            assert len(set(by_code.values())) == len(by_code), f"{category} {certification}"


def test_service_catalog_categories_all_have_priors() -> None:
    # fixtures/services.yaml is written alongside this module; until it exists, the category list
    # above (the model's choices) stands in for it.
    catalog = BLUEPRINTS.parent / "services.yaml"
    categories = set(SERVICE_CATEGORIES)
    if catalog.exists():
        items = (yaml.safe_load(catalog.read_text(encoding="utf-8")) or {}).get("services") or []
        categories = {item["category"] for item in items}
    assert categories <= set(CATEGORY_PRIORS)


# --- expected tags for hand-written statements -------------------------------------------------

EXPECTED_TOP_TAGS = [
    (
        "S3 lifecycle rules move objects to Glacier Deep Archive after 180 days to cut costs",
        "storage",
        {SAA: "4.1"},
    ),
    ("Use KMS customer managed keys to encrypt EBS volumes at rest", "security", {SAA: "1.3"}),
    (
        "AWS DMS with SCT converts an Oracle schema to Aurora PostgreSQL during migration",
        "migration",
        {SAP: "4.2"},
    ),
    (
        "SCPs attached to an OU restrict what member accounts can do",
        "governance",
        {SAA: "1.1", SAP: "1.4"},
    ),
    ("Route 53 failover routing sends traffic to a standby Region", "networking", {SAA: "2.2"}),
    (
        "Amazon SQS sits between the web tier and the order workers so each side scales on its own",
        "integration",
        {SAA: "2.1"},
    ),
    (
        "Spot Instances can cut EC2 costs by up to 90% for interruptible batch jobs",
        "compute",
        {SAA: "4.2"},
    ),
    (
        "AWS WAF on an Application Load Balancer blocks SQL injection and cross-site scripting",
        "security",
        {SAA: "1.2"},
    ),
    (
        "DAX puts a microsecond read cache in front of read-heavy DynamoDB tables",
        "database",
        {SAA: "3.3"},
    ),
    (
        "One NAT gateway per Availability Zone avoids cross-AZ data transfer charges",
        "networking",
        {SAA: "4.4"},
    ),
    (
        "Transit Gateway joins hundreds of VPCs and the on-premises network over Direct Connect",
        "networking",
        {SAP: "1.1"},
    ),
    (
        "Pilot light keeps only the core database replicating in the DR Region",
        None,
        {SAA: "2.2", SAP: "2.2"},
    ),
    (
        "Kinesis Data Firehose buffers streaming records and writes them to S3 as Parquet",
        "analytics",
        {SAA: "3.5"},
    ),
    (
        "Cost allocation tags in Cost Explorer show every business unit what it spends",
        "cost_management",
        {SAP: "1.5"},
    ),
    (
        "Blue/green deployments with CodeDeploy shift traffic to the new version, then roll back",
        "developer_tools",
        {SAP: "2.1"},
    ),
    (
        "Application Discovery Service gathers server utilization to build the migration business"
        " case",
        "migration",
        {SAP: "4.1"},
    ),
    (
        "Break the monolith into microservices on Fargate to modernize the application",
        "containers",
        {SAP: "4.4"},
    ),
    (
        "An Auto Scaling group with target tracking adds instances when average CPU passes 60%",
        "compute",
        {SAA: "3.2"},
    ),
    ("io2 Block Express volumes reach 256,000 IOPS per volume", "storage", {SAA: "3.1"}),
    (
        "Aurora Serverless v2 shrinks capacity for spiky workloads and lowers database costs",
        "database",
        {SAA: "4.3"},
    ),
    (
        "CloudWatch alarms start Systems Manager Automation runbooks that remediate failures",
        "monitoring",
        {SAP: "3.1"},
    ),
    (
        "Amazon Inspector scans running instances for software vulnerabilities that need patching",
        "security",
        {SAP: "3.2"},
    ),
    (
        "Performance Insights shows which SQL queries are the bottleneck on an existing database",
        "database",
        {SAP: "3.3"},
    ),
    (
        "IAM Identity Center permission sets give users access to many accounts from one place",
        "identity",
        {SAA: "1.1", SAP: "1.2"},
    ),
]


@pytest.mark.parametrize(("statement", "category", "expected"), EXPECTED_TOP_TAGS)
def test_hand_written_statements_get_the_expected_top_tag(
    statement: str, category: str | None, expected: dict[str, str]
) -> None:
    tags = tag_fact(statement, category=category)
    for certification, code in expected.items():
        assert top_tag(tags, certification) == code, explain(statement, category=category)


def test_scp_statement_is_tagged_for_governance_in_both_exams() -> None:
    tags = tag_fact("SCPs attached to an OU restrict what member accounts can do", category=None)
    assert {(t.certification, t.task_statement) for t in tags} >= {(SAA, "1.1"), (SAP, "1.4")}


# --- confidence and selection ------------------------------------------------------------------


def test_confidences_are_in_zero_one_and_sorted_best_first() -> None:
    everything = " ".join(statement for statement, _, _ in EXPECTED_TOP_TAGS)
    for statement, category in [
        (everything, "storage"),
        *((s, c) for s, c, _ in EXPECTED_TOP_TAGS),
    ]:
        tags = tag_fact(statement, category=category)
        assert tags
        for certification in CERTIFICATIONS:
            confidences = [t.confidence for t in tags if t.certification == certification]
            assert confidences == sorted(confidences, reverse=True)
            assert len(confidences) <= tagging.MAX_TAGS_PER_CERTIFICATION
        assert all(0 < t.confidence <= 1 for t in tags)
        # SAA-C03 tags come before SAP-C02 tags.
        order = [CERTIFICATIONS.index(t.certification) for t in tags]
        assert order == sorted(order)


def test_a_statement_without_signal_or_category_gets_no_tags() -> None:
    assert tag_fact("The quick brown fox jumps over the lazy dog.", category=None) == []
    assert tag_fact("", category=None) == []
    assert explain("Nothing to see here.", category=None) == []


@pytest.mark.parametrize("category", SERVICE_CATEGORIES)
def test_category_alone_gives_its_prior_for_both_certifications(category: str) -> None:
    tags = tag_fact("", category=category)
    assert {t.certification for t in tags} == set(CERTIFICATIONS)
    for certification in CERTIFICATIONS:
        prior = CATEGORY_PRIORS[category][certification]
        assert top_tag(tags, certification) == max(prior, key=prior.__getitem__)
        assert {t.task_statement for t in tags if t.certification == certification} <= set(prior)


@pytest.mark.parametrize("category", SERVICE_CATEGORIES)
def test_a_service_linked_fact_is_always_tagged_for_both_exams(category: str) -> None:
    for statement in (
        "Pilot light keeps only the core database replicating in the DR Region",
        "SCPs attached to an OU restrict what member accounts can do",
        "Maximum object size is 5 TB",
    ):
        tags = tag_fact(statement, category=category)
        assert {t.certification for t in tags} == set(CERTIFICATIONS), (statement, category)


def test_more_evidence_means_more_confidence_and_repeats_count_once() -> None:
    def confidence(statement: str) -> float:
        tags = tag_fact(statement, category=None)
        return next(
            t.confidence for t in tags if (t.certification, t.task_statement) == (SAA, "1.3")
        )

    one = confidence("Data is encrypted")
    two = confidence("Data is encrypted at rest")
    three = confidence("Data is encrypted at rest with KMS")
    assert one < two < three
    assert confidence("Encrypt, encrypt, encrypt the data") == confidence("Encrypt the data")


def test_unknown_or_oddly_spelled_category() -> None:
    assert tag_fact("", category="Cost-Management") == tag_fact("", category="cost_management")
    assert tag_fact("", category="quantum") == []


# --- headings and service -----------------------------------------------------------------------


def test_heading_words_count_less_than_the_statement() -> None:
    in_statement = tag_fact("Objects move to Glacier Deep Archive", category=None)
    in_heading = tag_fact(
        "Objects move after 180 days", category=None, heading_path=("Glacier Deep Archive",)
    )
    assert top_tag(in_statement, SAA) == "4.1"
    # One core term in a heading is context, not enough for a tag on its own.
    assert in_heading == []
    with_prior = tag_fact(
        "Objects move after 180 days", category="storage", heading_path=("Glacier Deep Archive",)
    )
    assert top_tag(with_prior, SAA) == "4.1"
    statement_confidence = next(t.confidence for t in in_statement if t.task_statement == "4.1")
    heading_confidence = next(t.confidence for t in with_prior if t.task_statement == "4.1")
    assert heading_confidence < statement_confidence


def test_nearest_heading_weighs_more_than_outer_headings() -> None:
    nearest = tagging._collect_evidence("x", None, ("Intro", "Glacier"), None)
    outer = tagging._collect_evidence("x", None, ("Glacier", "Intro"), None)
    assert nearest[(SAA, "4.1", "Glacier")] > outer[(SAA, "4.1", "Glacier")]


def test_service_name_adds_evidence() -> None:
    without = tag_fact("Keys rotate every year", category="security")
    with_service = tag_fact("Keys rotate every year", category="security", service="KMS")
    assert top_tag(with_service, SAA) == "1.3"
    assert max(t.confidence for t in with_service if t.certification == SAA) > max(
        t.confidence for t in without if t.certification == SAA
    )


# --- matching rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "term", "fires"),
    [
        ("Reduce cost with lifecycle rules", "cost", True),
        ("Costs drop with lifecycle rules", "cost", True),
        ("A costume party", "cost", False),
        ("Attach the SCP to an OU", "OU", True),
        ("Nested OUs inherit policies", "OU", True),
        ("Would you like a policy?", "OU", False),
        ("the ou is lower case", "OU", False),
        ("KMS keys", "KMS", True),
        ("kms keys", "KMS", False),  # acronyms keep their case
        ("S30 is not a service", "S3", False),
        ("Objects in S3.", "S3", True),
        ("Multi-AZ deployment", "Multi-AZ", True),
        ("multi AZ deployment", "Multi-AZ", True),
        ("Data is encrypted", "encrypt*", True),
        ("encryption at rest", "encrypt*", True),
        ("cryptography", "encrypt*", False),
        ("a cost optimisation review", "cost optimiz*", True),  # British spelling
        ("blue-green and blue/green", "blue/green", True),
        ("Route53 health checks", "Route 53", True),
        ("An overcast sky", "cost", False),
    ],
)
def test_term_matching_is_word_bounded_and_case_aware(text: str, term: str, fires: bool) -> None:
    assert (term in matched_terms(text)) is fires, matched_terms(text)


def test_the_longest_phrase_wins_and_still_counts_its_inner_terms() -> None:
    hits = [m.group() for m in TERM_PATTERN.finditer("Move old logs to S3 Glacier Deep Archive")]
    assert hits[-2:] == ["S3 Glacier", "Deep Archive"]  # not "S3", then "Glacier", then …
    # A phrase hit also counts for the lexicon terms inside it.
    assert {"S3 Glacier", "S3", "Glacier"} <= set(matched_terms("S3 Glacier"))
    explained = explain("Move it to S3 Glacier", category=None)
    by_code = {(tag.certification, tag.task_statement): terms for tag, terms in explained}
    assert "S3 Glacier" in by_code[(SAA, "4.1")]


def test_explain_agrees_with_tag_fact_and_names_its_sources() -> None:
    kwargs = {"category": "storage", "heading_path": ("Storage", "Lifecycle"), "service": "S3"}
    statement = "Objects move to Glacier after 90 days"
    explained = explain(statement, **kwargs)
    assert [tag for tag, _ in explained] == tag_fact(statement, **kwargs)
    by_code = {(tag.certification, tag.task_statement): terms for tag, terms in explained}
    assert by_code[(SAA, "4.1")][0] == "Glacier"  # strongest evidence first
    assert "category:storage" in by_code[(SAA, "4.1")]
    assert "service:S3" in by_code[(SAA, "3.1")]
    assert any(term.startswith("heading:") for terms in by_code.values() for term in terms)


def test_tag_rejects_out_of_range_values() -> None:
    with pytest.raises(ValueError):
        Tag(SAA, "1.1", 0.0)
    with pytest.raises(ValueError):
        Tag(SAA, "1.1", 1.01)
    with pytest.raises(ValueError):
        Tag("CLF-C02", "1.1", 0.5)


def test_malformed_lexicons_are_refused_at_import() -> None:
    with pytest.raises(ValueError, match="repeats"):
        tagging._compile({SAA: {"1.1": {"Auto Scaling": 1.0, "auto-scaling": 2.0}}})
    with pytest.raises(ValueError, match="too loose"):
        tagging._compile({SAA: {"1.1": {"log*": 1.0}}})
    with pytest.raises(ValueError, match="malformed"):
        tagging._compile({SAA: {"1.1": {"(KMS)": 1.0}}})


# --- cost: linear by construction, checked without timing ---------------------------------------


def test_one_compiled_pattern_matches_every_term_of_every_lexicon() -> None:
    assert isinstance(TERM_PATTERN, re.Pattern)
    for by_code in TASK_STATEMENT_LEXICONS.values():
        for terms in by_code.values():
            for term in terms:
                sample = term.rstrip("*") + ("ing" if term.endswith("*") else "")
                assert TERM_PATTERN.fullmatch(sample), term


def test_the_pattern_is_a_prefix_trie_not_a_flat_alternation() -> None:
    # Shared prefixes are factored out, so at any position the engine follows one branch per
    # character instead of trying every term.
    atoms = [tagging._atoms(t, case_sensitive=False) for t in ("cost", "costs", "code", "cost*")]
    assert tagging._trie_regex(atoms[:3]) == "co(?:de|st(?:s)?)"
    assert "|".join(["cost", "code"]) not in TERM_PATTERN.pattern


def test_each_text_is_scanned_once_and_headings_are_cached(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    real_pattern = tagging._COMPILED.pattern

    class CountingPattern:
        def finditer(self, text: str) -> Iterator[re.Match[str]]:
            calls.append(text)
            return real_pattern.finditer(text)

    monkeypatch.setattr(tagging, "_COMPILED", replace(tagging._COMPILED, pattern=CountingPattern()))
    tagging._scan_cached.cache_clear()
    headings = ("Storage", "Amazon S3", "Lifecycle")
    for index in range(50):
        tag_fact(
            f"Fact {index} about Glacier", category="storage", heading_path=headings, service="S3"
        )
    # 50 statements + each distinct heading and service name once, whatever the fact count.
    assert len(calls) == 50 + len(headings) + 1
    tagging._scan_cached.cache_clear()

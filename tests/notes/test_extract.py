"""Tests for `notes.extract`: fact kinds, quantities, sentences, statements, and the real notes.

Plain pytest, no database. The synthetic tests use hand-made blocks and a tiny resolver; the
real-notes tests read /work/shared/notes with the real readers and service matcher.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notes.blocks import Block, FactDraft, ParsedSection
from notes.extract import (
    Quantity,
    extract_facts,
    find_acronyms,
    parse_quantity,
    split_sentences,
    statement_hash,
)

KINDS = {"definition", "acronym", "glossary", "attribute", "feature", "use_case", "comparison"}
UNITS = {"", "bytes", "seconds", "percent", "count", "port", "usd"}
UNITS |= {"bytes_per_second", "bits_per_second"}
LEFTOVER_MARKUP = re.compile(r"\*\*|\]\(|<br|<a |↖|`|^#|\|")


class TinyResolver:
    """A stand-in for `notes.linking.ServiceMatcher`: a few aliases, the first mention wins."""

    ALIASES = {
        "amazon s3": "S3",
        "s3": "S3",
        "simple storage service": "S3",
        "amazon ec2": "EC2",
        "ec2": "EC2",
        "elastic compute cloud": "EC2",
        "ebs": "EBS",
        "elastic block store": "EBS",
        "efs": "EFS",
        "elastic file system": "EFS",
        "sts": "STS",
        "security token service": "STS",
        "iam": "IAM",
        "kms": "KMS",
        "cloudhsm": "CloudHSM",
        "route 53": "Route 53",
        "lambda": "Lambda",
        "vpc": "VPC",
        "security groups": "VPC",
    }
    PATTERN = re.compile(
        r"(?<![\w-])(" + "|".join(sorted(map(re.escape, ALIASES), key=len, reverse=True)) + r")"
        r"(?![\w-])",
        re.IGNORECASE,
    )

    def resolve(self, name: str) -> str | None:
        return self.ALIASES.get(name.strip().lower())

    def primary(self, text: str) -> str | None:
        match = self.PATTERN.search(text)
        return self.ALIASES[match.group(1).lower()] if match else None


RESOLVER = TinyResolver()


def make_section(
    headings: tuple[str, ...], lines: list[str], blocks: list[Block], *, first_line: int = 1
) -> ParsedSection:
    """A section whose raw text is `lines`, numbered from `first_line` (the heading line)."""
    return ParsedSection(
        heading_path=headings,
        level=len(headings),
        line_start=first_line,
        line_end=first_line + len(lines) - 1,
        raw_markdown="\n".join(lines),
        blocks=blocks,
    )


def facts_of(section: ParsedSection) -> list[tuple[FactDraft, str | None]]:
    return extract_facts(section, resolver=RESOLVER)


def one_block_facts(
    text: str,
    *,
    kind: str = "paragraph",
    headings: tuple[str, ...] = ("Amazon S3",),
    context: tuple[str, ...] = (),
    cells: tuple[tuple[str, str], ...] = (),
) -> list[tuple[FactDraft, str | None]]:
    """Facts of a section holding one block, written the way its reader would have seen it."""
    lines = [f"## {headings[-1]}", ""]
    if kind == "table_row":
        lines += [
            "| " + " | ".join(header for header, _ in cells) + " |",
            "|" + "---|" * len(cells),
            "| " + " | ".join(value for _, value in cells) + " |",
        ]
    elif kind == "glossary":
        lines = [f"Topic 1) {headings[-1]}", "\t".join(value for _, value in cells)]
    else:
        lines += [*[f"- {c}" for c in context], f"- {text}"]
    line = len(lines)
    block = Block(kind, text, line, line, context=context, cells=cells)
    return facts_of(make_section(headings, lines, [block]))


def statements(facts: list[tuple[FactDraft, str | None]]) -> list[str]:
    return [draft.statement for draft, _ in facts]


def by_kind(facts: list[tuple[FactDraft, str | None]], kind: str) -> list[FactDraft]:
    return [draft for draft, _ in facts if draft.kind == kind]


# --------------------------------------------------------------------------------------------
# parse_quantity
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value_text", "number", "family"),
    [
        # bytes: decimal prefixes are powers of 1000, binary (KiB, GiB, "Gib") of 1024
        ("Object max size is 5 TB", "5 TB", 5 * 10**12, "bytes"),
        ("up to 4 KB of data per call", "4 KB", 4000, "bytes"),
        ("a 512 KiB block", "512 KiB", 512 * 1024, "bytes"),
        ("volumes up to 16 TiB", "16 TiB", 16 * 2**40, "bytes"),
        ("grows in increments of 10 gb", "10 gb", 10 * 10**9, "bytes"),
        ("256 megabytes of memory", "256 megabytes", 256 * 10**6, "bytes"),
        ("the first 5120 bytes of the response", "5120 bytes", 5120, "bytes"),
        # durations become seconds
        ("a latency of 300 ms", "300 ms", 0.3, "seconds"),
        ("Timeout is 15 minutes", "15 minutes", 900, "seconds"),
        ("Token is valid for up to one hour", "one hour", 3600, "seconds"),
        ("kept for 7 days", "7 days", 7 * 86400, "seconds"),
        ("a 1 year term", "1 year", 365 * 86400, "seconds"),
        ("default is 300 seconds", "300 seconds", 300, "seconds"),
        # percentages, including "11 9's"
        ("99.99% availability", "99.99%", 99.99, "percent"),
        ("up to 90% discount", "90%", 90, "percent"),
        ("durability of 11 9's", "11 9's", 99.999999999, "percent"),
        ("Intelligent Tiering: 99,9% availability", "99,9%", 99.9, "percent"),
        # counts: a counted noun, or a limit word in front
        ("5 VPCs per Region", "5 VPCs per Region", 5, "count"),
        ("Limited to 7 instances per AZ", "7 instances per AZ", 7, "count"),
        ("up to 10,000", "10,000", 10000, "count"),
        ("max 16k IOPS", "16k IOPS", 16000, "count"),
        ("Max IOPS is 16000", "16000", 16000, "count"),
        ("1 million connections", "1 million connections", 10**6, "count"),
        # ports and prices
        ("HTTPS uses port 443", "443", 443, "port"),
        ("$0.023 per GB", "$0.023 per GB", 0.023, "usd"),
        ("1 dollar a month", "1 dollar a month", 1, "usd"),
        # rates keep bytes and bits apart
        ("1,000 MB/s of throughput", "1,000 MB/s", 10**9, "bytes_per_second"),
        ("10 Gbps network", "10 Gbps", 10 * 10**9, "bits_per_second"),
    ],
)
def test_parse_quantity_units(text: str, value_text: str, number: float, family: str) -> None:
    quantity = parse_quantity(text)[0]
    assert quantity.value_text == value_text
    assert quantity.number_in_base_unit == pytest.approx(number)
    assert quantity.unit_family == family


@pytest.mark.parametrize(
    ("text", "value_text", "low", "high", "family"),
    [
        ("1-5 GB", "1-5 GB", 10**9, 5 * 10**9, "bytes"),
        ("1 GiB - 16 TiB", "1 GiB - 16 TiB", 2**30, 16 * 2**40, "bytes"),
        ("1 Gib-16 Tib", "1 Gib-16 Tib", 2**30, 16 * 2**40, "bytes"),
        ("128 MB to 10GB", "128 MB to 10GB", 128 * 10**6, 10 * 10**9, "bytes"),
        ("between 15 minutes to 1 hour", "15 minutes to 1 hour", 900, 3600, "seconds"),
        ("a duration (1 to 6 hours)", "1 to 6 hours", 3600, 6 * 3600, "seconds"),
    ],
)
def test_parse_quantity_ranges_keep_both_ends(
    text: str, value_text: str, low: float, high: float, family: str
) -> None:
    [quantity] = parse_quantity(text)
    assert quantity == Quantity(value_text, pytest.approx(high), family, pytest.approx(low))


def test_parse_quantity_lists_share_the_unit() -> None:
    # "1 & 3 years": both numbers are years; the first one's text runs on to the unit.
    found = parse_quantity("Reserved (1 & 3 years)")
    assert [(q.value_text, q.number_in_base_unit) for q in found] == [
        ("1 & 3 years", 365 * 86400),
        ("3 years", 3 * 365 * 86400),
    ]


def test_parse_quantity_finds_every_quantity_in_order() -> None:
    found = parse_quantity("Min is 2, max is 6, objects up to 5 TB")
    assert [(q.value_text, q.unit_family) for q in found] == [
        ("2", "count"),
        ("6", "count"),
        ("5 TB", "bytes"),
    ]


def test_parse_quantity_same_value_twice_is_reported_once() -> None:
    assert len(parse_quantity("99.999999999% (11 9's)")) == 1


@pytest.mark.parametrize(
    "text",
    [
        "Amazon S3 and EC2 and Route 53",
        "federation with SAML 2.0 or OAuth 2.0",
        "an m5.2xlarge instance",
        "the CIDR 10.0.0.0/16",
        "Version 2012-10-17",
        "keys are AES-256",
        "Layer 7 load balancing",
        "IPv4 and IPv6 addresses",
        "launched in 2016",
        "a bare 1000 without a unit",
    ],
)
def test_parse_quantity_ignores_names_versions_and_dates(text: str) -> None:
    assert parse_quantity(text) == []


def test_parse_quantity_port_context_reads_bare_numbers_as_ports() -> None:
    assert parse_quantity("HTTPS: 443") == []
    [port] = parse_quantity("HTTPS: 443", port_context=True)
    assert (port.number_in_base_unit, port.unit_family) == (443, "port")


# --------------------------------------------------------------------------------------------
# Sentences and acronyms
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("S3 is global. EC2 is regional.", ["S3 is global.", "EC2 is regional."]),
        (
            "Use a store, e.g. S3 or EFS. It scales.",
            ["Use a store, e.g. S3 or EFS.", "It scales."],
        ),
        ("Pick one (i.e. S3) now. Done.", ["Pick one (i.e. S3) now.", "Done."]),
        ("EBS vs. EFS differ. Yes.", ["EBS vs. EFS differ.", "Yes."]),
        (
            "S3 offers 99.99 percent availability. Good.",
            ["S3 offers 99.99 percent availability.", "Good."],
        ),
        ("Use TLS v1.2 or later. Always.", ["Use TLS v1.2 or later.", "Always."]),
        (
            "Groups (e.g.: Developers, Operations, etc.). Users can belong to 0 groups.",
            ["Groups (e.g.: Developers, Operations, etc.).", "Users can belong to 0 groups."],
        ),
        ("No full stop at the end", ["No full stop at the end"]),
        ("Is it global? Yes! It is.", ["Is it global?", "Yes!", "It is."]),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Amazon Elastic Block Store (EBS) provides volumes", [("EBS", "Elastic Block Store")]),
        ("EFS (Elastic File System) is a managed NFS", [("EFS", "Elastic File System")]),
        ("STS — Security Token Service", [("STS", "Security Token Service")]),
        ("AWS Identity and Access Management (IAM)", [("IAM", "Identity and Access Management")]),
        ("Elastic Compute Cloud (EC2)", [("EC2", "Elastic Compute Cloud")]),
        (
            "Input/output operations per second (IOPS)",
            [("IOPS", "Input/output operations per second")],
        ),
        ("Availability Zones (AZs)", [("AZ", "Availability Zones")]),
        ("Elastic MapReduce (EMR)", [("EMR", "Elastic MapReduce")]),
        ("Sec Groups (only contain allow rules)", []),
        ("AWS OpenSearch (formerly Amazon Elasticsearch Service)", []),
    ],
)
def test_find_acronyms(text: str, expected: list[tuple[str, str]]) -> None:
    assert find_acronyms(text) == expected


# --------------------------------------------------------------------------------------------
# statement_hash
# --------------------------------------------------------------------------------------------


def test_statement_hash_is_stable_and_ignores_layout() -> None:
    digest = statement_hash("S3", "S3 stores objects.")
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest == statement_hash("S3", "S3 stores objects.")
    assert digest == statement_hash("s3", "  s3   STORES objects ")
    assert digest != statement_hash("EFS", "S3 stores objects.")
    assert digest != statement_hash(None, "S3 stores objects.")
    assert statement_hash(None, "x") == statement_hash("", "x")
    # The format is fixed (facts are identified by it across releases): subject, unit
    # separator, casefolded statement without its final period.
    expected = hashlib.sha256(b"s3\x1fs3 stores objects").hexdigest()
    assert digest == expected


# --------------------------------------------------------------------------------------------
# Fact kinds
# --------------------------------------------------------------------------------------------


def test_definition_from_is_sentence() -> None:
    facts = one_block_facts("Amazon S3 is an object storage service with buckets.")
    [definition] = by_kind(facts, "definition")
    assert definition.statement == "Amazon S3 is an object storage service with buckets."
    assert dict((d.statement, s) for d, s in facts)[definition.statement] == "S3"
    assert definition.subject_hint == "S3"  # TinyResolver has no `find`: the short name


def test_definition_from_label_with_article() -> None:
    facts = one_block_facts(
        "Trust policy - A JSON policy document that defines who may assume the role",
        kind="bullet",
        headings=("IAM", "Roles"),
    )
    [definition] = by_kind(facts, "definition")
    assert definition.statement == (
        "Trust policy is a JSON policy document that defines who may assume the role."
    )


def test_acronym_in_parentheses_and_the_rest_of_the_sentence() -> None:
    facts = one_block_facts("Elastic File System (EFS) is a managed NFS file system.")
    assert by_kind(facts, "acronym")[0].statement == "EFS stands for Elastic File System."
    assert [s for d, s in facts if d.kind == "acronym"] == ["EFS"]
    assert by_kind(facts, "definition")  # the sentence itself is still a fact


def test_acronym_with_dash_and_nothing_else_is_only_an_acronym() -> None:
    facts = one_block_facts("STS — Security Token Service", kind="bullet", headings=("IAM",))
    assert [(d.kind, d.statement, s) for d, s in facts] == [
        ("acronym", "STS stands for Security Token Service.", "STS")
    ]


def test_glossary_entry() -> None:
    cells = (
        ("term", "EFS"),
        ("full_form", "Elastic File System"),
        ("definition", "is a network file system for EC2"),
        ("note", "Expensive, pay per use. Max file size is 47.9 TiB"),
    )
    facts = one_block_facts(
        "EFS (Elastic File System): …",
        kind="glossary",
        headings=("Storage",),
        cells=cells,
        context=(),
    )
    found = {(d.kind, d.statement) for d, _ in facts}
    assert ("acronym", "EFS stands for Elastic File System.") in found
    assert ("definition", "EFS is a network file system for EC2.") in found
    assert ("glossary", "EFS: expensive, pay per use.") in found
    [attribute] = by_kind(facts, "attribute")
    assert (attribute.value, attribute.unit) == ("47.9 TiB", "bytes")
    assert all(service == "EFS" for _, service in facts)


def test_glossary_continuation_row_with_a_sub_term() -> None:
    """Rows under an entry repeat its term; the Definition column names a sub-term."""
    lines = [
        "Topic 1) :-EC2",
        "EC2 Instance Launch Types\t\tEC2 On Demand\tpay for what we use",
        "\t\tSpot Instances\tShort workloads, 90% discount",
        "\t\t\tTypically used for batch jobs",
    ]
    topic = ("EC2",)
    term = "EC2 Instance Launch Types"
    blocks = [
        Block(
            "glossary",
            "x",
            2,
            2,
            context=topic,
            cells=(
                ("term", term),
                ("full_form", ""),
                ("definition", "EC2 On Demand"),
                ("note", "pay for what we use"),
            ),
        ),
        Block(
            "glossary",
            "x",
            3,
            3,
            context=(*topic, term),
            cells=(
                ("term", term),
                ("full_form", ""),
                ("definition", "Spot Instances"),
                ("note", "Short workloads, 90% discount"),
            ),
        ),
        Block(
            "glossary",
            "x",
            4,
            4,
            context=(*topic, term),
            cells=(
                ("term", term),
                ("full_form", ""),
                ("definition", ""),
                ("note", "Typically used for batch jobs"),
            ),
        ),
    ]
    facts = facts_of(make_section(topic, lines, blocks))
    assert [(d.kind, d.statement) for d, _ in facts] == [
        ("glossary", "EC2 On Demand: pay for what we use."),
        ("attribute", "Spot Instances: short workloads, 90% discount."),
        ("use_case", "Spot Instances: typically used for batch jobs."),
    ]
    assert all(service == "EC2" for _, service in facts)


def test_attribute_with_value_and_unit() -> None:
    [(fact, service)] = one_block_facts("Object max size is 5 TB.")
    assert (fact.kind, service) == ("attribute", "S3")
    assert (fact.value, fact.value_number, fact.unit) == ("5 TB", 5 * 10**12, "bytes")
    assert fact.statement == "Amazon S3: object max size is 5 TB."


def test_attribute_prefers_a_unit_over_a_bare_count() -> None:
    [(fact, _)] = one_block_facts("Up to 100 buckets, each object up to 5 TB", kind="bullet")
    assert (fact.kind, fact.value, fact.unit) == ("attribute", "5 TB", "bytes")


def test_feature_bullet_reads_as_a_sentence() -> None:
    [(fact, service)] = one_block_facts("Supports versioning of objects", kind="bullet")
    assert (fact.kind, service) == ("feature", "S3")
    assert fact.statement == "Amazon S3 supports versioning of objects."


def test_child_under_features_parent_is_a_feature() -> None:
    [(fact, _)] = one_block_facts(
        "Lifecycle rules for objects", kind="bullet", context=("Key Features:",)
    )
    assert fact.kind == "feature"
    assert fact.statement == "Amazon S3 key features: lifecycle rules for objects."


def test_use_case_from_heading() -> None:
    [(fact, service)] = one_block_facts(
        "Static website hosting", kind="bullet", headings=("Amazon S3", "S3 Use Cases")
    )
    assert (fact.kind, service) == ("use_case", "S3")
    assert fact.statement == "S3 Use Cases: static website hosting."


def test_use_case_from_parent_and_from_text() -> None:
    [(from_parent, _)] = one_block_facts(
        "Data backups and archives", kind="bullet", context=("Use cases:",)
    )
    assert from_parent.kind == "use_case"
    assert from_parent.statement == "Amazon S3 use cases: data backups and archives."
    [(from_text, _)] = one_block_facts("Ideal for big data analytics and data lakes", kind="bullet")
    assert from_text.kind == "use_case"


def test_child_bullet_carries_its_parent() -> None:
    facts = one_block_facts(
        "Min is 2, max is 6",
        kind="bullet",
        headings=("AWS Regions",),
        context=("Availability Zones per Region",),
    )
    [(fact, _)] = facts
    assert fact.statement == "Availability Zones per Region: min is 2, max is 6."
    assert (fact.kind, fact.value, fact.unit) == ("attribute", "2", "count")


def test_child_fragment_starting_with_a_verb_joins_its_parent() -> None:
    [(fact, service)] = one_block_facts(
        "Can be attached to multiple instances",
        kind="bullet",
        headings=("VPC",),
        context=("Security Groups",),
    )
    assert fact.statement == "Security Groups can be attached to multiple instances."
    assert service == "VPC"


def test_child_of_a_lead_in_clause() -> None:
    facts = one_block_facts(
        "CloudWatch alarms for private resources",
        kind="bullet",
        headings=("Route 53",),
        context=("Health checks can monitor:",),
    )
    assert statements(facts) == [
        "Health checks can monitor: CloudWatch alarms for private resources."
    ]


def test_paragraph_lead_in_is_context_for_the_list() -> None:
    lines = ["## IAM", "", "To protect users you can enable:", "", "- Password policy for users"]
    blocks = [
        Block("paragraph", "To protect users you can enable:", 3, 3),
        Block("bullet", "Password policy for users", 5, 5),
    ]
    facts = facts_of(make_section(("IAM",), lines, blocks))
    assert statements(facts) == ["To protect users you can enable: password policy for users."]
    assert facts[0][1] == "IAM"


def test_concept_under_a_service_heading() -> None:
    [(fact, service)] = one_block_facts(
        "Limited to 7 instances per AZ per group",
        kind="bullet",
        headings=("Amazon EC2", "Placement Groups"),
    )
    assert (service, fact.concept) == ("EC2", "Placement Groups")
    assert fact.subject_hint == "Placement Groups"
    assert (fact.value, fact.value_number) == ("7 instances per AZ", 7)


def test_label_value_bullets() -> None:
    [(verb_first, _)] = one_block_facts(
        "Simple Routing: Directs traffic to a single resource",
        kind="bullet",
        headings=("Route 53",),
    )
    assert verb_first.statement == "Simple Routing directs traffic to a single resource."
    [(role, _)] = one_block_facts(
        "Purpose: A virtual network interface for instances in a VPC",
        kind="bullet",
        headings=("EC2",),
        context=("Elastic Network Interface",),
    )
    assert role.statement == (
        "Elastic Network Interface is a virtual network interface for instances in a VPC."
    )
    assert role.kind == "definition"


def test_ports_under_a_ports_heading() -> None:
    [(fact, _)] = one_block_facts("HTTPS: 443", kind="bullet", headings=("EC2", "Common Ports"))
    assert fact.statement == "HTTPS uses port 443."
    assert (fact.kind, fact.value_number, fact.unit) == ("attribute", 443, "port")


def test_pronoun_it_names_what_the_paragraph_defined() -> None:
    facts = one_block_facts(
        "EC2 Nitro is the platform for new instances. It is a new virtualization technology.",
        headings=("Amazon EC2",),
    )
    assert statements(facts)[-1] == "EC2 Nitro is a new virtualization technology."


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def test_table_row_one_fact_per_cell() -> None:
    cells = (("Volume", "EBS"), ("Rate", "16k IOPS (gp2), 64k IOPS (io1)"), ("Cost", "Moderate"))
    facts = one_block_facts("Volume: EBS; …", kind="table_row", headings=("Storage",), cells=cells)
    assert [(d.kind, d.statement, s) for d, s in facts] == [
        ("comparison", "For EBS, the rate is 16k IOPS (gp2), 64k IOPS (io1).", "EBS"),
        ("comparison", "For EBS, the cost is Moderate.", "EBS"),
    ]
    assert (facts[0][0].value_number, facts[0][0].unit) == (16000, "count")


def test_table_row_with_services_as_columns() -> None:
    """Feature | KMS | CloudHSM: the services are the columns, the row names the attribute."""
    cells = (
        ("Feature", "Tenancy"),
        ("KMS", "Uses multi-tenant key storage"),
        ("CloudHSM", "Single tenant key storage"),
    )
    facts = one_block_facts("…", kind="table_row", headings=("Security",), cells=cells)
    assert [(d.statement, s) for d, s in facts] == [
        ("For tenancy, KMS uses multi-tenant key storage.", "KMS"),
        ("For CloudHSM, the tenancy is Single tenant key storage.", "CloudHSM"),
    ]


def test_table_row_yes_no_cells() -> None:
    cells = (("Feature", "Free Tier Availability"), ("KMS", "Yes"), ("CloudHSM", "No"))
    facts = one_block_facts("…", kind="table_row", headings=("Security",), cells=cells)
    assert statements(facts) == [
        "For KMS, free tier availability: yes.",
        "For CloudHSM, free tier availability: no.",
    ]


def test_table_row_without_column_titles_reads_as_one_fact() -> None:
    cells = (("", "AWS Organizations"), ("", "In case of multiple accounts"), ("", "Adds billing"))
    facts = one_block_facts("…", kind="table_row", headings=("IAM",), cells=cells)
    assert statements(facts) == ["AWS Organizations: in case of multiple accounts; Adds billing."]


# --------------------------------------------------------------------------------------------
# Skips and hygiene
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ('{"Effect": "Allow", "Action": "s3:*"}', "code"),
        ("S3 buckets", "bullet"),  # fewer than three words
        ("1234 5678", "bullet"),  # no letters
        ("How do you choose a Region for S3?", "paragraph"),  # a question
        ("TODO: write about S3 lifecycle rules", "bullet"),
        ("WIP notes about S3 here", "paragraph"),
        ('"Condition": {"StringEquals": {"aws:PrincipalTag/job": "admin"}}', "bullet"),
        ("Amazon S3", "bullet"),  # only the heading again
    ],
)
def test_skipped_text(text: str, kind: str) -> None:
    assert one_block_facts(text, kind=kind) == []


def test_link_only_bullets_are_skipped() -> None:
    raw = '* On AWS: <a href="https://x">Service</a> - <a href="https://y">FAQs</a>'
    lines = ["## S3", raw]
    block = Block("bullet", "On AWS: Service - FAQs", 2, 2)
    assert facts_of(make_section(("Amazon S3",), lines, [block])) == []


def test_sub_heading_bullets_are_not_facts_but_their_children_are() -> None:
    lines = ["## EC2", "- Cluster Placement Group", "  - Launches instances in one rack"]
    blocks = [
        Block("bullet", "Cluster Placement Group", 2, 2),
        Block(
            "bullet", "Launches instances in one rack", 3, 3, context=("Cluster Placement Group",)
        ),
    ]
    facts = facts_of(make_section(("Amazon EC2", "Placement Groups"), lines, blocks))
    assert statements(facts) == ["Cluster Placement Group launches instances in one rack."]
    # The parent names the concept: its line is cited too.
    assert (facts[0][0].line_start, facts[0][0].line_end) == (2, 3)


def test_long_text_is_split_at_sentence_boundaries() -> None:
    varied = " ".join(
        f"Amazon S3 feature number {word} works with buckets in every region you use."
        for word in ("one", "two", "three", "four", "five", "six", "seven", "eight")
    )
    facts = one_block_facts(varied, kind="bullet")
    assert len(facts) >= 2
    assert all(len(d.statement) <= 420 for d, _ in facts)


def test_statements_are_clean_sentences() -> None:
    facts = one_block_facts(
        "supports **versioning** and `MFA delete`|  with <br/> lifecycle rules", kind="bullet"
    )
    [(fact, _)] = facts
    assert not LEFTOVER_MARKUP.search(fact.statement)
    assert fact.statement[0].isupper() and fact.statement.endswith(".")
    assert "  " not in fact.statement


def test_multi_line_paragraph_sentences_narrow_their_lines() -> None:
    lines = [
        "## Amazon S3",
        "Amazon S3 stores objects in buckets.",
        "Buckets are regional. Amazon S3 is",
        "strongly consistent for reads.",
    ]
    text = " ".join(lines[1:])
    facts = facts_of(make_section(("Amazon S3",), lines, [Block("paragraph", text, 2, 4)]))
    ranges = {d.statement: (d.line_start, d.line_end) for d, _ in facts}
    assert ranges["Amazon S3 stores objects in buckets."] == (2, 2)
    assert ranges["Amazon S3 is strongly consistent for reads."] == (3, 4)
    # A sentence that borrows its subject from the heading cites the paragraph, where its
    # words can be checked ("Amazon", "buckets", "regional"); the heading line is not needed.
    assert ranges["Amazon S3: buckets are regional."] == (2, 4)


def test_unpunctuated_lines_of_a_paragraph_are_separate_statements() -> None:
    lines = [
        "## EC2",
        "Amazon EC2 provides virtual machines",
        "EBS keeps data on virtual drives",
    ]
    text = " ".join(lines[1:])
    facts = facts_of(make_section(("Amazon EC2",), lines, [Block("paragraph", text, 2, 3)]))
    assert [(d.line_start, d.line_end) for d, _ in facts] == [(2, 2), (3, 3)]


def test_output_is_deterministic_and_well_formed() -> None:
    lines = ["## Amazon S3", "- Supports versioning", "- Max object size is 5 TB", "x | y"]
    blocks = [
        Block("bullet", "Supports versioning", 2, 2),
        Block("bullet", "Max object size is 5 TB", 3, 3),
        Block("table_row", "…", 4, 4, cells=(("Class", "Standard"), ("Availability", "99.99%"))),
    ]
    section = make_section(("Amazon S3",), lines, blocks)
    first = facts_of(section)
    assert first == facts_of(section)
    for draft, _ in first:
        assert draft.kind in KINDS and draft.unit in UNITS
        assert section.line_start <= draft.line_start <= draft.line_end <= section.line_end


def test_statement_key_words_are_on_the_cited_lines() -> None:
    """Words borrowed from a parent bullet make the parent's line part of the citation."""
    lines = ["## EC2", "- Spot Fleet Strategies", "  - Lowest Price: cheapest pools first"]
    blocks = [
        Block("bullet", "Spot Fleet Strategies", 2, 2),
        Block(
            "bullet", "Lowest Price: cheapest pools first", 3, 3, context=("Spot Fleet Strategies",)
        ),
    ]
    [(fact, _)] = facts_of(make_section(("Amazon EC2",), lines, blocks))
    assert fact.statement == "Lowest Price (Spot Fleet Strategies): cheapest pools first."
    assert (fact.line_start, fact.line_end) == (2, 3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Two long words in the long form: "stands for" reads best.
        ("Virtual Private Cloud (VPC) networks", "VPC stands for Virtual Private Cloud."),
        # One: "stands" would be the only checkable long word and it is never in the notes.
        ("Availability Zone (AZ) details here", "AZ is Availability Zone."),
    ],
)
def test_acronym_statement_wording(text: str, expected: str) -> None:
    facts = one_block_facts(text, kind="bullet", headings=("VPC",))
    assert by_kind(facts, "acronym")[0].statement == expected


@pytest.mark.parametrize(
    "text",
    [
        "DynamoDB: we need 2 * 10 = 20 WCU for this table",
        "The CLI uses the _____ service to get _____ credentials",
    ],
)
def test_worked_sums_and_fill_in_the_blanks_are_skipped(text: str) -> None:
    assert one_block_facts(text, kind="bullet") == []


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("abcS3 EC2.,:;-–()%$/GiBKTMms0123456789kx|*`<>"), max_size=80)
)
def test_parse_quantity_and_split_sentences_never_fail(text: str) -> None:
    for quantity in parse_quantity(text):
        assert quantity.value_text and quantity.value_text.split()[0][0] in text
        assert quantity.number_in_base_unit >= 0
    assert " ".join(split_sentences(text)) == " ".join(text.split())


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from("ab S3 EC2 is can .:-()|*`<>#5 TB"), max_size=60),
        min_size=1,
        max_size=4,
    )
)
def test_extract_facts_never_fails_and_never_leaks_markup(texts: list[str]) -> None:
    lines = ["## Amazon S3", *[f"- {text}" for text in texts]]
    blocks = [Block("bullet", text, n + 2, n + 2) for n, text in enumerate(texts)]
    for draft, _ in facts_of(make_section(("Amazon S3",), lines, blocks)):
        assert not LEFTOVER_MARKUP.search(draft.statement)
        assert 1 <= draft.line_start <= draft.line_end <= len(lines)


# --------------------------------------------------------------------------------------------
# The real notes (needs notes.readers, notes.linking and fixtures/services.yaml)
# --------------------------------------------------------------------------------------------

NOTES_DIR = Path("/work/shared/notes")
CATALOG = Path(__file__).resolve().parents[2] / "fixtures" / "services.yaml"
NOTE_FILES = (
    "aws-glossary.tsv",
    "aws-services-notes.md",
    "saa-associate-notes.md",
    "saa-c02-notes.md",
    "sap-professional-notes.md",
)
# Floors ~5% under what was measured with the real readers and matcher (7,000 facts: glossary
# 1,438, services 209, associate 3,063, c02 340, professional 1,950; 99.1% with a service).
MIN_FACTS = 6650
MIN_FACTS_PER_FILE = {
    "aws-glossary.tsv": 1366,
    "aws-services-notes.md": 198,
    "saa-associate-notes.md": 2909,
    "saa-c02-notes.md": 323,
    "sap-professional-notes.md": 1852,
}
MIN_SERVICE_SHARE = 0.94


@dataclass(frozen=True)
class RealFact:
    file: str
    section: ParsedSection
    draft: FactDraft
    service: str | None


@pytest.fixture(scope="module")
def matcher():
    linking = pytest.importorskip("notes.linking")
    if not CATALOG.exists():
        pytest.skip("fixtures/services.yaml is not there yet")
    if not NOTES_DIR.exists():
        pytest.skip("the study notes are not there")
    return linking.ServiceMatcher(linking.load_catalog(CATALOG))


@pytest.fixture(scope="module")
def real_sections(matcher) -> dict[str, list[ParsedSection]]:
    from notes.readers import read_glossary_tsv, read_markdown

    sections = {}
    for name in NOTE_FILES:
        text = (NOTES_DIR / name).read_text(encoding="utf-8")
        reader = read_glossary_tsv if name.endswith(".tsv") else read_markdown
        sections[name] = reader(text, file_name=name).sections
    return sections


@pytest.fixture(scope="module")
def real_facts(matcher, real_sections) -> list[RealFact]:
    facts = [
        RealFact(name, section, draft, service)
        for name, sections in real_sections.items()
        for section in sections
        for draft, service in extract_facts(section, resolver=matcher)
    ]
    return facts


@pytest.fixture(scope="module")
def note_lines() -> dict[str, list[str]]:
    return {
        name: (NOTES_DIR / name).read_text(encoding="utf-8").splitlines() for name in NOTE_FILES
    }


def test_real_notes_volume_and_service_share(real_facts: list[RealFact]) -> None:
    assert len(real_facts) >= MIN_FACTS
    per_file = Counter(fact.file for fact in real_facts)
    for name, floor in MIN_FACTS_PER_FILE.items():
        assert per_file[name] >= floor, name
    linked = sum(1 for fact in real_facts if fact.service)
    assert linked / len(real_facts) >= MIN_SERVICE_SHARE


def test_real_notes_every_kind_is_found(real_facts: list[RealFact]) -> None:
    assert {fact.draft.kind for fact in real_facts} == KINDS


def test_real_notes_statements_have_no_markup_and_read_as_sentences(
    real_facts: list[RealFact],
) -> None:
    offenders = [f.draft.statement for f in real_facts if LEFTOVER_MARKUP.search(f.draft.statement)]
    assert not offenders, offenders[:5]
    for fact in real_facts:
        statement = fact.draft.statement
        assert statement == " ".join(statement.split())
        assert statement.endswith((".", "!")), statement
        assert not statement[0].islower() or re.match(r"[a-z]+[A-Z0-9:/_.-]", statement)
        assert len(statement) <= 500, statement
        assert fact.draft.unit in UNITS and fact.draft.kind in KINDS


def test_real_notes_line_ranges_lie_in_their_sections(real_facts: list[RealFact]) -> None:
    for fact in real_facts:
        section, draft = fact.section, fact.draft
        assert section.line_start <= draft.line_start <= draft.line_end <= section.line_end


def lead_key_terms(draft: FactDraft) -> list[str]:
    """The acceptance test's key terms: the value and the statement's three longest words."""
    terms = [draft.value] if draft.value else []
    words = sorted(set(re.findall(r"[A-Za-z][A-Za-z0-9-]{4,}", draft.statement)), key=len)
    return terms + words[-3:]


def cited_text(
    lines: list[str], draft: FactDraft, first: int | None = None, last: int | None = None
) -> str:
    """The cited lines as the acceptance test reads them: casefolded, inline markup blanked."""
    first = draft.line_start if first is None else first
    last = draft.line_end if last is None else last
    cited = " ".join(lines[first - 1 : last]).casefold()
    return re.sub(r"<br\s*/?>|[*_`|]", " ", cited)


LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|<a\b[^>]*>(.*?)</a>", re.IGNORECASE)


def without_links(text: str) -> str:
    """Link syntax reduced to the link text, as the readers do: names often sit in links."""
    return LINK.sub(lambda m: m.group(1) or m.group(2) or "", text)


def test_real_notes_key_terms_of_a_random_sample_are_on_the_cited_lines(
    real_facts: list[RealFact], note_lines: dict[str, list[str]]
) -> None:
    sample = random.Random(20261124).sample(real_facts, 200)
    misses = []
    for fact in sample:
        cited = cited_text(note_lines[fact.file], fact.draft)
        terms = lead_key_terms(fact.draft)
        found = [term for term in terms if term.casefold() in cited]
        if len(found) < min(2, len(terms)):
            misses.append((fact.file, fact.draft.line_start, fact.draft.statement, terms))
    assert not misses, misses[:5]


def test_real_notes_subject_or_value_is_on_the_cited_lines(
    real_facts: list[RealFact],
    real_sections: dict[str, list[ParsedSection]],
    note_lines: dict[str, list[str]],
) -> None:
    """The name used for the subject (or the value) is on the cited lines, or on the heading of
    the section or of one of its parents (a subject named by an outer heading)."""
    heading_lines = {
        name: {section.heading_path: section.line_start for section in sections}
        for name, sections in real_sections.items()
    }
    sample = random.Random(7).sample(real_facts, 200)
    misses = []
    for fact in sample:
        lines = note_lines[fact.file]
        path = fact.section.heading_path
        headings = " ".join(
            lines[heading_lines[fact.file][path[:depth]] - 1]
            for depth in range(1, len(path) + 1)
            if path[:depth] in heading_lines[fact.file]
        )
        lines = [without_links(line) for line in lines]
        cited = cited_text(lines, fact.draft) + " " + cited_text([headings], fact.draft, 1, 1)
        cited = " ".join(cited.split())  # names wrap across lines and around markup
        terms = [t for t in (fact.draft.subject_hint, fact.draft.value) if t]
        if terms and not any(" ".join(t.casefold().split()) in cited for t in terms):
            misses.append((fact.file, fact.draft.line_start, fact.draft.statement, terms))
    assert not misses, misses[:5]


def test_real_notes_extraction_is_deterministic(
    matcher, real_sections: dict[str, list[ParsedSection]], real_facts: list[RealFact]
) -> None:
    """The same drafts, in the same order, on a second run. (Speed is measured by
    bench/ingest, never by a timed test.)"""
    again = [
        draft
        for sections in real_sections.values()
        for section in sections
        for draft, _ in extract_facts(section, resolver=matcher)
    ]
    assert again == [fact.draft for fact in real_facts]

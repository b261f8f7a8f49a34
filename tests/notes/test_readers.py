"""Tests for notes.readers: small synthetic snippets per feature, the real notes, and fuzzing.

Plain functions, no database: run with `pytest tests/notes/test_readers.py -p no:django`.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notes.blocks import Block, ParsedSection, ReadResult
from notes.readers import (
    NoteFormatError,
    clean_inline,
    read_glossary_tsv,
    read_markdown,
    split_lines,
)

NOTES_DIR = Path(__file__).resolve().parents[3] / "shared" / "notes"
MARKDOWN_FILES = (
    "saa-c02-notes.md",
    "sap-professional-notes.md",
    "saa-associate-notes.md",
    "aws-services-notes.md",
)
GLOSSARY_FILE = "aws-glossary.tsv"
LEFTOVERS = ("**", "](", "<br", "<a ", "↖", "↑", "↓", "`", "|")
HEADER = "Terms\tFull Form\tDefinition\tNOTE"


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def md(text: str) -> ReadResult:
    return read_markdown(text, file_name="t.md")


def tsv(*rows: str) -> ReadResult:
    return read_glossary_tsv("\n".join(rows) + "\n", file_name="g.tsv")


def all_blocks(result: ReadResult) -> list[Block]:
    return [block for section in result.sections for block in section.blocks]


def texts(result: ReadResult, kind: str | None = None) -> list[str]:
    return [block.text for block in all_blocks(result) if kind is None or block.kind == kind]


def section(result: ReadResult, *path: str) -> ParsedSection:
    matches = [s for s in result.sections if s.heading_path == path]
    assert len(matches) == 1, [s.heading_path for s in result.sections]
    return matches[0]


def has_leftover(text: str) -> bool:
    return any(bad in text for bad in LEFTOVERS) or text.startswith("#")


def assert_line_ranges_valid(result: ReadResult, text: str) -> None:
    """Every range is 1-based inclusive inside the text; sections are ordered and disjoint."""
    line_count = len(split_lines(text))
    previous_end = 0
    for parsed in result.sections:
        assert 1 <= parsed.line_start <= parsed.line_end <= line_count, parsed.heading_path
        assert parsed.line_start > previous_end, "sections overlap"
        previous_end = parsed.line_end
        for block in parsed.blocks:
            assert parsed.line_start <= block.line_start <= block.line_end <= parsed.line_end, (
                block,
                parsed.line_start,
                parsed.line_end,
            )


def assert_clean(result: ReadResult) -> None:
    for parsed in result.sections:
        for title in parsed.heading_path:
            assert not has_leftover(title), title
        for block in parsed.blocks:
            if block.kind == "code":
                continue
            values = [block.text, *block.context, *(part for cell in block.cells for part in cell)]
            for value in values:
                assert not has_leftover(value), (block.line_start, value)


# --------------------------------------------------------------------------------------------
# Markdown: headings
# --------------------------------------------------------------------------------------------


def test_atx_heading_stuffed_with_navigation_is_cleaned():
    result = md(
        '<a name="3"></a>\n'
        "# [↖](#top)[↑](#2)[↓](#3_1) Identity\n"
        '<a name="3_1"></a>\n'
        '## [↖](#top)[↑](#3)[↓](#5) **Federation** _basics_ <a name="x"></a> ##\n'
        "Some text.\n"
    )
    assert [s.heading_path for s in result.sections] == [
        ("Identity",),
        ("Identity", "Federation basics"),
    ]
    assert section(result, "Identity", "Federation basics").level == 2
    assert texts(result) == ["Some text."]


def test_heading_path_follows_levels_and_raw_markdown_is_verbatim():
    text = "# A\nintro\n## B\n### C\nc text\n## D\n# E\n"
    result = md(text)
    assert [(s.heading_path, s.level, s.line_start, s.line_end) for s in result.sections] == [
        (("A",), 1, 1, 2),
        (("A", "B"), 2, 3, 3),
        (("A", "B", "C"), 3, 4, 5),
        (("A", "D"), 2, 6, 6),
        (("E",), 1, 7, 7),
    ]
    assert section(result, "A", "B", "C").raw_markdown == "### C\nc text"


def test_atx_needs_a_space_and_closing_hashes_are_dropped():
    result = md("#hashtag is text\n\n## C# language ##\n")
    assert section(result, "C# language").level == 2
    assert texts(result) == ["hashtag is text"]  # no heading, and the leading # is scrubbed


def test_html_headings_inline_multiline_and_with_attributes():
    result = md(
        "<h1>AWS Notes</h1>\n\n"
        "<h3>Contents</h3>\n\n"
        "* first\n"
        "<h2>Other Serverless</h2>\n"
        "**Step Functions**\n"
        '<H2 id="x">\nAdvanced\nIdentity\n</H2>\n'
        "<h4>Deep</h4> trailing words\n"
    )
    paths = [s.heading_path for s in result.sections]
    assert paths == [
        ("AWS Notes",),
        ("AWS Notes", "Contents"),
        ("AWS Notes", "Other Serverless"),
        ("AWS Notes", "Advanced Identity"),
        ("AWS Notes", "Advanced Identity", "Deep"),
    ]
    assert texts(result) == ["first", "Step Functions", "trailing words"]
    assert section(result, "AWS Notes", "Advanced Identity").line_start == 8


def test_setext_headings_and_thematic_breaks():
    text = "Title\n=====\n\nSub\n---\ntext\n\n---\n\nafter the rule\n***\nend\n"
    result = md(text)
    assert [(s.heading_path, s.level) for s in result.sections] == [
        (("Title",), 1),
        (("Title", "Sub"), 2),
    ]
    assert section(result, "Title").line_end == 3
    assert texts(result) == ["text", "after the rule", "end"]


def test_dash_line_after_a_list_item_is_a_rule_not_a_heading():
    result = md("# H\n- item\n---\n- other\n")
    assert [s.heading_path for s in result.sections] == [("H",)]
    assert texts(result) == ["item", "other"]


def test_text_before_first_heading_is_a_level_zero_section():
    result = md("Intro line\n\n# First\nbody\n")
    preamble = result.sections[0]
    assert (preamble.heading_path, preamble.level, preamble.line_start) == ((), 0, 1)
    assert preamble.line_end == 2
    assert texts(result) == ["Intro line", "body"]


def test_only_navigation_before_first_heading_gives_no_preamble():
    result = md('<!-- toc_start -->\n* [A](#a)\n<!-- toc_end -->\n<a name="a"></a>\n# A\nx\n')
    assert [s.heading_path for s in result.sections] == [("A",)]


def test_empty_heading_text_is_left_out_of_paths():
    result = md("# [↖](#top)\n## Real\n")
    assert [s.heading_path for s in result.sections] == [(), ("Real",)]


# --------------------------------------------------------------------------------------------
# Markdown: navigation noise
# --------------------------------------------------------------------------------------------


def test_toc_markers_and_link_only_lists_are_dropped():
    result = md(
        "# Doc\n"
        "<!-- toc_start -->\n"
        "---\n"
        "* [One](#1)\n"
        "  * [Two](#2)\n"
        "<!-- toc_end -->\n"
        "- [Architect](#architect)\n"
        "  - [Users \\& Groups](#users--groups)\n"
        "  - [EBS \\[Storage\\]](#ebs-storage)\n"
        "1. [Concepts](./_concepts/concepts.md)\n"
        "7. [IAM](./iam/IAM.md#top)\n"
        "\n"
        "[Network Layers](../../Network/README.md)\n"
        "\n"
        "- [Policy Generator](https://example.com/gen) is handy\n"
        "- [Console](https://example.com)\n"
    )
    assert texts(result) == ["Policy Generator is handy", "Console"]


def test_images_comments_anchors_and_rules_produce_no_blocks():
    result = md(
        "# H\n"
        '![Alt text](img/a.png "title")\n'
        '<img src="b.png" alt="b"/>\n'
        "<!-- a comment -->\n"
        "<!--\nmulti-line\n# not a heading\n-->\n"
        '<a name="x"></a>\n'
        "___\n"
        "Text with ![inline](i.png) image and <!-- hidden --> comment.\n"
    )
    assert [s.heading_path for s in result.sections] == [("H",)]
    assert texts(result) == ["Text with image and comment."]


def test_unclosed_comment_and_toc_only_drop_their_line_and_warn():
    comment = md("# H\n<!-- never closed\nvisible\n")
    toc = md("# H\n<!-- toc_start -->\n* [A](#a)\n\nalso visible\n")
    assert texts(comment) == ["visible"]
    assert texts(toc) == ["also visible"]
    assert [w.split(":")[:2] for w in comment.warnings + toc.warnings] == [["t.md", "2"]] * 2


# --------------------------------------------------------------------------------------------
# Markdown: paragraphs, lists, quotes
# --------------------------------------------------------------------------------------------


def test_paragraphs_keep_their_line_ranges():
    result = md("# H\nfirst line\nsecond line\n\nnext *para*\n")
    assert [(b.kind, b.text, b.line_start, b.line_end) for b in all_blocks(result)] == [
        ("paragraph", "first line second line", 2, 3),
        ("paragraph", "next para", 5, 5),
    ]


def test_nested_bullets_with_inconsistent_indentation_get_ancestor_context():
    result = md(
        "# Regions\n"
        "- Availability Zones per Region\n"
        "   - Max 6\n"  # 3 spaces
        "  - Min 3\n"  # 2 spaces: still a sibling of "Max 6"
        "\t* Tabbed child\n"  # a tab is one level, like 2 spaces
        "\t\t+ Grandchild\n"
        "            1. level five\n"
        "                - level six\n"
        "* Top again\n"
    )
    got = [(b.text, b.context) for b in all_blocks(result)]
    zones = "Availability Zones per Region"
    assert got == [
        (zones, ()),
        ("Max 6", (zones,)),
        ("Min 3", (zones,)),
        ("Tabbed child", (zones,)),
        ("Grandchild", (zones, "Tabbed child")),
        ("level five", (zones, "Tabbed child", "Grandchild")),
        ("level six", (zones, "Tabbed child", "Grandchild", "level five")),
        ("Top again", ()),
    ]
    assert all(b.kind == "bullet" for b in all_blocks(result))


def test_multi_line_items_join_continuation_lines():
    result = md(
        "# H\n"
        "- Provisioned Mode\n"
        "  It requires capacity units.\n"
        "  * Pass state - simply pass its input,\n"
        "  without performing work\n"
        "- Loose item\n"
        "\n"
        "  its second paragraph\n"
        "\n"
        "Plain paragraph ends the list.\n"
        "- New list\n"
    )
    blocks = all_blocks(result)
    assert [(b.text, b.line_start, b.line_end, b.context) for b in blocks] == [
        ("Provisioned Mode It requires capacity units.", 2, 3, ()),
        (
            "Pass state - simply pass its input, without performing work",
            4,
            5,
            ("Provisioned Mode It requires capacity units.",),
        ),
        ("Loose item its second paragraph", 6, 8, ()),
        ("Plain paragraph ends the list.", 10, 10, ()),
        ("New list", 11, 11, ()),
    ]


def test_bullet_character_items_do_not_swallow_the_next_line():
    result = md("# H\n• first\nLabel:\n• second\n")
    assert [(b.kind, b.text) for b in all_blocks(result)] == [
        ("bullet", "first"),
        ("paragraph", "Label:"),
        ("bullet", "second"),
    ]


def test_heading_right_after_a_list_item_is_still_a_heading():
    result = md("# A\n* item\n<h2>B</h2>\n* other\n## C\n")
    assert [s.heading_path for s in result.sections] == [("A",), ("A", "B"), ("A", "C")]


def test_blockquotes_become_paragraphs_with_admonition_prefix():
    result = md(
        "# H\n> [!IMPORTANT]\n> **Use roles**\n\n> quoted\n> text\n>\n> more\n\n> [!NOTE]\n"
    )
    assert [(b.text, b.line_start, b.line_end) for b in all_blocks(result)] == [
        ("Important: Use roles", 2, 3),
        ("quoted text", 5, 6),
        ("more", 8, 8),
    ]


# --------------------------------------------------------------------------------------------
# Markdown: tables
# --------------------------------------------------------------------------------------------


def test_table_with_placeholders_br_and_missing_pipes():
    result = md(
        "# T\n"
        ".|Durability|Availability|Notes\n"
        "-|-|-|-\n"
        "**Standard**|11x9|4x9|.\n"
        "|One Zone|-|99.5|cheap<br/>* single AZ<br>.|\n"
        "Glacier|11x9|.|\n"
        "\n"
        "after\n"
    )
    rows = [b for b in all_blocks(result) if b.kind == "table_row"]
    assert [(b.line_start, b.cells) for b in rows] == [
        (4, (("", "Standard"), ("Durability", "11x9"), ("Availability", "4x9"))),
        (5, (("", "One Zone"), ("Availability", "99.5"), ("Notes", "cheap; single AZ"))),
        (6, (("", "Glacier"), ("Durability", "11x9"))),
    ]
    assert rows[0].text == "Standard; Durability: 11x9; Availability: 4x9"
    assert rows[1].text == "One Zone; Availability: 99.5; Notes: cheap; single AZ"
    assert texts(result, "paragraph") == ["after"]


def test_padded_table_with_leading_and_trailing_pipes():
    result = md(
        "| Feature | Amazon EBS | Amazon EFS |\n"
        "| ------- | :--------: | ---------- |\n"
        "| **Type** | Block | File \\| shared |\n"
        "|         | only two |\n"
    )
    rows = all_blocks(result)
    assert rows[0].text == "Feature: Type; Amazon EBS: Block; Amazon EFS: File shared"
    assert rows[1].cells == (("Amazon EBS", "only two"),)
    assert result.sections[0].level == 0


def test_pipe_line_without_delimiter_row_is_a_paragraph():
    assert texts(md("# H\na | b\nnext\n")) == ["a b next"]


# --------------------------------------------------------------------------------------------
# Markdown: code
# --------------------------------------------------------------------------------------------


def test_code_fences_are_code_blocks_never_headings_or_bullets():
    result = md(
        "# H\n"
        "```json\n"
        '{"Version": "2012-10-17"}\n'
        "# not a heading\n"
        "- not a bullet\n"
        "```\n"
        "~~~\n"
        "| not | a table |\n"
        "|-|-|\n"
        "~~~\n"
        "* item\n"
        "  ```\n"
        "  indented code\n"
        "  ```\n"
        "* next item\n"
        "  * child\n"
    )
    assert [s.heading_path for s in result.sections] == [("H",)]
    code = [b for b in all_blocks(result) if b.kind == "code"]
    assert [(b.line_start, b.line_end) for b in code] == [(2, 6), (7, 10), (12, 14)]
    assert "# not a heading" in code[0].text
    assert code[2].text == "indented code"
    bullets = [(b.text, b.context) for b in all_blocks(result) if b.kind == "bullet"]
    assert bullets == [("item", ()), ("next item", ()), ("child", ("next item",))]


def test_unclosed_fence_runs_to_the_end_with_a_warning():
    result = md("# H\n```\ncode\n# still code\n")
    assert [s.heading_path for s in result.sections] == [("H",)]
    assert [(b.kind, b.line_start, b.line_end) for b in all_blocks(result)] == [("code", 2, 4)]
    assert result.warnings and "t.md:2:" in result.warnings[0]


def test_indented_code_block_after_a_blank_line():
    result = md("# H\ntext\n\n    indented code\n    more\n\nafter\n")
    assert [(b.kind, b.line_start, b.line_end) for b in all_blocks(result)] == [
        ("paragraph", 2, 2),
        ("code", 4, 5),
        ("paragraph", 7, 7),
    ]


# --------------------------------------------------------------------------------------------
# Markdown: placeholders
# --------------------------------------------------------------------------------------------


def test_todo_sections_are_kept_without_blocks_and_warned():
    result = md(
        "# Notes\n"
        "## TODO 10\n"
        "## TODO 11\n"
        "AWS Batch\n"
        "## S3\n"
        "TODO\n"
        "## Glacier\n"
        "- Coming soon!\n"
        "- tbd\n"
        "## Real\n"
        "Work in progress of the author: real text\n"
        "## Empty\n"
    )
    assert [s.heading_path[-1] for s in result.sections if s.blocks] == ["Real"]
    assert len(result.sections) == 7
    warned = sorted(w.split(":")[1] for w in result.warnings)
    assert warned == ["2", "3", "5", "7"]


# --------------------------------------------------------------------------------------------
# clean_inline
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("**Bold** and *it* and _u_", "Bold and it and u"),
        ("`x-amz-server-side-encryption:AES256`", "x-amz-server-side-encryption:AES256"),
        ("See [the docs](https://docs.aws.amazon.com/x) now", "See the docs now"),
        ("[↖](#top)[↑](#3)[↓](#5) Heading", "Heading"),
        ("one<br/>two<br>three", "one; two; three"),
        ('<a href="https://x" target="_blank">FAQs</a> &amp; more', "FAQs & more"),
        ("<ul><li>SQS</li><li>SNS</li></ul>", "SQS; SNS"),
        ("## Heading with #hash", "Heading with #hash"),
        ("a | b", "a b"),
        ("  spaced\n\tout  ", "spaced out"),
        ("/home/<user> folder, <200 nodes", "/home/<user> folder, <200 nodes"),
        ("StatusCheckFailed_Instance", "StatusCheckFailed_Instance"),
        ("**unclosed bold", "unclosed bold"),
        ("~~deprecated~~ class", "deprecated class"),
        ("![img](a.png)", ""),
        ("1. not a list", "1. not a list"),
        ("> not a quote", "> not a quote"),
        ("price \\$5 \\* 2", "price $5 * 2"),
    ],
)
def test_clean_inline(raw: str, expected: str):
    assert clean_inline(raw) == expected


# --------------------------------------------------------------------------------------------
# Glossary TSV
# --------------------------------------------------------------------------------------------


def test_glossary_topics_entries_and_continuations():
    result = tsv(
        "",
        HEADER,
        "Topic 1) :-IAM and EC2\t\t\t",
        "EC2\tElastic Compute Cloud\tA virtual server\tDeployed apps are instances",
        "EC2 Instance Launch Types\t\tOn Demand\tpay for what we use",
        "\t\tSpot Instances\tShort Workload, cheap",
        "\t\t\tInstance lost with 2 min notice",
        "",
        HEADER,
        "Topics 2) : ELB AND ASG\t\t\t",
        "ELB\tElastic Load Balancer\tmanaged load balancer\t",
    )
    assert [(s.heading_path, s.level, s.line_start, s.line_end) for s in result.sections] == [
        (("IAM and EC2",), 1, 3, 9),
        (("ELB AND ASG",), 1, 10, 11),
    ]
    blocks = all_blocks(result)
    assert all(b.kind == "glossary" and b.line_start == b.line_end for b in blocks)
    assert (
        blocks[0].text
        == "EC2 (Elastic Compute Cloud): A virtual server; Deployed apps are instances"
    )
    assert blocks[0].context == ("IAM and EC2",)
    spot = blocks[2]
    assert spot.line_start == 6
    assert spot.context == ("IAM and EC2", "EC2 Instance Launch Types")
    assert spot.cells == (
        ("term", "EC2 Instance Launch Types"),
        ("full_form", ""),
        ("definition", "Spot Instances"),
        ("note", "Short Workload, cheap"),
    )
    assert spot.text == "EC2 Instance Launch Types: Spot Instances; Short Workload, cheap"
    assert blocks[3].cells[0] == ("term", "EC2 Instance Launch Types")
    assert blocks[4].context == ("ELB AND ASG",)
    assert result.warnings == []


def test_glossary_html_lists_and_bullets_become_semicolon_lists():
    result = tsv(
        HEADER,
        "Topic 3) SNS\t\t\t",
        'SNS\t\tSubscribers\t<ul style="x"><li>SQS</li><li>Lambda</li></ul>',
        "\t\tPublish\t• Create a topic • Publish",
        "\t\tLogin\t<code>aws ecr get-login</code> costs \\$0.05",
        "\t\tURL\t<bucket-name>.s3-website.amazonaws.com",
    )
    notes = [dict(b.cells)["note"] for b in all_blocks(result)]
    assert notes == [
        "SQS; Lambda",
        "Create a topic; Publish",
        "aws ecr get-login costs $0.05",
        "<bucket-name>.s3-website.amazonaws.com",
    ]


def test_glossary_question_rows_become_paragraphs():
    result = tsv(
        HEADER,
        "Topics 2) : ELB\t\t\t",
        "ALB\tApplication Load Balancer\tLayer 7\t",
        "question\t\t\t",
        "1)\t\tALB can route based on\tHostname, request path",
        "\t2\t\tcode commit does not support",
        "\t\t\thttp public access",
        "3\t\tWhat do you recommend?\tInstance store\t",
        "",
        HEADER,
        "Topics 3) : EBS\t\t\t",
        "EBS\tElastic Block Store\tnetwork drive\t",
    )
    questions = [b for b in all_blocks(result) if b.kind == "paragraph"]
    assert [(b.text, b.context) for b in questions] == [
        ("ALB can route based on: Hostname, request path", ("ELB", "Questions")),
        ("code commit does not support", ("ELB", "Questions")),
        ("http public access", ("ELB", "Questions", "code commit does not support")),
        ("What do you recommend? Instance store", ("ELB", "Questions")),
    ]
    assert questions[0].cells == (
        ("question", "ALB can route based on"),
        ("answer", "Hostname, request path"),
    )
    assert texts(result, "glossary")[-1] == "EBS (Elastic Block Store): network drive"


def test_glossary_malformed_rows_are_skipped_with_file_and_line_warnings():
    result = tsv(
        HEADER,
        "Topic 1) IAM\t\t\t",
        "IAM\tIdentity and Access Management\t\t",
        "Wide\ta\tb\tc\td\te",
        "\ta\tb",  # repeats cells of the wide row: spill-over
        '"Open quote\tFull\tdef\tnote',
        '"Quoted ""term"""\t\tclosed quote\t',
        "[illegible]",
        "---\t--\t---\t--",
        "\t \t\t",
        "MFA\tMultifactor Authentication\t\t\t\t\t",  # trailing empty columns are padding
    )
    assert texts(result) == [
        "IAM (Identity and Access Management)",
        'Quoted "term": closed quote',
        "MFA (Multifactor Authentication)",
    ]
    lines = [int(w.split(":")[1]) for w in result.warnings]
    assert lines == [4, 5, 6, 8]
    assert all(w.startswith("g.tsv:") for w in result.warnings)
    assert "6 columns" in result.warnings[0]


def test_glossary_without_header_row_raises_with_file_and_line():
    with pytest.raises(NoteFormatError, match=r"^g\.tsv:2: .*header"):
        read_glossary_tsv("\nIAM\tIdentity\t\t\n", file_name="g.tsv")
    with pytest.raises(NoteFormatError):
        read_glossary_tsv("\n\t\n", file_name="g.tsv")


def test_glossary_entries_before_any_topic_form_a_level_zero_section():
    result = tsv(HEADER, "VPC\tVirtual Private Cloud\t\t", "\t\tsubnets\t")
    assert [(s.heading_path, s.level) for s in result.sections] == [((), 0)]
    assert all_blocks(result)[1].context == ("VPC",)


def test_nul_characters_are_a_format_error():
    with pytest.raises(NoteFormatError, match=r"^x\.md:2:"):
        read_markdown("# a\n\x00", file_name="x.md")


# --------------------------------------------------------------------------------------------
# The real notes
# --------------------------------------------------------------------------------------------


def read_real(name: str) -> tuple[str, ReadResult]:
    path = NOTES_DIR / name
    assert path.is_file(), f"study notes missing: {path}"  # fail, don't skip
    text = path.read_text(encoding="utf-8")
    reader = read_glossary_tsv if name.endswith(".tsv") else read_markdown
    return text, reader(text, file_name=name)


ALL_FILES = (*MARKDOWN_FILES, GLOSSARY_FILE)


@pytest.mark.parametrize("name", ALL_FILES)
def test_real_line_ranges_are_inside_the_file_and_sections_do_not_overlap(name: str):
    text, result = read_real(name)
    assert_line_ranges_valid(result, text)
    lines = split_lines(text)
    for parsed in result.sections:
        assert parsed.raw_markdown == "\n".join(lines[parsed.line_start - 1 : parsed.line_end])


@pytest.mark.parametrize("name", ALL_FILES)
def test_real_blocks_have_no_markup_leftovers(name: str):
    _, result = read_real(name)
    assert_clean(result)


KNOWN_PATHS = {
    "saa-c02-notes.md": (
        "WORK IN PROGRESS AWS Solutions Architect Associate Certification - SAA-C02",
        "AWS Databases and Storage services",
        "Amazon S3",
        "S3 Encryption",
    ),
    "sap-professional-notes.md": (
        "Identity and Federation",
        "Identity and Access Management (IAM)",
        "Policies",
        "Policy Conditions",
    ),
    "saa-associate-notes.md": (
        "Architect Associate",
        "Identity and Access Management (IAM)",
        "IAM Policies",
        "IAM Managed Policy",
    ),
    "aws-services-notes.md": ("AWS Notes", "Other Serverless"),
    "aws-glossary.tsv": ("IAM and EC2",),
}


@pytest.mark.parametrize("name", ALL_FILES)
def test_real_known_heading_path_exists(name: str):
    _, result = read_real(name)
    assert KNOWN_PATHS[name] in {parsed.heading_path for parsed in result.sections}


# Measured: sections/blocks = 49/274, 343/2332, 559/3338, 6/372, 23/1375 (floors ~10% lower).
COUNT_FLOORS = {
    "saa-c02-notes.md": (44, 246, {"paragraph": 120, "bullet": 125}),
    "sap-professional-notes.md": (308, 2098, {"bullet": 1800, "table_row": 150, "code": 5}),
    "saa-associate-notes.md": (500, 3004, {"bullet": 2550, "table_row": 170, "code": 4}),
    "aws-services-notes.md": (5, 334, {"bullet": 330}),
    "aws-glossary.tsv": (20, 1237, {"glossary": 1180, "paragraph": 50}),
}


@pytest.mark.parametrize("name", ALL_FILES)
def test_real_section_and_block_counts_stay_above_floors(name: str):
    _, result = read_real(name)
    min_sections, min_blocks, min_kinds = COUNT_FLOORS[name]
    blocks = all_blocks(result)
    assert len(result.sections) >= min_sections
    assert len(blocks) >= min_blocks
    for kind, floor in min_kinds.items():
        assert sum(block.kind == kind for block in blocks) >= floor, kind


def test_real_sap_notes_drop_navigation_and_read_tables():
    _, result = read_real("sap-professional-notes.md")
    assert result.sections[0].level == 1  # the TOC before the first heading yields nothing
    rows = [b for b in all_blocks(result) if b.kind == "table_row"]
    assert any(b.cells and b.cells[0][0] == "" for b in rows)  # "." header columns
    assert any("; " in value for b in rows for _, value in b.cells)  # <br/> joined


def test_real_associate_notes_warn_about_todo_sections():
    _, result = read_real("saa-associate-notes.md")
    todo = [s for s in result.sections if s.heading_path[-1].startswith("TODO")]
    assert todo and all(not s.blocks for s in todo)
    assert sum("placeholder section" in w for w in result.warnings) == len(todo)
    assert any(b.kind == "code" and b.text.lstrip().startswith("{") for b in all_blocks(result))


def test_real_glossary_continuations_questions_and_malformed_rows():
    _, result = read_real(GLOSSARY_FILE)
    blocks = all_blocks(result)
    spot = [b for b in blocks if dict(b.cells).get("definition") == "Spot Instances"]
    assert spot and dict(spot[0].cells)["term"] == "EC2 Instance Launch Types"
    assert spot[0].context == ("IAM and EC2", "EC2 Instance Launch Types")
    assert any(b.kind == "paragraph" and "Questions" in b.context for b in blocks)
    assert any("columns, expected at most 4" in w for w in result.warnings)
    assert all(w.startswith(f"{GLOSSARY_FILE}:") for w in result.warnings)


def test_whole_notes_set_reads_well_under_a_second():
    files = [NOTES_DIR / name for name in ALL_FILES]
    contents = [(path.name, path.read_text(encoding="utf-8")) for path in files]
    clean_inline.cache_clear()  # measure the real work, not the cache
    started = time.perf_counter()
    for name, text in contents:
        reader = read_glossary_tsv if name.endswith(".tsv") else read_markdown
        reader(text, file_name=name)
    assert time.perf_counter() - started < 1.0


# --------------------------------------------------------------------------------------------
# Fuzzing
# --------------------------------------------------------------------------------------------

MARKDOWN_FRAGMENTS = (
    "#",
    "## ",
    "# Title",
    "-",
    "- ",
    "  - ",
    "* ",
    "1. ",
    "+ ",
    "• ",
    "|",
    " | ",
    "-|-",
    "|---|---|",
    ".",
    "```",
    "```json",
    "~~~",
    "`",
    "<h2>",
    "</h2>",
    "<h3>x</h3>",
    "<br/>",
    "<a name='x'></a>",
    "<!--",
    "-->",
    "<!-- toc_start -->",
    "<!-- toc_end -->",
    "[↖](#top)",
    "[x](#y)",
    "![i](p.png)",
    "**",
    "_",
    ">",
    "> [!NOTE]",
    "---",
    "===",
    "TODO",
    "\t",
    "    ",
    "\n",
    "\n\n",
    "\r\n",
    "word",
    "<user>",
    "&amp;",
    "\\",
)
markdownish = st.lists(
    st.one_of(st.sampled_from(MARKDOWN_FRAGMENTS), st.text(max_size=4)), max_size=60
).map("".join)
tsvish = st.lists(
    st.one_of(
        st.sampled_from(
            (HEADER, "Topic 1) x", "question", "\t", '"', "\n", "1)", "<ul><li>", "•", "a")
        ),
        st.text(max_size=4),
    ),
    max_size=40,
).map("".join)


def check_reader(reader, text: str) -> None:
    try:
        result = reader(text, file_name="fuzz")
    except NoteFormatError:
        return
    assert_line_ranges_valid(result, text)
    assert_clean(result)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_fuzz_read_markdown_arbitrary_text(text: str):
    check_reader(read_markdown, text)


@settings(max_examples=300, deadline=None)
@given(markdownish)
def test_fuzz_read_markdown_markdownish_text(text: str):
    check_reader(read_markdown, text)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_fuzz_read_glossary_arbitrary_text(text: str):
    check_reader(read_glossary_tsv, text)


@settings(max_examples=300, deadline=None)
@given(st.one_of(tsvish, markdownish.map(lambda text: f"{HEADER}\n{text}")))
def test_fuzz_read_glossary_tsvish_text(text: str):
    check_reader(read_glossary_tsv, text)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), markdownish))
def test_fuzz_clean_inline_leaves_no_markup(text: str):
    assert not has_leftover(clean_inline(text))

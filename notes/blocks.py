"""Plain data passed between the note readers, the fact extractor and the ingest service.

Nothing here touches the database: readers turn a file into `ParsedSection`s, the extractor
turns their `Block`s into `FactDraft`s, and only `notes.services` writes rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Block:
    """One unit of content inside a section, already cleaned to plain text.

    kind:
      - "paragraph": a paragraph (or one sentence-bearing line) of prose.
      - "bullet": one list item; `context` holds the texts of its ancestor items, outermost first,
        so "Max 6" under "Availability Zones per Region" can be read as a full statement.
      - "table_row": one body row of a table; `cells` maps each column header to the cell text
        (`<br/>` already split into "; "), placeholder cells (".", "-") dropped; `text` is the
        row joined as "header: value; …".
      - "code": a fenced or indented code block (kept out of facts, available for display).
      - "glossary": one glossary entry (TSV reader): `cells` has "term", "full_form", "definition",
        "note"; `context` holds the current glossary topic.
    """

    kind: str
    text: str
    line_start: int
    line_end: int
    context: tuple[str, ...] = ()
    cells: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class ParsedSection:
    """A heading and the lines it owns, up to the next heading of any level."""

    heading_path: tuple[str, ...]  # cleaned heading texts, outermost first
    level: int  # 1..6; 0 for text before the first heading
    line_start: int  # 1-based, inclusive
    line_end: int  # 1-based, inclusive
    raw_markdown: str  # the section's own lines, verbatim
    blocks: list[Block] = field(default_factory=list)


@dataclass(slots=True)
class ReadResult:
    sections: list[ParsedSection]
    warnings: list[str] = field(default_factory=list)  # "file:line: message"


@dataclass(frozen=True, slots=True)
class FactDraft:
    """A fact before it is linked to rows: what the extractor found in one block."""

    kind: str  # definition | acronym | glossary | attribute | feature | use_case | comparison
    statement: str  # clean plain text, a full sentence
    line_start: int
    line_end: int
    subject_hint: str = ""  # the name the text uses for its subject ("S3", "Placement Groups")
    concept: str = ""  # a named concept under the service, if any
    value: str = ""  # "5 TB", "99.999999999%", "365 days"
    value_number: float | None = None  # value in its unit's base (bytes, seconds, …)
    unit: str = ""  # canonical unit family: bytes, seconds, count, percent, port, usd

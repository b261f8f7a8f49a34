"""The question bank file format (fixtures/question_bank.yaml): parse, validate, serialise.

One entry per question, hand-editable:

    - key: s3-largest-object-3f2a1c          # stable: learners' history follows it
      certification: SAA-C03
      domain: 3                              # domain number in that certification
      task_statement: "3.1"                  # optional
      services: [S3]                         # catalog short names
      kind: single                           # single | multiple
      select: 1                              # how many to choose (2 or 3 for multiple)
      template: attribute                    # generator template; empty for authored
      origin: generated                      # generated | authored
      status: published                      # draft | published | retired | stale
      stem: What is the largest object Amazon S3 can store?
      choices:
        - text: 5 TB
          correct: true
          rationale: Why this option is right or wrong.
      explanation: Markdown.
      sources:                               # the facts the question was built from
        - file: saa-c02-notes.md
          heading: AWS Storage › S3
          lines: [120, 122]
          fact: 3f2a1c…                      # the fact's content hash

Nothing here touches the database: `questions.services.bank_import` resolves names to rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

FORMAT_VERSION = 1
ENTRY_FIELDS = {
    "key", "certification", "domain", "task_statement", "services", "kind", "select", "template",
    "origin", "status", "stem", "choices", "explanation", "sources",
}  # fmt: skip
REQUIRED_FIELDS = {"key", "certification", "domain", "kind", "stem", "choices", "explanation"}


class BankFormatError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class BankChoice:
    text: str
    correct: bool
    rationale: str


@dataclass(frozen=True, slots=True)
class BankSource:
    file: str
    heading: str
    lines: tuple[int, int]
    fact: str


@dataclass(frozen=True, slots=True)
class BankEntry:
    key: str
    certification: str
    domain: int
    kind: str
    select: int
    stem: str
    choices: tuple[BankChoice, ...]
    explanation: str
    task_statement: str = ""
    services: tuple[str, ...] = ()
    template: str = ""
    origin: str = "authored"
    status: str = "draft"
    sources: tuple[BankSource, ...] = field(default_factory=tuple)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BankFormatError(f"'{name}' must be non-empty text")
    return value.strip()


def parse_entry(raw: Any) -> BankEntry:
    """One YAML mapping → BankEntry; raises BankFormatError with a readable reason."""
    if not isinstance(raw, dict):
        raise BankFormatError("each question is a mapping of fields")
    unknown = set(raw) - ENTRY_FIELDS
    if unknown:
        raise BankFormatError(f"unknown field(s): {', '.join(sorted(unknown))}")
    missing = REQUIRED_FIELDS - set(raw)
    if missing:
        raise BankFormatError(f"missing field(s): {', '.join(sorted(missing))}")
    kind = raw["kind"]
    if kind not in {"single", "multiple"}:
        raise BankFormatError("'kind' must be single or multiple")
    select = raw.get("select", 1 if kind == "single" else 2)
    if not isinstance(select, int) or isinstance(select, bool):
        raise BankFormatError("'select' must be a whole number")
    if not isinstance(raw["domain"], int) or isinstance(raw["domain"], bool):
        raise BankFormatError("'domain' must be the domain number")
    choices_raw = raw["choices"]
    if not isinstance(choices_raw, list) or not choices_raw:
        raise BankFormatError("'choices' must be a list")
    choices = []
    for index, choice in enumerate(choices_raw, start=1):
        if not isinstance(choice, dict) or set(choice) - {"text", "correct", "rationale"}:
            raise BankFormatError(f"choice {index} must have text, correct and rationale only")
        if not isinstance(choice.get("correct", False), bool):
            raise BankFormatError(f"choice {index}: 'correct' must be true or false")
        choices.append(
            BankChoice(
                text=_text(choice.get("text"), f"choice {index} text"),
                correct=choice.get("correct", False),
                rationale=_text(choice.get("rationale"), f"choice {index} rationale"),
            )
        )
    sources = []
    for index, source in enumerate(raw.get("sources") or [], start=1):
        try:
            first, last = source["lines"]
            sources.append(
                BankSource(
                    file=str(source["file"]),
                    heading=str(source.get("heading", "")),
                    lines=(int(first), int(last)),
                    fact=str(source["fact"]),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BankFormatError(
                f"source {index} needs file, lines [first, last] and fact"
            ) from exc
    services = raw.get("services") or []
    if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
        raise BankFormatError("'services' must be a list of service short names")
    return BankEntry(
        key=_text(raw["key"], "key"),
        certification=_text(raw["certification"], "certification"),
        domain=raw["domain"],
        task_statement=str(raw.get("task_statement") or ""),
        services=tuple(services),
        kind=kind,
        select=select,
        template=str(raw.get("template") or ""),
        origin=str(raw.get("origin") or "authored"),
        status=str(raw.get("status") or "draft"),
        stem=_text(raw["stem"], "stem"),
        choices=tuple(choices),
        explanation=_text(raw["explanation"], "explanation"),
        sources=tuple(sources),
    )


# libyaml's safe loader when PyYAML was built with it: the same documents, parsed ~6x faster.
_BankLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_bank_text(text: str) -> tuple[list[BankEntry], list[str]]:
    """Parse a whole bank file: entries that parsed, and one error line per bad entry."""
    try:
        data = yaml.load(text, Loader=_BankLoader)
    except yaml.YAMLError as exc:
        return [], [f"not valid YAML: {exc}"]
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        return [], ["expected a mapping with a 'questions:' list"]
    if data.get("version", FORMAT_VERSION) != FORMAT_VERSION:
        return [], [f"unsupported bank format version {data.get('version')!r}"]
    entries, errors, seen = [], [], set()
    for index, raw in enumerate(data["questions"], start=1):
        label = raw.get("key") if isinstance(raw, dict) and raw.get("key") else f"#{index}"
        try:
            entry = parse_entry(raw)
        except BankFormatError as exc:
            errors.append(f"{label}: {exc}")
            continue
        if entry.key in seen:
            errors.append(f"{entry.key}: the key appears more than once")
            continue
        seen.add(entry.key)
        entries.append(entry)
    return entries, errors


class _BankDumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BankDumper.add_representer(str, _represent_str)


def entry_to_dict(entry: BankEntry) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": entry.key,
        "certification": entry.certification,
        "domain": entry.domain,
        "task_statement": entry.task_statement or None,
        "services": list(entry.services),
        "kind": entry.kind,
        "select": entry.select,
        "template": entry.template or None,
        "origin": entry.origin,
        "status": entry.status,
        "stem": entry.stem,
        "choices": [
            {"text": c.text, "correct": c.correct, "rationale": c.rationale} for c in entry.choices
        ],
        "explanation": entry.explanation,
        "sources": [
            {"file": s.file, "heading": s.heading, "lines": list(s.lines), "fact": s.fact}
            for s in entry.sources
        ],
    }
    return {k: v for k, v in data.items() if v is not None}


def dump_bank_text(entries: list[BankEntry]) -> str:
    """Deterministic YAML: entries sorted by key, fields in a fixed order, block text for
    multi-line strings, so a regenerated bank diffs cleanly."""
    header = (
        "# examsite question bank. Generated questions are reproducible from the notes with\n"
        "# `ingest_notes` + `generate_questions`; authored ones are kept across regeneration.\n"
        "# Format: see questions/bank.py.\n"
    )
    body = {
        "version": FORMAT_VERSION,
        "questions": [entry_to_dict(e) for e in sorted(entries, key=lambda e: e.key)],
    }
    return header + yaml.dump(
        body, Dumper=_BankDumper, sort_keys=False, allow_unicode=True, width=100
    )

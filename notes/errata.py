"""Errata: corrections for what the study notes state that is no longer true of AWS.

Pure Python (no Django). `fixtures/errata.yaml` lists, per outdated claim, a regular expression
that recognises it in a fact's statement and the current truth. Ingestion calls `match_erratum`
for every fact: a matched fact must not be the key of a question as written, and the learner
sees `correction_note` next to it.

Matching rules (`match_erratum`):

* The pattern is searched (case-insensitively) in the fact's statement.
* An erratum with a subject applies to facts about that service or about one of its features
  (with a `SubjectIndex` from the catalog: an "EBS" erratum covers a fact about "EBS Cold HDD").
  A fact whose subject is None (the linker found no service) still matches when its statement
  names the erratum's subject (its short name, or with a `SubjectIndex` any of its names, aliases
  and former names): the pattern then decides. A fact about *another* service never matches
  ("Kinesis retention up to 7 days" is an erratum of Kinesis Data Streams, not of a fact about
  SQS that happens to compare them).
* An erratum without a subject applies to any fact its pattern matches.
* When several errata match, the most specific wins: one with a subject before one without,
  then the longer pattern (a longer pattern says more about what it matches), then file order.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from notes.conflicts import FactRecord
from notes.linking import CatalogEntry

__all__ = [
    "CHANGES",
    "ErratumSpec",
    "SubjectIndex",
    "correction_note",
    "load_errata",
    "match_erratum",
]

CHANGES = ("value", "retired", "renamed", "behaviour")
_REQUIRED_FIELDS = (
    "key",
    "attribute",
    "pattern",
    "change",
    "outdated_value",
    "current_value",
    "reason",
    "checked_on",
)
_OPTIONAL_FIELDS = ("subject",)
_KEY_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class ErratumSpec:
    key: str  # unique slug
    subject: str | None  # catalog short name, or None for any service
    attribute: str  # what is corrected ("maximum data retention")
    pattern: re.Pattern[str]  # recognises the outdated claim in a fact statement
    change: str  # value | retired | renamed | behaviour
    outdated_value: str
    current_value: str
    reason: str
    checked_on: date


def _fail(where: str, message: str) -> ValueError:
    return ValueError(f"{where}: {message}")


def _parse_item(item: Any, *, index: int, source: str) -> ErratumSpec:
    where = f"{source}: errata[{index}]"
    if not isinstance(item, dict):
        raise _fail(where, "expected a mapping of fields")
    key = item.get("key")
    if isinstance(key, str) and key:
        where = f"{source}: erratum {key!r}"
    unknown = sorted(set(item) - set(_REQUIRED_FIELDS) - set(_OPTIONAL_FIELDS))
    if unknown:
        raise _fail(where, f"unknown field(s) {', '.join(map(str, unknown))}")
    missing = [name for name in _REQUIRED_FIELDS if item.get(name) in (None, "")]
    if missing:
        raise _fail(where, f"missing required field(s) {', '.join(missing)}")
    for name in (*_REQUIRED_FIELDS[:-1], "subject"):
        value = item.get(name)
        if value is not None and not isinstance(value, str):
            raise _fail(where, f"{name} must be a string, got {type(value).__name__}")
    if not _KEY_RE.match(item["key"]):
        raise _fail(where, "key must be a lower-case slug (letters, digits, hyphens)")
    if item["change"] not in CHANGES:
        raise _fail(where, f"change must be one of {', '.join(CHANGES)}")
    try:
        pattern = re.compile(item["pattern"], re.IGNORECASE)
    except re.error as exc:
        raise _fail(where, f"pattern does not compile: {exc}") from exc
    checked_on = item["checked_on"]
    if isinstance(checked_on, str):
        try:
            checked_on = date.fromisoformat(checked_on)
        except ValueError as exc:
            raise _fail(where, "checked_on must be a date (YYYY-MM-DD)") from exc
    if not isinstance(checked_on, date):
        raise _fail(where, "checked_on must be a date (YYYY-MM-DD)")
    subject = item.get("subject") or None
    return ErratumSpec(
        key=item["key"],
        subject=subject.strip() if subject else None,
        attribute=item["attribute"].strip(),
        pattern=pattern,
        change=item["change"],
        outdated_value=str(item["outdated_value"]).strip(),
        current_value=str(item["current_value"]).strip(),
        reason=" ".join(item["reason"].split()),
        checked_on=checked_on,
    )


def load_errata(
    path: str | Path, *, known_subjects: Collection[str] | None = None
) -> list[ErratumSpec]:
    """Read and validate an errata file; raise ValueError naming the erratum at fault.

    Checks: a top-level `errata:` list, known fields only, required fields present, unique keys,
    compilable patterns, a valid `change` and `checked_on`, and (when `known_subjects` is given,
    e.g. the catalog's short names) that every subject exists.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"{path.name}: cannot read: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("errata"), list):
        raise ValueError(f"{path.name}: expected a top-level 'errata:' list")
    errata: list[ErratumSpec] = []
    seen: set[str] = set()
    for index, item in enumerate(data["errata"]):
        erratum = _parse_item(item, index=index, source=path.name)
        if erratum.key in seen:
            raise ValueError(f"{path.name}: erratum {erratum.key!r}: duplicate key")
        seen.add(erratum.key)
        if known_subjects is not None and erratum.subject and erratum.subject not in known_subjects:
            raise ValueError(
                f"{path.name}: erratum {erratum.key!r}: unknown subject {erratum.subject!r} "
                "(not a short name in the service catalog)"
            )
        errata.append(erratum)
    return errata


@dataclass(frozen=True)
class SubjectIndex:
    """What matching needs from the service catalog: each short name's other names, and each
    feature's parent service. Build it once (`from_catalog`) and pass it to every call."""

    names: Mapping[str, tuple[str, ...]]
    parents: Mapping[str, str]

    @classmethod
    def from_catalog(cls, entries: Iterable[CatalogEntry]) -> SubjectIndex:
        names: dict[str, tuple[str, ...]] = {}
        parents: dict[str, str] = {}
        for entry in entries:
            names[entry.short_name] = (entry.name, *entry.aliases, *entry.former_names)
            if entry.parent:
                parents[entry.short_name] = entry.parent
        return cls(names, parents)

    def covers(self, erratum_subject: str, fact_subject: str) -> bool:
        """Is `fact_subject` the erratum's subject or one of its features (at any depth)?"""
        seen: set[str] = set()
        subject: str | None = fact_subject
        while subject is not None and subject not in seen:
            if subject == erratum_subject:
                return True
            seen.add(subject)
            subject = self.parents.get(subject)
        return False


def _names_subject(statement: str, names: Iterable[str]) -> bool:
    for name in names:
        if name and re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", statement, re.IGNORECASE):
            return True
    return False


def _applies_to(fact: FactRecord, erratum: ErratumSpec, subjects: SubjectIndex | None) -> bool:
    if erratum.subject is None or fact.subject == erratum.subject:
        return True
    if fact.subject is not None:
        return subjects is not None and subjects.covers(erratum.subject, fact.subject)
    names = (erratum.subject, *(subjects.names.get(erratum.subject, ()) if subjects else ()))
    return _names_subject(fact.statement, names)


def _specificity(erratum: ErratumSpec) -> tuple[int, int]:
    return (erratum.subject is not None, len(erratum.pattern.pattern))


def match_erratum(
    fact: FactRecord, errata: Sequence[ErratumSpec], *, subjects: SubjectIndex | None = None
) -> ErratumSpec | None:
    """The erratum that corrects this fact, or None (see the module docstring for the rules)."""
    best: ErratumSpec | None = None
    for erratum in errata:
        if not erratum.pattern.search(fact.statement):
            continue
        if not _applies_to(fact, erratum, subjects):
            continue
        if best is None or _specificity(erratum) > _specificity(best):
            best = erratum  # strictly more specific only: ties keep file order
    return best


def correction_note(erratum: ErratumSpec) -> str:
    """One sentence for the learner, e.g. "Older notes say 7 days; the current maximum data
    retention is 365 days (checked 2026-11-24)."."""
    checked = f"(checked {erratum.checked_on.isoformat()})"
    outdated, current = erratum.outdated_value, erratum.current_value
    if erratum.change == "value":
        return (
            f"Older notes say {outdated}; the current {erratum.attribute} is {current} {checked}."
        )
    if erratum.change == "renamed":
        return f"Older notes call it {outdated}; it is now {current} {checked}."
    if erratum.change == "retired":
        return f"Older notes present {outdated} as available; {current} {checked}."
    return f"Older notes say {outdated}; now {current} {checked}."

"""Turning one notes file into sections and fact drafts, before anything is written.

Reading is separated from writing so that a file that fails (binary, not UTF-8, empty, malformed)
fails here, whole, and `notes.services.note_file_ingest` only ever writes a fully prepared file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from notes.blocks import FactDraft, ParsedSection
from notes.extract import extract_facts, statement_hash
from notes.linking import ServiceMatcher
from notes.readers import NoteFormatError, read_glossary_tsv, read_markdown
from notes.tagging import Tag, tag_fact

MARKDOWN_SUFFIXES = {".md", ".markdown", ".txt"}
GLOSSARY_SUFFIXES = {".tsv"}
NOTE_SUFFIXES = MARKDOWN_SUFFIXES | GLOSSARY_SUFFIXES


class NoteFileError(Exception):
    """A file that cannot be ingested; the message names the file (and line where known)."""


@dataclass(slots=True)
class PreparedFact:
    draft: FactDraft
    section_index: int
    service: str | None  # catalog short name
    content_hash: str
    tags: list[Tag]


@dataclass(slots=True)
class PreparedFile:
    path: Path
    name: str
    content_hash: str
    line_count: int
    sections: list[ParsedSection]
    facts: list[PreparedFact] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def is_note_file_in_folder(path: Path) -> bool:
    # A folder's README describes the folder; it is not study notes (name it to ingest it).
    return (
        path.is_file()
        and path.suffix.lower() in NOTE_SUFFIXES
        and not path.stem.upper().startswith("README")
        and not any(part.startswith(".") for part in path.parts[-1:])
    )


def find_note_files(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """Expand files and folders into note files (sorted, deduplicated) and per-path errors."""
    found: dict[Path, None] = {}
    errors: list[str] = []
    for path in paths:
        if not path.exists():
            errors.append(f"{path}: no such file or folder.")
        elif path.is_dir():
            files = sorted(p for p in path.rglob("*") if is_note_file_in_folder(p))
            if not files:
                errors.append(
                    f"{path}: no notes here (looked for {', '.join(sorted(NOTE_SUFFIXES))})."
                )
            found.update(dict.fromkeys(files))
        elif path.suffix.lower() not in NOTE_SUFFIXES:
            errors.append(
                f"{path}: not a notes file (expected {', '.join(sorted(NOTE_SUFFIXES))})."
            )
        else:
            found[path] = None
    return list(found), errors


def decode_note_bytes(data: bytes, *, name: str) -> str:
    if not data.strip():
        raise NoteFileError(f"{name}: the file is empty.")
    if b"\x00" in data[:8192]:
        raise NoteFileError(f"{name}: looks like a binary file, not text notes.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise NoteFileError(
            f"{name}:{line}: not valid UTF-8 (byte {data[exc.start]:#04x}); save the file as UTF-8."
        ) from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def prepare_note_file(
    path: Path, *, data: bytes, matcher: ServiceMatcher, categories: dict[str, str]
) -> PreparedFile:
    """Parse, extract and tag one file. Raises NoteFileError for a file that cannot be used."""
    name = path.name
    text = decode_note_bytes(data, name=name)
    try:
        if path.suffix.lower() in GLOSSARY_SUFFIXES:
            result = read_glossary_tsv(text, file_name=name)
        else:
            result = read_markdown(text, file_name=name)
    except NoteFormatError as exc:
        raise NoteFileError(str(exc)) from exc
    prepared = PreparedFile(
        path=path,
        name=name,
        content_hash=content_hash(data),
        line_count=text.count("\n") + (0 if text.endswith("\n") else 1),
        sections=result.sections,
        warnings=list(result.warnings),
    )
    prepared.facts = list(_prepare_facts(result.sections, matcher=matcher, categories=categories))
    if not prepared.sections:
        raise NoteFileError(f"{name}: no headings, paragraphs or entries found.")
    return prepared


def _prepare_facts(
    sections: list[ParsedSection], *, matcher: ServiceMatcher, categories: dict[str, str]
) -> Iterator[PreparedFact]:
    for index, section in enumerate(sections):
        for draft, service in extract_facts(section, resolver=matcher):
            tags = tag_fact(
                draft.statement,
                category=categories.get(service) if service else None,
                heading_path=section.heading_path,
                service=service,
            )
            yield PreparedFact(
                draft=draft,
                section_index=index,
                service=service,
                content_hash=statement_hash(service, draft.statement),
                tags=tags,
            )

"""Writes to the knowledge base. Every function is keyword-only, atomic, and validates rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from notes.conflicts import Conflict, FactRecord, find_conflicts
from notes.errata import SubjectIndex, load_errata, match_erratum
from notes.ingest import (
    NoteFileError,
    PreparedFile,
    content_hash,
    find_note_files,
    prepare_note_file,
)
from notes.linking import ServiceMatcher
from notes.models import (
    Certification,
    Domain,
    Erratum,
    Fact,
    FactTag,
    NoteSource,
    Section,
    Service,
    TaskStatement,
)
from notes.selectors import (
    catalog_entries,
    erratum_spec,
    service_matcher_from_catalog,
    task_statement_ids,
)
from notes.signals import facts_removed, facts_ruled_on


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    messages: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


def _read_yaml_list(path: Path, key: str) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValidationError(f"{path.name}: cannot read: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise ValidationError(f"{path.name}: expected a top-level '{key}:' list.")
    return data[key]


def _upsert(model, *, lookup: dict[str, Any], values: dict[str, Any], report: LoadReport):
    """Create or update one row, validating it first; report what happened."""
    instance = model.objects.filter(**lookup).first()
    if instance is None:
        instance = model(**lookup, **values)
        outcome = "created"
    else:
        changed = {k: v for k, v in values.items() if getattr(instance, k) != v}
        if not changed:
            report.count("unchanged")
            return instance
        for name, value in changed.items():
            setattr(instance, name, value)
        outcome = "updated"
    instance.full_clean()
    instance.save()
    report.count(outcome)
    return instance


@transaction.atomic
def blueprint_load(*, path: Path) -> LoadReport:
    """Create or update certifications, domains and task statements from a blueprint YAML."""
    report = LoadReport()
    for item in _read_yaml_list(path, "certifications"):
        code = item["code"]
        certification = _upsert(
            Certification,
            lookup={"code": code},
            values={
                name: item[name]
                for name in (
                    "name",
                    "level",
                    "question_count",
                    "unscored_count",
                    "minutes",
                    "passing_score",
                    "score_min",
                    "score_max",
                )
            },
            report=report,
        )
        domains = item.get("domains") or []
        certification.validate_weights([d["weight"] for d in domains])
        for domain_item in domains:
            domain = _upsert(
                Domain,
                lookup={"certification": certification, "number": domain_item["number"]},
                values={"name": domain_item["name"], "weight": domain_item["weight"]},
                report=report,
            )
            for statement in domain_item.get("task_statements") or []:
                _upsert(
                    TaskStatement,
                    lookup={"domain": domain, "code": str(statement["code"])},
                    values={"text": statement["text"]},
                    report=report,
                )
        certification.validate_weights()
    return report


@transaction.atomic
def service_catalog_load(*, path: Path) -> LoadReport:
    """Create or update the AWS service catalog; features are linked to their parent service."""
    report = LoadReport()
    items = _read_yaml_list(path, "services")
    by_short_name: dict[str, Service] = {}
    # Two passes so a feature may come before its parent in the file: rows first (new ones as
    # plain services), then kind and parent, which are validated together.
    for item in items:
        values = {
            "name": item["name"],
            "category": item["category"],
            "aliases": list(item.get("aliases") or []),
            "former_names": list(item.get("former_names") or []),
            "retired": bool(item.get("retired", False)),
        }
        by_short_name[item["short_name"]] = _upsert(
            Service, lookup={"short_name": item["short_name"]}, values=values, report=report
        )
    for item in items:
        service = by_short_name[item["short_name"]]
        parent_name = item.get("parent")
        parent = by_short_name.get(parent_name) if parent_name else None
        if parent_name and parent is None:
            raise ValidationError(f"{item['short_name']}: unknown parent {parent_name!r}.")
        kind = item.get("kind") or Service.Kind.SERVICE
        if service.parent_id != (parent.pk if parent else None) or service.kind != kind:
            service.parent = parent
            service.kind = kind
            service.full_clean()
            service.save(update_fields=["parent", "kind"])
    return report


@dataclass
class FileIngestReport:
    name: str
    outcome: str  # "created" | "updated" | "unchanged" | "failed"
    sections: int = 0
    facts: int = 0
    facts_linked: int = 0
    facts_by_kind: dict[str, int] = field(default_factory=dict)
    facts_kept: int = 0
    facts_removed: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str = ""


@transaction.atomic
def note_file_ingest(
    *,
    prepared: PreparedFile,
    source_path: str,
    service_ids: dict[str, int],
    task_statement_ids: dict[tuple[str, str], int],
) -> FileIngestReport:
    """Replace one file's sections and facts with a freshly prepared version, in one transaction.

    Facts whose identity (subject + statement) survives keep their row, so questions built on
    them stay linked; facts that disappeared are announced (questions go stale) and deleted.
    """
    source = NoteSource.objects.filter(path=source_path).first()
    outcome = "updated" if source else "created"
    if source is None:
        source = NoteSource(path=source_path)
    source.name = prepared.name
    source.content_hash = prepared.content_hash
    source.line_count = prepared.line_count
    source.ingested_at = timezone.now()
    source.full_clean()
    source.save()

    old_section_ids = list(source.sections.values_list("pk", flat=True))
    old_facts_by_hash: dict[str, list[Fact]] = defaultdict(list)
    for fact in Fact.objects.filter(section__source=source).only("pk", "content_hash"):
        old_facts_by_hash[fact.content_hash].append(fact)

    # Positions continue after the old ones so the (source, position) constraint holds until the
    # old sections are deleted at the end.
    offset = (source.sections.aggregate(top=Max("position"))["top"] or 0) + 1
    sections = [
        Section(
            source=source,
            position=offset + index,
            heading_path=list(parsed.heading_path),
            level=parsed.level,
            line_start=parsed.line_start,
            line_end=parsed.line_end,
            raw_markdown=parsed.raw_markdown,
        )
        for index, parsed in enumerate(prepared.sections)
    ]
    for section in sections:
        section.full_clean(exclude=["source"], validate_unique=False, validate_constraints=False)
    Section.objects.bulk_create(sections)

    report = FileIngestReport(
        name=prepared.name, outcome=outcome, sections=len(sections), warnings=prepared.warnings
    )
    kept: list[Fact] = []
    new: list[Fact] = []
    tags_for: list[tuple[Fact, list]] = []
    for item in prepared.facts:
        draft = item.draft
        reused = old_facts_by_hash.get(item.content_hash)
        fact = reused.pop() if reused else Fact()
        fact.section = sections[item.section_index]
        fact.kind = draft.kind
        fact.subject_id = service_ids.get(item.service) if item.service else None
        fact.concept = draft.concept[:200]
        fact.statement = draft.statement
        fact.value = draft.value[:200]
        fact.value_number = draft.value_number
        fact.unit = draft.unit
        fact.line_start = draft.line_start
        fact.line_end = draft.line_end
        fact.content_hash = item.content_hash
        fact.full_clean(
            exclude=["section", "subject"], validate_unique=False, validate_constraints=False
        )
        (kept if fact.pk else new).append(fact)
        tags_for.append((fact, item.tags))
        report.facts_by_kind[draft.kind] = report.facts_by_kind.get(draft.kind, 0) + 1
        report.facts_linked += fact.subject_id is not None
    Fact.objects.bulk_update(
        kept,
        ["section", "kind", "subject", "concept", "statement", "value", "value_number", "unit",
         "line_start", "line_end"],
        batch_size=500,
    )  # fmt: skip
    Fact.objects.bulk_create(new, batch_size=500)
    report.facts = len(kept) + len(new)
    report.facts_kept = len(kept)

    removed_ids = [fact.pk for facts in old_facts_by_hash.values() for fact in facts]
    if removed_ids:
        facts_removed.send(sender=Fact, fact_ids=removed_ids)
    report.facts_removed = len(removed_ids)

    FactTag.objects.filter(fact__in=kept).delete()
    FactTag.objects.bulk_create(
        [
            FactTag(fact=fact, task_statement_id=ts_id, confidence=tag.confidence)
            for fact, tags in tags_for
            for tag in tags
            if (ts_id := task_statement_ids.get((tag.certification, tag.task_statement)))
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    # Deleting the old sections cascades to the facts that were not kept.
    Section.objects.filter(pk__in=old_section_ids).delete()
    return report


@dataclass
class IngestSummary:
    files: list[FileIngestReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    trust: TrustReport | None = None  # set when any file changed

    @property
    def failed(self) -> bool:
        return bool(self.errors)


def notes_ingest(
    *, paths: Sequence[Path], on_file: Callable[[FileIngestReport], None] | None = None
) -> IngestSummary:
    """Ingest note files and folders. Each file is its own transaction: a file that fails leaves
    what was saved for it untouched, and the other files still ingest."""
    summary = IngestSummary()
    files, summary.errors = find_note_files(paths)
    matcher, categories, service_ids = service_matcher_from_catalog()
    statement_ids = task_statement_ids()
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            report = FileIngestReport(name=path.name, outcome="failed", error=f"{path}: {exc}")
        else:
            report = _note_data_ingest(
                path=path,
                data=data,
                source_path=str(path),
                matcher=matcher,
                categories=categories,
                service_ids=service_ids,
                statement_ids=statement_ids,
            )
        _summary_add(summary, report, on_file=on_file)
    _summary_finish(summary)
    return summary


def note_text_ingest(*, name: str, data: bytes, source_path: str) -> IngestSummary:
    """Ingest one notes file that is not on disk (an upload), under `source_path`.

    The same rules as a file on disk: `name`'s suffix picks the reader, unchanged content changes
    nothing, changed content replaces that source in one transaction, and content that cannot be
    used is reported in `errors` (naming the file and line) with nothing written."""
    summary = IngestSummary()
    matcher, categories, service_ids = service_matcher_from_catalog()
    report = _note_data_ingest(
        path=Path(name),
        data=data,
        source_path=source_path,
        matcher=matcher,
        categories=categories,
        service_ids=service_ids,
        statement_ids=task_statement_ids(),
    )
    _summary_add(summary, report)
    _summary_finish(summary)
    return summary


def _note_data_ingest(
    *,
    path: Path,
    data: bytes,
    source_path: str,
    matcher: ServiceMatcher,
    categories: dict[str, str],
    service_ids: dict[str, int],
    statement_ids: dict[tuple[str, str], int],
) -> FileIngestReport:
    existing = NoteSource.objects.filter(path=source_path).first()
    if existing and existing.content_hash == content_hash(data):
        return FileIngestReport(
            name=path.name,
            outcome="unchanged",
            sections=existing.sections.count(),
            facts=Fact.objects.filter(section__source=existing).count(),
        )
    try:
        prepared = prepare_note_file(path, data=data, matcher=matcher, categories=categories)
    except NoteFileError as exc:
        return FileIngestReport(name=path.name, outcome="failed", error=str(exc))
    return note_file_ingest(
        prepared=prepared,
        source_path=source_path,
        service_ids=service_ids,
        task_statement_ids=statement_ids,
    )


def _summary_add(
    summary: IngestSummary,
    report: FileIngestReport,
    *,
    on_file: Callable[[FileIngestReport], None] | None = None,
) -> None:
    if report.error:
        summary.errors.append(report.error)
    summary.files.append(report)
    if on_file:
        on_file(report)


def _summary_finish(summary: IngestSummary) -> None:
    if any(report.outcome in {"created", "updated"} for report in summary.files):
        # Conflicts span files, so they are recomputed once all files are in.
        summary.trust = facts_trust_refresh()


# --- Trust: errata and conflicts ---------------------------------------------------------------


@transaction.atomic
def errata_load(*, path: Path) -> LoadReport:
    """Create or update errata from YAML (instructors' own admin entries are left alone)."""
    report = LoadReport()
    services = {s.short_name: s for s in Service.objects.all()}
    try:
        specs = load_errata(path, known_subjects=services.keys())
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    for spec in specs:
        _upsert(
            Erratum,
            lookup={"key": spec.key},
            values={
                "subject": services.get(spec.subject) if spec.subject else None,
                "attribute": spec.attribute,
                "pattern": spec.pattern.pattern,
                "change": spec.change,
                "outdated_value": spec.outdated_value,
                "current_value": spec.current_value,
                "reason": spec.reason,
                "checked_on": spec.checked_on,
            },
            report=report,
        )
    return report


@dataclass
class TrustReport:
    conflicts: list[Conflict] = field(default_factory=list)
    outdated: int = 0
    open_conflicts: int = 0  # facts withheld because neither side of a conflict is ruled on
    errata_applied: int = 0
    changed: int = 0


@transaction.atomic
def facts_trust_refresh() -> TrustReport:
    """Recompute every fact's status: `outdated` where an erratum matches (or an instructor
    rejected it), `conflict` where it contradicts another fact nobody has ruled on, else
    `active`. Runs after ingestion and after errata or verdicts change."""
    facts = list(
        Fact.objects.select_related("subject", "section__source").only(
            "pk", "kind", "statement", "value", "value_number", "unit", "concept", "line_start",
            "status", "erratum_id", "resolution", "subject__short_name", "section__source__name",
        )
    )  # fmt: skip
    records = {
        fact.pk: FactRecord(
            id=fact.pk,
            subject=fact.subject.short_name if fact.subject else None,
            concept=fact.concept,
            kind=fact.kind,
            statement=fact.statement,
            value=fact.value,
            value_number=fact.value_number,
            unit=fact.unit,
            source=fact.section.source.name,
            line_start=fact.line_start,
        )
        for fact in facts
    }
    entries = catalog_entries()
    subjects = SubjectIndex.from_catalog(entries)
    errata = [(row, erratum_spec(row)) for row in Erratum.objects.select_related("subject")]
    specs = [spec for _, spec in errata]
    row_by_key = {row.key: row for row, _ in errata}
    matched: dict[int, Erratum] = {}
    for fact in facts:
        spec = match_erratum(records[fact.pk], specs, subjects=subjects)
        if spec is not None:
            matched[fact.pk] = row_by_key[spec.key]
    # Every contradiction is linked, so instructors see both sides; it only withholds facts
    # while neither side is known to be outdated (an erratum or a verdict explains it).
    conflicts = find_conflicts(records.values(), catalog=entries)
    outdated = set(matched) | {fact.pk for fact in facts if fact.resolution == "rejected"}
    open_conflict: set[int] = set()
    for conflict in conflicts:
        if conflict.first not in outdated and conflict.second not in outdated:
            open_conflict |= {conflict.first, conflict.second}

    report = TrustReport(conflicts=conflicts, errata_applied=len(set(matched.values())))
    changed = []
    for fact in facts:
        erratum = matched.get(fact.pk)
        if fact.pk in outdated:
            status = Fact.Status.OUTDATED
        elif fact.pk in open_conflict and fact.resolution != "kept":
            status = Fact.Status.CONFLICT
        else:
            status = Fact.Status.ACTIVE
        erratum_id = erratum.pk if erratum else None
        if (fact.status, fact.erratum_id) != (status, erratum_id):
            fact.status, fact.erratum_id = status, erratum_id
            changed.append(fact)
        report.outdated += status == Fact.Status.OUTDATED
        report.open_conflicts += status == Fact.Status.CONFLICT
    Fact.objects.bulk_update(changed, ["status", "erratum"], batch_size=500)
    report.changed = len(changed)

    links = Fact.conflicts_with.through
    links.objects.all().delete()
    links.objects.bulk_create(
        [
            links(from_fact_id=a, to_fact_id=b)
            for conflict in conflicts
            for a, b in ((conflict.first, conflict.second), (conflict.second, conflict.first))
        ],
        batch_size=1000,
    )
    return report


@transaction.atomic
def fact_resolve_conflict(*, fact: Fact) -> TrustReport:
    """An instructor rules that `fact` is right: it is kept, the facts it conflicts with are
    rejected (they become outdated), and statuses are recomputed."""
    others = list(fact.conflicts_with.all())
    fact.resolution = "kept"
    fact.full_clean(exclude=["section", "subject", "erratum"])
    fact.save(update_fields=["resolution"])
    Fact.objects.filter(pk__in=[o.pk for o in others]).update(resolution="rejected")
    report = facts_trust_refresh()
    _announce_ruling([fact, *others])
    return report


@transaction.atomic
def fact_reject(*, fact: Fact) -> TrustReport:
    """An instructor rules that `fact` is wrong: it becomes outdated and is never keyed."""
    fact.resolution = "rejected"
    fact.save(update_fields=["resolution"])
    report = facts_trust_refresh()
    _announce_ruling([fact])
    return report


@transaction.atomic
def erratum_save(*, erratum: Erratum) -> TrustReport:
    """Create or change an erratum and re-check every fact against the errata."""
    erratum.full_clean()
    erratum.save()
    report = facts_trust_refresh()
    _announce_ruling(list(erratum.facts.select_related("subject")))
    return report


def _announce_ruling(facts: Sequence[Fact]) -> None:
    subjects = sorted({f.subject.short_name for f in facts if f.subject_id})
    if subjects:
        # After commit: regeneration reads the new statuses and must not run if this rolls back.
        transaction.on_commit(lambda: facts_ruled_on.send(sender=Fact, subjects=subjects))

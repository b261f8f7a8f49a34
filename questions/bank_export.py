"""Reads questions back into bank entries (the inverse of `bank_import`)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch

from notes.models import Fact
from questions.bank import BankChoice, BankEntry, BankSource
from questions.models import Question


def _with_bank_relations(questions):
    return questions.select_related("certification", "domain", "task_statement").prefetch_related(
        "choices",
        "services",
        Prefetch(
            "source_facts",
            queryset=Fact.objects.select_related("section__source").order_by("content_hash"),
        ),
    )


def question_to_entry(question: Question) -> BankEntry:
    return BankEntry(
        key=question.key,
        certification=question.certification.code,
        domain=question.domain.number,
        task_statement=question.task_statement.code if question.task_statement else "",
        services=tuple(sorted(s.short_name for s in question.services.all())),
        kind=question.kind,
        select=question.select_count,
        template=question.template,
        origin=question.origin,
        status=question.status,
        stem=question.stem,
        choices=tuple(
            BankChoice(c.text, c.is_correct, c.rationale)
            for c in sorted(question.choices.all(), key=lambda c: c.position)
        ),
        explanation=question.explanation,
        sources=tuple(
            BankSource(
                file=f.section.source.name,
                heading=f.section.heading,
                lines=(f.line_start, f.line_end),
                fact=f.content_hash,
            )
            for f in question.source_facts.all()
        ),
    )


def bank_entries_for(questions: Iterable[Question]) -> list[BankEntry]:
    ids = [q.pk for q in questions]
    return [question_to_entry(q) for q in _with_bank_relations(Question.objects.filter(pk__in=ids))]


def bank_entries_all() -> list[BankEntry]:
    return [question_to_entry(q) for q in _with_bank_relations(Question.objects.all())]


def generation_inputs(
    *, certification: str | None = None, service: str | None = None
) -> tuple[list, list, dict]:
    """Facts, services and blueprints in the plain form `questions.generation.generate` takes."""
    from notes.models import Certification, Service
    from questions.generation import Blueprint, FactView, ServiceView

    services = [
        ServiceView(
            short_name=s.short_name,
            name=s.name,
            category=s.category,
            parent=s.parent.short_name if s.parent else None,
            kind=s.kind,
        )
        for s in Service.objects.select_related("parent").order_by("short_name")
    ]
    facts = []
    rows = (
        Fact.objects.select_related("subject", "section__source", "erratum")
        .prefetch_related("tags__task_statement__domain__certification")
        .order_by("content_hash", "pk")
    )
    for fact in rows:
        correction, note = "", ""
        if fact.erratum:
            from notes.errata import correction_note
            from notes.selectors import erratum_spec

            correction = fact.erratum.current_value
            note = correction_note(erratum_spec(fact.erratum))
        facts.append(
            FactView(
                content_hash=fact.content_hash,
                kind=fact.kind,
                subject=fact.subject.short_name if fact.subject else None,
                concept=fact.concept,
                statement=fact.statement,
                value=fact.value,
                value_number=fact.value_number,
                unit=fact.unit,
                status=fact.status,
                correction=correction,
                correction_note=note,
                tags=tuple(
                    sorted(
                        (
                            t.task_statement.domain.certification.code,
                            t.task_statement.code,
                            t.confidence,
                        )
                        for t in fact.tags.all()
                    )
                ),
                source_file=fact.section.source.name,
                heading=fact.section.heading,
                line_start=fact.line_start,
                line_end=fact.line_end,
            )
        )
    blueprints = {
        c.code: Blueprint.from_certification(c) for c in Certification.objects.with_blueprint()
    }
    return facts, services, blueprints

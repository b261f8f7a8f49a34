"""Reads questions back into bank entries (the inverse of `bank_import`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from notes.errata import correction_note
from notes.models import Certification, Fact, Service
from notes.selectors import erratum_spec
from questions.bank import BankChoice, BankEntry, BankSource
from questions.generation import Blueprint, FactView, ServiceView
from questions.models import Question


def _ordered_links(question_ids: list[int]) -> tuple[dict[int, list[str]], dict[int, list[Fact]]]:
    """Each question's services and source facts in the order they were given (the answer's
    service and the keyed fact first), read from the link tables, which keep insertion order."""
    services: dict[int, list[str]] = defaultdict(list)
    for question_id, short_name in (
        Question.services.through.objects.filter(question_id__in=question_ids)
        .order_by("pk")
        .values_list("question_id", "service__short_name")
    ):
        services[question_id].append(short_name)
    facts: dict[int, list[Fact]] = defaultdict(list)
    for link in (
        Question.source_facts.through.objects.filter(question_id__in=question_ids)
        .order_by("pk")
        .select_related("fact__section__source")
    ):
        facts[link.question_id].append(link.fact)
    return services, facts


def question_to_entry(question: Question, *, services: list[str], facts: list[Fact]) -> BankEntry:
    return BankEntry(
        key=question.key,
        certification=question.certification.code,
        domain=question.domain.number,
        task_statement=question.task_statement.code if question.task_statement else "",
        services=tuple(services),
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
            for f in facts
        ),
    )


def _entries(questions) -> list[BankEntry]:
    questions = list(
        questions.select_related("certification", "domain", "task_statement").prefetch_related(
            "choices"
        )
    )
    services, facts = _ordered_links([q.pk for q in questions])
    return [question_to_entry(q, services=services[q.pk], facts=facts[q.pk]) for q in questions]


def bank_entries_for(questions: Iterable[Question]) -> list[BankEntry]:
    return _entries(Question.objects.filter(pk__in=[q.pk for q in questions]))


def bank_entries_all() -> list[BankEntry]:
    return _entries(Question.objects.all())


def generation_inputs() -> tuple[list[FactView], list[ServiceView], dict[str, Blueprint]]:
    """Facts, services and blueprints in the plain form `questions.generation.generate` takes."""
    services = [
        ServiceView(
            short_name=s.short_name,
            name=s.name,
            category=s.category,
            parent=s.parent.short_name if s.parent else None,
            kind=s.kind,
            aliases=tuple(s.aliases),
            former_names=tuple(s.former_names),
            retired=s.retired,
        )
        for s in Service.objects.select_related("parent").order_by("short_name")
    ]
    facts = []
    rows = (
        Fact.objects.select_related("subject", "section__source", "erratum")
        .prefetch_related("tags__task_statement__domain__certification")
        .order_by("content_hash", "pk")
    )
    notes: dict[int, str] = {}  # one correction note per erratum, however many facts it matches
    for fact in rows:
        correction, note = "", ""
        if fact.erratum:
            correction = fact.erratum.current_value
            if fact.erratum_id not in notes:
                notes[fact.erratum_id] = correction_note(erratum_spec(fact.erratum))
            note = notes[fact.erratum_id]
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
        c.code: Blueprint(
            code=c.code,
            domains={d.number: d.weight for d in c.domains.all()},
            task_statements=tuple(t.code for d in c.domains.all() for t in d.task_statements.all()),
            question_count=c.question_count,
        )
        for c in Certification.objects.with_blueprint()
    }
    return facts, services, blueprints

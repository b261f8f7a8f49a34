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

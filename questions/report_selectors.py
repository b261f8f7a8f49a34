"""Reads for learners' problem reports: what the review page shows about them, and what the
instructors' triage needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import OuterRef, Subquery

from questions.models import Attempt, AttemptQuestion, Question, QuestionReport


@dataclass(frozen=True, slots=True)
class ReportLine:
    """One of the learner's reports on a question, as the review page shows it."""

    reason: str
    reason_label: str
    status: str
    status_label: str
    note: str
    created_at: datetime
    resolved_at: datetime | None

    @property
    def accepted(self) -> bool:
        return self.status == QuestionReport.Status.ACCEPTED


@dataclass(slots=True)
class ReportPanel:
    """The learner's reports on one question of the review: the open one (if any) and the
    resolved ones, newest first."""

    open: ReportLine | None = None
    resolved: list[ReportLine] = field(default_factory=list)


def learner_report_panels(user, attempt: Attempt) -> dict[int, ReportPanel]:
    """The learner's reports on the questions of this attempt, by position. Reports filed from
    another attempt of the same question count too (one open report per question). One query."""
    items = AttemptQuestion.objects.filter(attempt=attempt).order_by()
    rows = (
        QuestionReport.objects.by_learner(user)
        .filter(question_id__in=items.values("question_id"))
        .annotate(
            position=Subquery(
                items.filter(question_id=OuterRef("question_id")).values("position")[:1]
            )
        )
        .order_by("-created_at", "-pk")
        .values_list("position", "reason", "status", "resolution_note", "created_at", "resolved_at")
    )
    reasons = dict(QuestionReport.Reason.choices)
    statuses = dict(QuestionReport.Status.choices)
    panels: dict[int, ReportPanel] = {}
    for position, reason, status, note, created_at, resolved_at in rows:
        line = ReportLine(
            reason=reason,
            reason_label=reasons.get(reason, reason),
            status=status,
            status_label=statuses.get(status, status),
            note=note,
            created_at=created_at,
            resolved_at=resolved_at,
        )
        panel = panels.setdefault(position, ReportPanel())
        if status == QuestionReport.Status.OPEN:
            panel.open = line
        else:
            panel.resolved.append(line)
    return panels


def question_for_report(attempt: Attempt, position: int) -> Question | None:
    """The question at `position` if the learner may report on it now: the attempt is
    submitted, or it is instant-feedback practice and the question is answered. None if the
    position is not in the attempt or its answer is not shown yet."""
    item = (
        AttemptQuestion.objects.filter(attempt=attempt, position=position)
        .select_related("question")
        .first()
    )
    if item is None:
        return None
    if attempt.status == Attempt.Status.SUBMITTED:
        return item.question
    if attempt.instant_feedback and len(item.selected or []) == item.question.select_count:
        return item.question
    return None


def question_rescore_count(question: Question) -> int:
    """Submitted attempts with this question: those a key fix would rescore."""
    return AttemptQuestion.objects.filter(
        question=question, attempt__status=Attempt.Status.SUBMITTED
    ).count()

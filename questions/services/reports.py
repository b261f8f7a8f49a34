"""Writes: learners' problem reports on questions, their triage, key fixes and rescoring."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from questions.models import (
    Attempt,
    AttemptQuestion,
    Choice,
    Question,
    QuestionReport,
    QuestionRevision,
)
from questions.scoring import attempt_result, is_answer_correct
from questions.selectors import key_shown
from questions.services import ChoiceData, question_update
from questions.tasks import item_statistics_refresh_task

KEY_FIXED_NOTE = "Thank you: the answer key has been corrected."
WRONG_KEY_ACCEPT_NEEDS_NOTE = (
    "To accept a wrong-key report, use “Fix the key”; to accept it without changing the key "
    "(for example, the key was already fixed), tell the learner why in the note."
)
DUPLICATE_REPORT = (
    "You have already reported this question; an instructor will review it. "
    "You can report it again once that report is resolved."
)


def _reportable_item(*, attempt: Attempt, question: Question) -> AttemptQuestion:
    """The attempt's item for `question`, if the learner may see its key (and so report on it):
    a submitted attempt, or an answered question of an instant-feedback practice set."""
    item = (
        AttemptQuestion.objects.filter(attempt=attempt, question=question)
        .only("selected", "attempt_id", "question_id")
        .first()
    )
    if item is None:
        raise ValidationError("That question is not part of this attempt.", code="foreign")
    if key_shown(attempt, selected=item.selected, select_count=question.select_count):
        return item
    raise ValidationError(
        "You can report a problem with a question once you have seen its answer.",
        code="not_reviewed",
    )


@transaction.atomic
def question_report_file(
    *,
    question: Question,
    reporter,
    attempt: Attempt | None,
    reason: str,
    details: str = "",
) -> QuestionReport:
    """A learner reports a problem with a question they have reviewed. One open report per
    learner and question: a second one is refused until the first is resolved."""
    if attempt is not None:
        if attempt.learner_id != reporter.pk:
            raise ValidationError("That attempt is not yours.", code="foreign")
        _reportable_item(attempt=attempt, question=question)
    if QuestionReport.objects.open().by_learner(reporter).filter(question=question).exists():
        raise ValidationError(DUPLICATE_REPORT, code="duplicate")
    report = QuestionReport(
        question=question,
        reporter=reporter,
        attempt=attempt,
        reason=reason,
        details=details.strip(),
    )
    # The one-open-report rule is checked above for a clear message; two posts at once can
    # both pass that check, and then the database's constraint refuses the second save.
    report.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError as duplicate:
        raise ValidationError(DUPLICATE_REPORT, code="duplicate") from duplicate
    return report


@transaction.atomic
def question_report_resolve(
    *, report: QuestionReport, status: str, resolved_by, note: str = ""
) -> QuestionReport:
    """Accept or reject an open report; the note is shown to the learner who reported.
    Accepting a wrong-key report needs a note (the key fix gives one)."""
    if status not in (QuestionReport.Status.ACCEPTED, QuestionReport.Status.REJECTED):
        raise ValidationError("A report is resolved as accepted or rejected.", code="status")
    report = QuestionReport.objects.select_for_update().get(pk=report.pk)
    if report.status != QuestionReport.Status.OPEN:
        raise ValidationError(
            f"This report was already {report.get_status_display().lower()}.", code="resolved"
        )
    if (
        status == QuestionReport.Status.ACCEPTED
        and report.reason == QuestionReport.Reason.WRONG_KEY
        and not note.strip()
    ):
        # The learner reads "accepted" as "the key was wrong and is now right": without a key
        # fix (question_key_fix, which always leaves a note) the instructor must say why.
        raise ValidationError(WRONG_KEY_ACCEPT_NEEDS_NOTE, code="note_required")
    report.status = status
    report.resolved_at = timezone.now()
    report.resolved_by = resolved_by
    report.resolution_note = note.strip()
    report.full_clean()
    report.save()
    return report


@transaction.atomic
def question_key_fix(
    *,
    question: Question,
    correct_choice_ids: Collection[int],
    fixed_by,
    report: QuestionReport | None = None,
    note: str = "",
) -> Question:
    """Make exactly the given choices the correct ones (the choice-set rules apply: a refused
    key changes nothing) and record it in the question's history. With a report, that report
    and every other open wrong-key report on the question are accepted. Attempts are not
    rescored here: see `attempts_rescore`."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    choices = list(question.choices.all())
    wanted = {int(pk) for pk in correct_choice_ids}
    if not wanted <= {choice.pk for choice in choices}:
        raise ValidationError("Those choices are not this question's.", code="foreign")
    if wanted == {choice.pk for choice in choices if choice.is_correct}:
        raise ValidationError(
            "That is the current key. To keep it, reject the report instead.", code="unchanged"
        )
    if report is not None and report.question_id != question.pk:
        raise ValidationError("That report is about another question.", code="foreign")
    question_update(
        question=question,
        choices=[ChoiceData(c.text, c.pk in wanted, c.rationale) for c in choices],
        changed_by=fixed_by,
        change_source=QuestionRevision.Source.REPORT,
    )
    if report is not None:
        to_accept = QuestionReport.objects.open().filter(
            Q(pk=report.pk) | Q(question=question, reason=QuestionReport.Reason.WRONG_KEY)
        )
        for open_report in to_accept:
            question_report_resolve(
                report=open_report,
                status=QuestionReport.Status.ACCEPTED,
                resolved_by=fixed_by,
                note=note.strip() or KEY_FIXED_NOTE,
            )
    return question


@dataclass(frozen=True, slots=True)
class RescoreResult:
    attempts_checked: int  # submitted attempts with the question
    attempts_changed: int  # whose score changed
    items_changed: int  # answers re-marked (right → wrong or wrong → right)
    now_passing: int  # learners whose attempt went from fail to pass
    now_failing: int  # and from pass to fail

    @property
    def pass_fail_changed(self) -> int:
        return self.now_passing + self.now_failing


@transaction.atomic
def attempts_rescore(*, question: Question) -> RescoreResult:
    """Re-mark the question in every submitted attempt against its current key, then update
    those attempts' scores. A fixed number of queries however many attempts are affected.

    Locks first, reads after: the question (so a key fix cannot commit mid-way), then the
    attempts it changes (so two rescores of questions sharing attempts add up rather than the
    second overwriting the first), and only then each attempt's tally."""
    Question.objects.select_for_update().filter(pk=question.pk).values_list("pk").first()
    keyed = set(
        Choice.objects.filter(question=question, is_correct=True)
        .order_by()
        .values_list("pk", flat=True)
    )
    items = list(
        AttemptQuestion.objects.filter(
            question=question, attempt__status=Attempt.Status.SUBMITTED
        ).only("attempt_id", "selected", "is_correct")
    )
    changed_items = []
    for item in items:
        correct = is_answer_correct(selected=item.selected or [], correct=keyed)
        if item.is_correct != correct:
            item.is_correct = correct
            changed_items.append(item)
    changed_attempt_ids = {item.attempt_id for item in changed_items}
    attempts = list(
        Attempt.objects.select_for_update()
        .filter(pk__in=changed_attempt_ids)
        .select_related("certification")
    )
    AttemptQuestion.objects.bulk_update(changed_items, ["is_correct"], batch_size=500)
    tallies = {
        row["attempt_id"]: row
        for row in AttemptQuestion.objects.filter(attempt_id__in=changed_attempt_ids)
        .values("attempt_id")
        .annotate(total=Count("pk"), correct=Count("pk", filter=Q(is_correct=True)))
    }
    now_passing = now_failing = 0
    rescored_at = timezone.now()
    for attempt in attempts:
        tally = tallies[attempt.pk]
        was_passing = attempt.passed
        attempt.correct_count = tally["correct"]
        certification = attempt.certification
        attempt.percent, attempt.scaled_score, attempt.passed = attempt_result(
            correct_count=tally["correct"],
            question_count=tally["total"],
            score_min=certification.score_min,
            score_max=certification.score_max,
            passing_score=certification.passing_score,
        )
        attempt.rescored_at = rescored_at
        now_passing += attempt.passed and not was_passing
        now_failing += was_passing and not attempt.passed
    # Only derived score fields change, computed as at submission: bulk_update without
    # full_clean keeps this to one query for all attempts (each full_clean would query).
    Attempt.objects.bulk_update(
        attempts,
        ["correct_count", "percent", "scaled_score", "passed", "rescored_at"],
        batch_size=500,
    )
    if changed_attempt_ids:
        # Discrimination compares each item with the attempt's total: every question in the
        # rescored attempts has new statistics, not only this one.
        question_ids = sorted(
            set(
                AttemptQuestion.objects.filter(attempt_id__in=changed_attempt_ids)
                .order_by()
                .values_list("question_id", flat=True)
                .distinct()
            )
        )
        transaction.on_commit(
            lambda: item_statistics_refresh_task.enqueue(question_ids=question_ids)
        )
    return RescoreResult(
        attempts_checked=len({item.attempt_id for item in items}),
        attempts_changed=len(attempts),
        items_changed=len(changed_items),
        now_passing=now_passing,
        now_failing=now_failing,
    )

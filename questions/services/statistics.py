"""Writes: item statistics (facility, discrimination, option counts, automatic flags).

The definitions and the maths are in `questions.statistics` (pure functions); this module reads
the answers of submitted attempts, runs them through it and stores one `ItemStatistic` per
question. Every requested question gets a row, also one nobody has answered yet (answered 0,
facility and discrimination empty), so "no data" is visible rather than missing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from questions.models import Attempt, AttemptQuestion, Choice, ItemStatistic, Question
from questions.statistics import ItemChoice, ItemResponse, analyse_item

UPDATED_FIELDS = [
    "answered",
    "correct",
    "facility",
    "discrimination",
    "option_counts",
    "flags",
    "flag_count",
    "computed_at",
]


@transaction.atomic
def item_statistics_refresh(*, question_ids: Sequence[int] | None = None) -> int:
    """Recompute the statistics of these questions (every question when None) from all
    submitted attempts, in a fixed number of queries however many questions; returns how many
    rows were written. Ids of questions that no longer exist are ignored."""
    questions = Question.objects.all()
    choices = Choice.objects.all()
    answers = AttemptQuestion.objects.filter(attempt__status=Attempt.Status.SUBMITTED)
    if question_ids is not None:
        wanted = list(dict.fromkeys(int(pk) for pk in question_ids))
        if not wanted:
            return 0
        questions = questions.filter(pk__in=wanted)
        choices = choices.filter(question_id__in=wanted)
        answers = answers.filter(question_id__in=wanted)
    existing_ids = list(questions.order_by("pk").values_list("pk", flat=True))

    choices_by_question: dict[int, list[ItemChoice]] = defaultdict(list)
    for question_id, choice_id, is_correct in choices.order_by("position").values_list(
        "question_id", "pk", "is_correct"
    ):
        choices_by_question[question_id].append(ItemChoice(id=choice_id, is_correct=is_correct))

    responses_by_question: dict[int, list[ItemResponse]] = defaultdict(list)
    rows = answers.values_list(
        "question_id", "selected", "is_correct", "attempt__correct_count", "attempt__question_count"
    )
    for question_id, selected, is_correct, attempt_correct, attempt_questions in rows.iterator(
        chunk_size=5000
    ):
        if not selected:
            continue  # unanswered: not evidence about the item (see questions.statistics)
        responses_by_question[question_id].append(
            ItemResponse(
                selected=tuple(int(pk) for pk in selected),
                is_correct=bool(is_correct),
                attempt_correct=attempt_correct or 0,
                attempt_questions=attempt_questions,
            )
        )

    now = timezone.now()
    statistics = []
    for question_id in existing_ids:
        analysis = analyse_item(
            choices_by_question[question_id], responses_by_question[question_id]
        )
        statistic = ItemStatistic(
            question_id=question_id,
            answered=analysis.answered,
            correct=analysis.correct,
            facility=analysis.facility,
            discrimination=analysis.discrimination,
            option_counts=analysis.option_counts,
            flags=list(analysis.flags),
            flag_count=len(analysis.flags),
            computed_at=now,
        )
        # Field checks only: the question ids were just read, and the unique and check
        # constraints would each cost a query per row (the database enforces them anyway).
        statistic.full_clean(
            exclude=["question"], validate_unique=False, validate_constraints=False
        )
        statistics.append(statistic)
    ItemStatistic.objects.bulk_create(
        statistics,
        update_conflicts=True,
        unique_fields=["question"],
        update_fields=UPDATED_FIELDS,
        batch_size=500,
    )
    return len(statistics)

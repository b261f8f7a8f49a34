"""Attempt services: assembly to the blueprint, stable order, deadlines, scoring."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from questions.models import Attempt, Question
from questions.services import (
    AttemptClosed,
    AttemptExpired,
    NotEnoughQuestions,
    attempt_answer,
    attempt_flag,
    attempt_start_mock,
    attempt_start_practice,
    attempt_submit,
    attempts_close_expired,
)
from tests.notes.factories import CertificationFactory, DomainFactory
from tests.questions.factories import QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_exam():
    """A 10-question exam over two domains weighted 70/30, with a bank of 20 per domain."""
    certification = CertificationFactory(question_count=10, unscored_count=0, minutes=20)
    d1 = DomainFactory(certification=certification, number=1, weight=70)
    d2 = DomainFactory(certification=certification, number=2, weight=30)
    for domain in (d1, d2):
        QuestionFactory.create_batch(18, domain=domain)
        QuestionFactory.create_batch(2, domain=domain, kind=Question.Kind.MULTIPLE, select_count=2)
        QuestionFactory(domain=domain, status=Question.Status.DRAFT)
    return certification


def correct_ids(item) -> list[int]:
    return list(item.question.choices.filter(is_correct=True).values_list("pk", flat=True))


def wrong_ids(item) -> list[int]:
    return list(item.question.choices.filter(is_correct=False).values_list("pk", flat=True))


def test_mock_matches_the_blueprint_weights(small_exam):
    attempt = attempt_start_mock(learner=UserFactory(), certification=small_exam, seed=1)
    per_domain = {}
    for item in attempt.items.select_related("question__domain"):
        assert item.question.status == Question.Status.PUBLISHED
        per_domain[item.question.domain.number] = per_domain.get(item.question.domain.number, 0) + 1
    assert per_domain == {1: 7, 2: 3}
    assert attempt.question_count == 10
    assert attempt.deadline - attempt.started_at == timedelta(minutes=20)


def test_mock_prefers_questions_the_learner_has_not_seen(small_exam):
    learner = UserFactory()
    first = attempt_start_mock(learner=learner, certification=small_exam, seed=1)
    second = attempt_start_mock(learner=learner, certification=small_exam, seed=2)
    seen = set(first.items.values_list("question_id", flat=True))
    assert not seen & set(second.items.values_list("question_id", flat=True))


def test_mock_refuses_when_the_bank_is_too_small(small_exam):
    Question.objects.filter(domain__number=2).update(status=Question.Status.DRAFT)
    with pytest.raises(NotEnoughQuestions, match="domain 2 has 0 published"):
        attempt_start_mock(learner=UserFactory(), certification=small_exam)
    assert not Attempt.objects.exists()


def test_order_is_stored_and_covers_every_choice(small_exam):
    attempt = attempt_start_mock(learner=UserFactory(), certification=small_exam, seed=3)
    for item in attempt.items.select_related("question"):
        assert sorted(item.choice_order) == sorted(
            item.question.choices.values_list("pk", flat=True)
        )
    reloaded = list(
        Attempt.objects.get(pk=attempt.pk).items.values_list("question_id", "choice_order")
    )
    assert reloaded == list(attempt.items.values_list("question_id", "choice_order"))


def test_extra_time_and_untimed(small_exam):
    learner = UserFactory()
    extra = attempt_start_mock(learner=learner, certification=small_exam, extra_minutes=30)
    assert extra.deadline - extra.started_at == timedelta(minutes=50)
    untimed = attempt_start_mock(learner=learner, certification=small_exam, timed=False)
    assert untimed.deadline is None


def test_answers_are_validated_and_saved(small_exam):
    attempt = attempt_start_mock(learner=UserFactory(), certification=small_exam, seed=4)
    item = attempt.items.select_related("question").get(position=1)
    with pytest.raises(ValidationError, match="does not belong"):
        attempt_answer(attempt=attempt, position=1, choice_ids=[999_999])
    saved = attempt_answer(attempt=attempt, position=1, choice_ids=correct_ids(item))
    assert saved.selected == correct_ids(item)
    assert saved.answered_at is not None
    cleared = attempt_answer(attempt=attempt, position=1, choice_ids=[])
    assert cleared.selected == [] and cleared.answered_at is None


def test_single_answer_refuses_two_choices(small_exam):
    attempt = attempt_start_mock(learner=UserFactory(), certification=small_exam, seed=5)
    item = next(i for i in attempt.items.select_related("question") if i.question.kind == "single")
    with pytest.raises(ValidationError, match="Choose one"):
        attempt_answer(attempt=attempt, position=item.position, choice_ids=item.choice_order[:2])


def test_answer_after_the_deadline_is_refused_and_the_attempt_submitted(small_exam):
    attempt = attempt_start_mock(learner=UserFactory(), certification=small_exam, seed=6)
    item = attempt.items.select_related("question").get(position=1)
    late = attempt.deadline + timedelta(seconds=1)
    with pytest.raises(AttemptExpired, match="not saved"):
        attempt_answer(attempt=attempt, position=1, choice_ids=correct_ids(item), now=late)
    attempt.refresh_from_db()
    item.refresh_from_db()
    assert item.selected == []
    assert attempt.status == Attempt.Status.SUBMITTED
    assert attempt.auto_submitted
    assert attempt.submitted_at == attempt.deadline
    with pytest.raises(AttemptClosed):
        attempt_flag(attempt=attempt, position=1, flagged=True)


def test_close_expired_submits_only_expired_attempts(small_exam):
    learner = UserFactory()
    expired = attempt_start_mock(learner=learner, certification=small_exam, seed=7)
    running = attempt_start_mock(learner=learner, certification=small_exam, seed=8)
    Attempt.objects.filter(pk=expired.pk).update(
        started_at=timezone.now() - timedelta(hours=2),
        deadline=timezone.now() - timedelta(minutes=1),
    )
    assert attempts_close_expired() == 1
    expired.refresh_from_db()
    running.refresh_from_db()
    assert expired.status == Attempt.Status.SUBMITTED and expired.auto_submitted
    assert running.status == Attempt.Status.IN_PROGRESS


def test_scoring_single_and_multiple_response(small_exam):
    attempt = attempt_start_mock(learner=UserFactory(), certification=small_exam, seed=9)
    items = list(attempt.items.select_related("question"))
    multiple = [i for i in items if i.question.kind == "multiple"]
    single = [i for i in items if i.question.kind == "single"]
    # All singles right; one multiple right, one with only one of its two keys; rest unanswered.
    for item in single[:5]:
        attempt_answer(attempt=attempt, position=item.position, choice_ids=correct_ids(item))
    if multiple:
        attempt_answer(
            attempt=attempt, position=multiple[0].position, choice_ids=correct_ids(multiple[0])
        )
    if len(multiple) > 1:
        attempt_answer(
            attempt=attempt, position=multiple[1].position, choice_ids=correct_ids(multiple[1])[:1]
        )
    attempt_answer(
        attempt=attempt, position=single[5].position, choice_ids=wrong_ids(single[5])[:1]
    )
    submitted = attempt_submit(attempt=attempt)
    expected_correct = 5 + (1 if multiple else 0)
    assert submitted.correct_count == expected_correct
    assert submitted.percent == pytest.approx(100 * expected_correct / 10)
    assert submitted.passed is (submitted.scaled_score >= small_exam.passing_score)
    by_position = {i.position: i.is_correct for i in submitted.items.all()}
    assert by_position[single[0].position] is True
    assert by_position[single[5].position] is False
    if len(multiple) > 1:
        assert by_position[multiple[1].position] is False  # no partial credit
    assert sum(by_position.values()) == expected_correct


def test_submit_twice_changes_nothing(small_exam):
    attempt = attempt_start_mock(learner=UserFactory(), certification=small_exam, seed=10)
    first = attempt_submit(attempt=attempt)
    again = attempt_submit(attempt=attempt)
    assert (first.submitted_at, first.correct_count) == (again.submitted_at, again.correct_count)


def test_practice_set_from_one_domain_and_retry_of_given_questions(small_exam):
    learner = UserFactory()
    d2 = small_exam.domains.get(number=2)
    practice = attempt_start_practice(
        learner=learner, certification=small_exam, domains=[d2], question_count=5
    )
    assert practice.deadline is None and practice.instant_feedback
    assert set(practice.items.values_list("question__domain__number", flat=True)) == {2}
    wanted = list(practice.items.values_list("question_id", flat=True)[:2])
    retry = attempt_start_practice(learner=learner, certification=small_exam, question_ids=wanted)
    assert sorted(retry.items.values_list("question_id", flat=True)) == sorted(wanted)


def test_close_expired_attempts_command(small_exam):
    from io import StringIO

    from django.core.management import call_command

    attempt = attempt_start_mock(learner=UserFactory(), certification=small_exam, seed=11)
    Attempt.objects.filter(pk=attempt.pk).update(
        started_at=timezone.now() - timedelta(hours=3),
        deadline=timezone.now() - timedelta(hours=1),
    )
    out = StringIO()
    call_command("close_expired_attempts", "--dry-run", stdout=out)
    assert "1 expired" in out.getvalue()
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS
    call_command("close_expired_attempts", stdout=out)
    assert "Closed 1" in out.getvalue()
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED

"""Reads behind the exam pages: what they carry, what they never carry, and their cost."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone

from questions.models import Attempt, Question
from questions.selectors import (
    Feedback,
    OptionView,
    ReviewFilter,
    attempt_answer_review,
    attempt_for_learner,
    attempt_item_for_answer,
    attempt_progress,
    attempt_report,
    attempt_review_screen,
    attempt_wrong_question_ids,
    certifications_for_practice,
    dashboard_for_learner,
    exam_page,
)
from questions.services import (
    attempt_answer,
    attempt_flag,
    attempt_start_mock,
    attempt_start_practice,
    attempt_submit,
)
from tests.notes.factories import FactFactory, SectionFactory
from tests.questions.factories import UserFactory
from tests.questions.test_exam_views import (
    EXPLANATION,
    RATIONALE,
    build_exam,
    first_multiple,
    first_single,
    keyed,
    unkeyed,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def exam():
    return build_exam(10)


@pytest.fixture
def learner():
    return UserFactory()


@pytest.fixture
def mock(exam, learner):
    return attempt_start_mock(learner=learner, certification=exam, seed=11)


def test_attempt_for_learner_hides_other_learners_attempts(mock, learner):
    assert attempt_for_learner(learner, mock.pk) == mock
    with pytest.raises(Http404):
        attempt_for_learner(UserFactory(), mock.pk)
    with pytest.raises(Http404):
        attempt_for_learner(AnonymousUser(), mock.pk)
    with pytest.raises(Http404):
        attempt_for_learner(learner, mock.pk + 1000)


def test_exam_page_follows_the_attempts_order(mock):
    item = mock.items.select_related("question").get(position=4)
    page = exam_page(mock, 4)
    assert [o.id for o in page.options] == item.choice_order
    assert [o.letter for o in page.options] == list("ABCDEF"[: len(item.choice_order)])
    assert page.stem == item.question.stem and page.total == 10
    assert [c.position for c in page.cells] == list(range(1, 11))
    assert page.cell.current and sum(c.current for c in page.cells) == 1


def test_exam_page_types_cannot_carry_the_key():
    assert {f.name for f in dataclasses.fields(OptionView)} == {"id", "letter", "text", "selected"}


def test_a_mock_page_never_has_feedback_even_when_answered(mock):
    item = first_single(mock)
    attempt_answer(attempt=mock, position=item.position, choice_ids=keyed(item))
    page = exam_page(mock, item.position)
    assert page.feedback is None and page.answered
    assert RATIONALE not in repr(page) and EXPLANATION not in repr(page)


def test_exam_page_shows_what_was_sent_when_told(mock):
    item = first_multiple(mock)
    page = exam_page(mock, item.position, shown_selection=keyed(item)[:1])
    assert [o.id for o in page.options if o.selected] == keyed(item)[:1]
    assert page.saved_count == 0


def test_exam_page_out_of_range_is_a_404(mock):
    for position in (0, 11):
        with pytest.raises(Http404):
            exam_page(mock, position)
    with pytest.raises(Http404):
        attempt_item_for_answer(mock, 11)


def test_instant_feedback_only_for_a_complete_answer(exam, learner):
    practice = attempt_start_practice(
        learner=learner, certification=exam, question_count=10, instant_feedback=True, seed=2
    )
    multiple = first_multiple(practice)
    attempt_answer(attempt=practice, position=multiple.position, choice_ids=keyed(multiple)[:1])
    assert exam_page(practice, multiple.position).feedback is None
    attempt_answer(attempt=practice, position=multiple.position, choice_ids=keyed(multiple))
    feedback = exam_page(practice, multiple.position).feedback
    assert isinstance(feedback, Feedback) and feedback.correct
    assert len(feedback.keyed_letters) == 2
    assert all(o.rationale == RATIONALE for o in feedback.options)
    single = first_single(practice)
    attempt_answer(attempt=practice, position=single.position, choice_ids=unkeyed(single)[:1])
    assert exam_page(practice, single.position).feedback.correct is False


def test_progress_counts_only_complete_answers(mock):
    multiple = first_multiple(mock)
    single = first_single(mock)
    attempt_answer(attempt=mock, position=multiple.position, choice_ids=keyed(multiple)[:1])
    attempt_answer(attempt=mock, position=single.position, choice_ids=keyed(single))
    attempt_flag(attempt=mock, position=multiple.position, flagged=True)
    progress, cell = attempt_progress(mock, position=multiple.position)
    assert (progress.answered, progress.total, progress.flagged) == (1, 10, 1)
    assert cell.partial and cell.flagged and not cell.answered
    screen = attempt_review_screen(mock)
    assert [e.position for e in screen.answered] == [single.position]
    assert multiple.position in [e.position for e in screen.unanswered]
    assert [e.position for e in screen.flagged] == [multiple.position]


def test_dashboard_lists_running_expired_and_past_attempts(exam, learner):
    running = attempt_start_mock(learner=learner, certification=exam, seed=1)
    expired = attempt_start_mock(learner=learner, certification=exam, seed=2)
    Attempt.objects.filter(pk=expired.pk).update(
        started_at=timezone.now() - timedelta(hours=1),
        deadline=timezone.now() - timedelta(minutes=1),
    )
    done = attempt_start_mock(learner=learner, certification=exam, seed=3)
    item = done.items.get(position=1)
    attempt_answer(attempt=done, position=1, choice_ids=item.choice_order[:1])
    attempt_submit(attempt=done)
    attempt_start_mock(learner=UserFactory(), certification=exam, seed=4)
    dashboard = dashboard_for_learner(learner)
    summaries = {s.attempt.pk: s for s in dashboard.in_progress}
    assert set(summaries) == {running.pk, expired.pk}
    assert summaries[expired.pk].expired and not summaries[running.pk].expired
    assert [a.pk for a in dashboard.past] == [done.pk]
    assert [c.code for c in dashboard.certifications] == [exam.code]


def test_certifications_for_practice_count_published_questions(exam):
    Question.objects.filter(domain__number=2).update(status=Question.Status.DRAFT)
    (certification,) = certifications_for_practice()
    published = {d.number: d.published for d in certification.domains.all()}
    assert published[2] == 0 and published[1] > 0
    assert certification.published_questions == published[1]


def test_report_tallies_domains_statements_and_services(exam, learner, mock):
    items = list(mock.items.select_related("question__domain", "question__task_statement"))
    right = {i.position for i in items if i.question.domain.number == 1}
    for item in items:
        ids = keyed(item) if item.position in right else unkeyed(item)[: len(keyed(item))]
        attempt_answer(attempt=mock, position=item.position, choice_ids=ids)
    attempt_submit(attempt=mock)
    mock.refresh_from_db()
    report = attempt_report(mock)
    domains = {row.key: (row.correct, row.total) for row in report.domains}
    assert domains == {"1": (6, 6), "2": (0, 4)}
    assert [row.key for row in report.domains] == ["1", "2"]
    assert report.domains[0].meets_passing and not report.domains[1].meets_passing
    statements = {row.key: row for row in report.task_statements}
    assert set(statements) == {"1.1", "1.2", "2.1", "2.2"}
    assert sum(row.total for row in report.task_statements) == 10
    services = {row.key: (row.correct, row.total) for row in report.services}
    assert services == {f"{exam.code}-S1": (6, 6), f"{exam.code}-S2": (0, 4)}
    assert (report.correct, report.total, report.wrong, report.unanswered) == (6, 10, 4, 0)
    assert report.time_allowed == timedelta(minutes=20)
    assert [p.current for p in report.history] == [True]


def test_report_history_is_oldest_first_and_only_this_certification(exam, learner):
    attempts = []
    for seed in range(3):
        attempt = attempt_start_mock(learner=learner, certification=exam, seed=seed)
        attempts.append(attempt_submit(attempt=attempt))
    other = build_exam(10)
    attempt_submit(attempt=attempt_start_mock(learner=learner, certification=other, seed=9))
    report = attempt_report(attempts[1])
    assert [p.attempt_id for p in report.history] == [a.pk for a in attempts]
    assert [p.current for p in report.history] == [False, True, False]


def test_report_refuses_an_attempt_in_progress(mock):
    with pytest.raises(ValueError, match="submitted"):
        attempt_report(mock)


@pytest.mark.parametrize("size", [10, 65])
def test_report_and_answer_review_cost_the_same_for_any_length(
    django_assert_num_queries, learner, size
):
    exam = build_exam(size, minutes=130)
    attempt = attempt_submit(attempt=attempt_start_mock(learner=learner, certification=exam))
    with django_assert_num_queries(3):
        attempt_report(attempt)
    with django_assert_num_queries(3):
        attempt_answer_review(attempt)
    running = attempt_start_mock(learner=learner, certification=exam)
    with django_assert_num_queries(3):
        exam_page(running, size)


def test_answer_review_filters_and_sources(exam, learner, mock):
    item = mock.items.select_related("question").get(position=2)
    section = SectionFactory(heading_path=["Compute", "Lambda"], raw_markdown="**15 minutes**")
    # Two facts in one section: the section is shown once.
    item.question.source_facts.add(FactFactory(section=section), FactFactory(section=section))
    attempt_answer(attempt=mock, position=2, choice_ids=keyed(item))
    attempt_flag(attempt=mock, position=3, flagged=True)
    mock = attempt_submit(attempt=mock)
    review = attempt_answer_review(mock)
    assert len(review.questions) == 10 and review.complete
    assert review.counts == {"all": 10, "wrong": 9, "flagged": 1}
    second = review.questions[1]
    assert second.correct and second.answered
    assert len(second.sources) == 1
    assert second.sources[0].heading == "Compute › Lambda"
    assert "<strong>15 minutes</strong>" in second.sources[0].html
    assert [o.is_correct for o in second.options].count(True) == item.question.select_count
    assert [
        q.position for q in attempt_answer_review(mock, show=ReviewFilter.FLAGGED).questions
    ] == [3]
    wrong = attempt_answer_review(mock, show=ReviewFilter.WRONG).questions
    assert 2 not in [q.position for q in wrong] and len(wrong) == 9
    assert attempt_wrong_question_ids(mock) == [
        i.question_id for i in mock.items.order_by("position") if i.position != 2
    ]


def test_answer_review_refuses_a_mock_in_progress(mock):
    with pytest.raises(ValueError):
        attempt_answer_review(mock)
    assert attempt_wrong_question_ids(mock) == []

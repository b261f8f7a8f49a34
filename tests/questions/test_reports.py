"""Learners' problem reports: filing them from the answer review (htmx and plain posts), the
services that resolve them, fix a question's key and rescore the attempts that answered it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from questions.models import (
    Attempt,
    Choice,
    ItemStatistic,
    Question,
    QuestionReport,
    QuestionRevision,
)
from questions.selectors import (
    ReviewFilter,
    answer_review_cards,
    key_shown,
    question_for_report,
    review_report_card,
)
from questions.services import (
    attempt_answer,
    attempt_start_mock,
    attempt_start_practice,
    attempt_submit,
)
from questions.services.reports import (
    DUPLICATE_REPORT,
    attempts_rescore,
    question_key_fix,
    question_report_file,
    question_report_resolve,
)
from tests.notes.factories import CertificationFactory, DomainFactory
from tests.questions.factories import QuestionFactory, QuestionReportFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
WRONG_KEY = QuestionReport.Reason.WRONG_KEY


# --- A small exam whose first question is keyed wrongly ----------------------------------------


@dataclass
class Scenario:
    """Four single-answer questions; `bad` is keyed on its choice 1 but choice 2 is right.

    Two learners submitted the mock (passing 720 on 100–1000, cut at 72%):
    - `upward` chose 2 on `bad`, right on two others, wrong on the last: 2/4 = 50% → 531, fail;
      after the fix 3/4 = 75% → 720 + 280 × 3/28 = 750, pass.
    - `downward` chose 1 on `bad`, right on two, wrong on the last: 3/4 = 75% → 750, pass;
      after the fix 2/4 = 50% → 100 + 620 × 50/72 = 530.6 → 531, fail.
    - `running` has the question in a mock still in progress: never rescored."""

    bad: Question
    questions: list[Question]
    upward: Attempt
    downward: Attempt
    running: Attempt


def choice(question: Question, position: int) -> Choice:
    return question.choices.get(position=position)


def position_of(attempt: Attempt, question: Question) -> int:
    return attempt.items.get(question=question).position


def answer(attempt: Attempt, question: Question, choice_position: int) -> None:
    attempt_answer(
        attempt=attempt,
        position=position_of(attempt, question),
        choice_ids=[choice(question, choice_position).pk],
    )


def sit(learner, certification, answers: dict[int, int]) -> Attempt:
    """A submitted mock with `answers` = {question index: chosen choice position}."""
    attempt = attempt_start_mock(learner=learner, certification=certification, seed=7)
    questions = list(Question.objects.filter(certification=certification).order_by("key"))
    for index, choice_position in answers.items():
        answer(attempt, questions[index], choice_position)
    return attempt_submit(attempt=attempt)


def build_scenario() -> Scenario:
    certification = CertificationFactory(question_count=4, unscored_count=0, minutes=30)
    domain = DomainFactory(certification=certification, number=1, weight=100)
    questions = [
        QuestionFactory(domain=domain, key=f"report-q{index}", stem=f"Stem {index}")
        for index in range(4)
    ]
    upward = sit(UserFactory(), certification, {0: 2, 1: 1, 2: 1, 3: 3})
    downward = sit(UserFactory(), certification, {0: 1, 1: 1, 2: 1, 3: 3})
    running = attempt_start_mock(learner=UserFactory(), certification=certification, seed=3)
    attempt_answer(
        attempt=running,
        position=position_of(running, questions[0]),
        choice_ids=[choice(questions[0], 1).pk],
    )
    return Scenario(questions[0], questions, upward, downward, running)


def scores(attempt: Attempt) -> tuple:
    attempt.refresh_from_db()
    return attempt.correct_count, attempt.percent, attempt.scaled_score, attempt.passed


@pytest.fixture
def scenario() -> Scenario:
    return build_scenario()


def test_the_scenario_is_scored_as_worked_out(scenario):
    assert scores(scenario.upward) == (2, 50.0, 531, False)
    assert scores(scenario.downward) == (3, 75.0, 750, True)


# --- Services: filing and resolving ------------------------------------------------------------


def test_a_learner_files_a_report_on_a_question_of_a_submitted_attempt(scenario):
    learner = scenario.upward.learner
    report = question_report_file(
        question=scenario.bad,
        reporter=learner,
        attempt=scenario.upward,
        reason=WRONG_KEY,
        details="  Choice B is what the docs say.  ",
    )
    assert (report.status, report.reason, report.details) == ("open", WRONG_KEY, report.details)
    assert report.details == "Choice B is what the docs say."
    assert report.attempt == scenario.upward and report.resolved_at is None


def test_a_second_open_report_on_the_same_question_is_refused_until_resolved(scenario):
    learner = scenario.upward.learner
    arguments = {"question": scenario.bad, "reporter": learner, "attempt": scenario.upward}
    first = question_report_file(**arguments, reason=WRONG_KEY, details="")
    with pytest.raises(ValidationError) as refused:
        question_report_file(**arguments, reason=QuestionReport.Reason.TYPO, details="")
    assert refused.value.code == "duplicate" and refused.value.messages == [DUPLICATE_REPORT]
    assert QuestionReport.objects.count() == 1
    question_report_resolve(report=first, status="rejected", resolved_by=UserFactory())
    again = question_report_file(**arguments, reason=QuestionReport.Reason.TYPO, details="")
    assert again.status == "open" and QuestionReport.objects.count() == 2


def test_a_duplicate_filed_at_the_same_moment_is_refused_as_a_duplicate(scenario, monkeypatch):
    """Two posts at once both pass the "already reported?" check; the second save meets the
    database's one-open-report constraint and is refused like any duplicate, not a 500."""
    learner = scenario.upward.learner
    validate = QuestionReport.full_clean

    def validate_then_a_concurrent_post_saves(report, *args, **kwargs):
        validate(report, *args, **kwargs)
        QuestionReport.objects.create(question=report.question, reporter=learner, reason="typo")

    monkeypatch.setattr(QuestionReport, "full_clean", validate_then_a_concurrent_post_saves)
    with pytest.raises(ValidationError) as refused:
        question_report_file(
            question=scenario.bad, reporter=learner, attempt=scenario.upward, reason=WRONG_KEY
        )
    assert refused.value.code == "duplicate" and refused.value.messages == [DUPLICATE_REPORT]
    # The refused call rolled back whole (here the stand-in concurrent row went with it).
    assert not QuestionReport.objects.exists()


def test_reports_need_the_learners_own_attempt_with_the_question_and_its_key_shown(scenario):
    other = scenario.downward.learner
    with pytest.raises(ValidationError) as foreign:
        question_report_file(
            question=scenario.bad,
            reporter=other,
            attempt=scenario.upward,
            reason=WRONG_KEY,
            details="",
        )
    assert foreign.value.code == "foreign"
    stranger = QuestionFactory()
    with pytest.raises(ValidationError) as not_in_attempt:
        question_report_file(
            question=stranger,
            reporter=scenario.upward.learner,
            attempt=scenario.upward,
            reason=WRONG_KEY,
            details="",
        )
    assert not_in_attempt.value.code == "foreign"
    with pytest.raises(ValidationError) as hidden:
        question_report_file(
            question=scenario.bad,
            reporter=scenario.running.learner,
            attempt=scenario.running,
            reason=WRONG_KEY,
            details="",
        )
    assert hidden.value.code == "not_reviewed"
    assert not QuestionReport.objects.exists()


@pytest.mark.parametrize(
    ("status", "instant_feedback", "selected", "shown"),
    [
        ("submitted", False, [], True),
        ("in_progress", True, [1, 2], True),
        ("in_progress", True, [1], False),  # a choose-two question half answered
        ("in_progress", False, [1, 2], False),  # a mock still running
    ],
)
def test_one_rule_says_when_the_learner_may_see_a_key(status, instant_feedback, selected, shown):
    attempt = Attempt(status=status, instant_feedback=instant_feedback)
    assert key_shown(attempt, selected=selected, select_count=2) is shown


def test_the_report_form_and_the_service_both_ask_the_one_rule(scenario, monkeypatch):
    learner, attempt = scenario.upward.learner, scenario.upward
    position = position_of(attempt, scenario.bad)
    assert question_for_report(attempt, position) == scenario.bad
    monkeypatch.setattr("questions.selectors.key_shown", lambda *args, **kwargs: False)
    monkeypatch.setattr("questions.services.reports.key_shown", lambda *args, **kwargs: False)
    assert question_for_report(attempt, position) is None
    with pytest.raises(ValidationError) as hidden:
        question_report_file(
            question=scenario.bad, reporter=learner, attempt=attempt, reason=WRONG_KEY
        )
    assert hidden.value.code == "not_reviewed"


def test_resolving_accepts_or_rejects_open_reports_only(scenario):
    instructor = UserFactory(username="teacher")
    report = QuestionReportFactory(question=scenario.bad)
    with pytest.raises(ValidationError):
        question_report_resolve(report=report, status="open", resolved_by=instructor)
    resolved = question_report_resolve(
        report=report, status="accepted", resolved_by=instructor, note=" Fixed. "
    )
    assert (resolved.status, resolved.resolved_by, resolved.resolution_note) == (
        "accepted",
        instructor,
        "Fixed.",
    )
    assert resolved.resolved_at is not None
    with pytest.raises(ValidationError) as again:
        question_report_resolve(report=report, status="rejected", resolved_by=instructor)
    assert again.value.code == "resolved"
    report.refresh_from_db()
    assert report.status == "accepted"


# --- Services: fixing the key ------------------------------------------------------------------


def keyed_positions(question: Question) -> list[int]:
    return list(
        question.choices.filter(is_correct=True)
        .order_by("position")
        .values_list("position", flat=True)
    )


def test_key_fix_keys_exactly_the_given_choices_records_it_and_accepts_wrong_key_reports(
    scenario,
):
    instructor = UserFactory(username="teacher")
    report = QuestionReportFactory(question=scenario.bad)
    other_wrong_key = QuestionReportFactory(question=scenario.bad)
    ambiguous = QuestionReportFactory(question=scenario.bad, reason="ambiguous")
    ids_before = list(scenario.bad.choices.order_by("position").values_list("pk", flat=True))
    question_key_fix(
        question=scenario.bad,
        correct_choice_ids=[choice(scenario.bad, 2).pk],
        fixed_by=instructor,
        report=report,
    )
    assert keyed_positions(scenario.bad) == [2]
    # Choices are updated in place: learners' answers still point at them.
    assert list(scenario.bad.choices.order_by("position").values_list("pk", flat=True)) == (
        ids_before
    )
    revision = QuestionRevision.objects.filter(question=scenario.bad).order_by("-number").first()
    assert revision.source == QuestionRevision.Source.REPORT
    assert revision.changed_by == instructor
    assert "choice 2 marked correct" in revision.summary
    for accepted in (report, other_wrong_key):
        accepted.refresh_from_db()
        assert accepted.status == "accepted" and accepted.resolved_by == instructor
        assert accepted.resolution_note == "Thank you: the answer key has been corrected."
    ambiguous.refresh_from_db()
    assert ambiguous.status == "open"
    # Fixing the key does not rescore by itself.
    assert scores(scenario.upward) == (2, 50.0, 531, False)


@pytest.mark.parametrize(
    "kind,select_count,keyed,message",
    [
        ("single", 1, [1, 2], "exactly one correct choice, not 2"),
        ("multiple", 2, [1], "exactly 2 correct choices, not 1"),
        ("multiple", 2, [1, 2, 3], "exactly 2 correct choices, not 3"),
    ],
)
def test_key_fix_refuses_a_wrong_number_of_correct_choices_and_changes_nothing(
    kind, select_count, keyed, message
):
    question = QuestionFactory(kind=kind, select_count=select_count)
    report = QuestionReportFactory(question=question)
    before = list(question.choices.order_by("position").values_list("pk", "is_correct"))
    with pytest.raises(ValidationError) as refused:
        question_key_fix(
            question=question,
            correct_choice_ids=[choice(question, p).pk for p in keyed],
            fixed_by=UserFactory(),
            report=report,
        )
    assert any(message in text for text in refused.value.messages)
    assert list(question.choices.order_by("position").values_list("pk", "is_correct")) == before
    assert not QuestionRevision.objects.filter(question=question).exists()
    report.refresh_from_db()
    assert report.status == "open"


def test_key_fix_refuses_foreign_choices_and_the_current_key():
    question = QuestionFactory()
    elsewhere = QuestionFactory()
    with pytest.raises(ValidationError) as foreign:
        question_key_fix(
            question=question,
            correct_choice_ids=[choice(elsewhere, 2).pk],
            fixed_by=UserFactory(),
        )
    assert foreign.value.code == "foreign"
    with pytest.raises(ValidationError) as unchanged:
        question_key_fix(
            question=question,
            correct_choice_ids=[choice(question, 1).pk],
            fixed_by=UserFactory(),
        )
    assert unchanged.value.code == "unchanged"
    assert keyed_positions(question) == [1]


# --- Services: rescoring ------------------------------------------------------------------------


def test_rescore_remarks_every_submitted_attempt_against_the_new_key(scenario):
    question_key_fix(
        question=scenario.bad,
        correct_choice_ids=[choice(scenario.bad, 2).pk],
        fixed_by=UserFactory(),
    )
    running_before = list(scenario.running.items.values_list("pk", "is_correct"))
    result = attempts_rescore(question=scenario.bad)
    assert (result.attempts_checked, result.attempts_changed, result.items_changed) == (2, 2, 2)
    assert (result.now_passing, result.now_failing, result.pass_fail_changed) == (1, 1, 2)
    assert scores(scenario.upward) == (3, 75.0, 750, True)
    assert scores(scenario.downward) == (2, 50.0, 531, False)
    assert scenario.upward.items.get(question=scenario.bad).is_correct is True
    assert scenario.downward.items.get(question=scenario.bad).is_correct is False
    # Other items and the attempt in progress are untouched.
    assert scenario.upward.items.filter(is_correct=True).count() == 3
    assert list(scenario.running.items.values_list("pk", "is_correct")) == running_before
    scenario.running.refresh_from_db()
    assert scenario.running.status == "in_progress" and scenario.running.correct_count is None
    # A second run finds nothing left to change.
    again = attempts_rescore(question=scenario.bad)
    assert (again.attempts_checked, again.attempts_changed, again.pass_fail_changed) == (2, 0, 0)


def test_rescore_matches_what_submitting_against_the_new_key_gives(scenario):
    """Rescoring an attempt gives the scores a fresh submission would, so the two agree."""
    question_key_fix(
        question=scenario.bad,
        correct_choice_ids=[choice(scenario.bad, 2).pk],
        fixed_by=UserFactory(),
    )
    attempts_rescore(question=scenario.bad)
    fresh = sit(UserFactory(), scenario.bad.certification, {0: 2, 1: 1, 2: 1, 3: 3})
    assert scores(fresh) == scores(scenario.upward)


RESCORE_QUERIES = 10  # eight (the first locks the question), and the transaction's savepoints


@pytest.mark.parametrize("extra", [0, 6])
def test_rescore_queries_do_not_grow_with_the_attempts(
    scenario, django_assert_max_num_queries, extra
):
    certification = scenario.bad.certification
    for _ in range(extra):
        sit(UserFactory(), certification, {0: 2, 1: 1})
    question_key_fix(
        question=scenario.bad,
        correct_choice_ids=[choice(scenario.bad, 2).pk],
        fixed_by=UserFactory(),
    )
    with django_assert_max_num_queries(RESCORE_QUERIES):
        result = attempts_rescore(question=scenario.bad)
    assert result.attempts_changed == 2 + extra


# --- The review page ---------------------------------------------------------------------------


def answers_url(attempt: Attempt) -> str:
    return reverse("attempt_answers", args=[attempt.pk])


def report_url(attempt: Attempt) -> str:
    return reverse("attempt_problem_report", args=[attempt.pk])


def card(html: str, position: int) -> str:
    return html.split(f'id="q{position}"')[1].split("</article>")[0]


@pytest.fixture
def upward(client, scenario) -> Attempt:
    client.force_login(scenario.upward.learner)
    return scenario.upward


def test_each_question_of_the_review_offers_a_report_form_in_a_disclosure(client, upward):
    html = client.get(answers_url(upward)).content.decode()
    assert html.count('<details class="report-details">') == 4
    first = card(html, 1)
    assert "<summary>Report a problem</summary>" in first
    assert f'action="{report_url(upward)}"' in first and 'hx-target="#report-1"' in first
    assert 'name="position" value="1"' in first
    for value, label in QuestionReport.Reason.choices:
        assert f'value="{value}"' in first and label in first
    assert '<textarea name="details"' in first and 'id="report-1-details"' in first


def test_reporting_with_htmx_swaps_the_cards_report_region(client, scenario, upward):
    position = position_of(upward, scenario.bad)
    response = client.post(
        report_url(upward),
        {"position": position, "reason": WRONG_KEY, "details": "B is right."},
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith(f'<section id="report-{position}"')
    assert "<html" not in html and "<form" not in html
    assert "Reported: The marked answer is wrong — thanks, an instructor will review it." in html
    report = QuestionReport.objects.get()
    assert (report.question, report.reporter, report.attempt) == (
        scenario.bad,
        upward.learner,
        upward,
    )
    assert report.details == "B is right."
    page = card(client.get(answers_url(upward)).content.decode(), position)
    assert "Reported: The marked answer is wrong" in page and "<details" not in page


def test_reporting_without_javascript_goes_back_to_the_question_with_a_message(
    client, scenario, upward
):
    position = position_of(upward, scenario.bad)
    response = client.post(
        report_url(upward), {"position": position, "show": "wrong", "reason": "outdated"}
    )
    assert response.status_code == 302
    assert response.url == answers_url(upward) + f"?show=wrong#q{position}"
    html = client.get(response.url).content.decode()
    assert f"Question {position} reported: Outdated: AWS has changed this." in html
    assert "Reported: Outdated: AWS has changed this — thanks" in card(html, position)
    assert QuestionReport.objects.get().reason == "outdated"


def test_a_duplicate_report_is_refused_with_the_reason_shown(client, scenario, upward):
    position = position_of(upward, scenario.bad)
    data = {"position": position, "reason": WRONG_KEY}
    client.post(report_url(upward), data, **HTMX)
    refused = client.post(report_url(upward), {**data, "reason": "typo"}, **HTMX)
    assert refused.status_code == 422
    assert DUPLICATE_REPORT in refused.content.decode()
    plain = client.post(report_url(upward), {**data, "reason": "typo"})
    assert plain.status_code == 302
    assert DUPLICATE_REPORT in client.get(plain.url).content.decode()
    assert list(QuestionReport.objects.values_list("reason", flat=True)) == [WRONG_KEY]


def test_a_report_without_a_reason_is_shown_again_with_what_was_typed(client, upward):
    data = {"position": 2, "details": "Typed with care."}
    plain = client.post(report_url(upward), data)
    assert plain.status_code == 400
    second = card(plain.content.decode(), 2)
    assert '<details class="report-details" open>' in second
    assert "Choose what is wrong with the question." in second and "Typed with care." in second
    htmx = client.post(report_url(upward), data, **HTMX)
    assert htmx.status_code == 422
    assert "Choose what is wrong with the question." in htmx.content.decode()
    too_long = client.post(report_url(upward), {**data, "reason": "typo", "details": "x" * 2001})
    assert too_long.status_code == 400
    assert not QuestionReport.objects.exists()


def test_another_learners_attempt_is_a_404(client, scenario, upward):
    response = client.post(
        report_url(scenario.downward), {"position": 1, "reason": WRONG_KEY}, **HTMX
    )
    assert response.status_code == 404
    assert not QuestionReport.objects.exists()


@pytest.mark.parametrize(
    "position", ["", "x", "0", "-1", "5", "99", "1 OR 1=1"], ids=lambda p: p or "missing"
)
def test_a_tampered_question_reference_is_a_400(client, upward, position):
    response = client.post(report_url(upward), {"position": position, "reason": WRONG_KEY})
    assert response.status_code == 400
    assert not QuestionReport.objects.exists()


def test_a_tampered_filter_is_a_400(client, upward):
    response = client.post(
        report_url(upward), {"position": 1, "reason": WRONG_KEY, "show": "everything"}
    )
    assert response.status_code == 400


def test_questions_of_a_mock_in_progress_cannot_be_reported(client, scenario):
    client.force_login(scenario.running.learner)
    position = position_of(scenario.running, scenario.bad)
    response = client.post(
        report_url(scenario.running), {"position": position, "reason": WRONG_KEY}
    )
    assert response.status_code == 400
    assert not QuestionReport.objects.exists()


def test_instant_feedback_practice_reports_answered_questions_only(client, scenario):
    learner = UserFactory()
    client.force_login(learner)
    practice = attempt_start_practice(
        learner=learner,
        certification=scenario.bad.certification,
        question_count=5,
        instant_feedback=True,
        seed=2,
    )
    answer(practice, scenario.bad, 2)
    answered = position_of(practice, scenario.bad)
    unanswered = practice.items.exclude(question=scenario.bad).first().position
    refused = client.post(report_url(practice), {"position": unanswered, "reason": WRONG_KEY})
    assert refused.status_code == 400
    html = client.get(answers_url(practice)).content.decode()
    assert html.count("<summary>Report a problem</summary>") == 1
    response = client.post(report_url(practice), {"position": answered, "reason": WRONG_KEY})
    assert response.status_code == 302
    assert QuestionReport.objects.get().attempt == practice


def test_the_report_endpoint_takes_posts_only(client, upward):
    assert client.get(report_url(upward)).status_code == 405


def test_the_review_shows_how_earlier_reports_were_resolved(client, scenario, upward):
    instructor = UserFactory(username="teacher")
    position = position_of(upward, scenario.bad)
    client.post(report_url(upward), {"position": position, "reason": WRONG_KEY})
    question_key_fix(
        question=scenario.bad,
        correct_choice_ids=[choice(scenario.bad, 2).pk],
        fixed_by=instructor,
        report=QuestionReport.objects.get(),
        note="Well spotted: B is right.",
    )
    other = position_of(upward, scenario.questions[1])
    client.post(report_url(upward), {"position": other, "reason": "typo"})
    question_report_resolve(
        report=QuestionReport.objects.get(reason="typo"),
        status="rejected",
        resolved_by=instructor,
        note="The wording is as AWS uses it.",
    )
    html = client.get(answers_url(upward)).content.decode()
    accepted = card(html, position)
    assert "“The marked answer is wrong”" in accepted
    assert "was accepted: Well spotted: B is right." in accepted
    # Resolved: the learner may report the question again.
    assert "<summary>Report a problem</summary>" in accepted
    rejected = card(html, other)
    assert "was rejected: The wording is as AWS uses it." in rejected
    # Nobody else's reports show.
    client.force_login(scenario.downward.learner)
    assert "Well spotted" not in client.get(answers_url(scenario.downward)).content.decode()


def test_a_report_from_another_attempt_shows_on_the_same_question(client, scenario, upward):
    """One open report per learner and question: a later attempt shows it as reported."""
    client.post(
        report_url(upward), {"position": position_of(upward, scenario.bad), "reason": "typo"}
    )
    later = sit(upward.learner, scenario.bad.certification, {0: 1})
    html = client.get(answers_url(later)).content.decode()
    assert "Reported: Typo or unclear wording" in card(html, position_of(later, scenario.bad))
    assert html.count("<summary>Report a problem</summary>") == 3


ANSWERS_PAGE_QUERIES = 7  # six before reports, and one for all the learner's reports


@pytest.mark.parametrize("reported", [0, 2, 4])
def test_the_review_page_does_not_query_per_report(
    client, scenario, upward, django_assert_max_num_queries, reported
):
    for question in scenario.questions[:reported]:
        client.post(
            report_url(upward), {"position": position_of(upward, question), "reason": "typo"}
        )
    with django_assert_max_num_queries(ANSWERS_PAGE_QUERIES):
        html = client.get(answers_url(upward)).content.decode()
    assert html.count("Reported: Typo") == reported


def test_review_cards_pair_each_question_with_its_reports_and_a_form(
    scenario, django_assert_num_queries
):
    attempt = scenario.upward
    reported = position_of(attempt, scenario.bad)
    question_report_file(
        question=scenario.bad, reporter=attempt.learner, attempt=attempt, reason=WRONG_KEY
    )
    with django_assert_num_queries(4):  # items, choices, source notes; the learner's reports
        page = answer_review_cards(
            user=attempt.learner,
            attempt=attempt,
            show=ReviewFilter.ALL,
            report_form=lambda position: f"form {position}",
        )
    assert [card.position for card in page.cards] == [1, 2, 3, 4]
    assert [card.question.position for card in page.cards] == [1, 2, 3, 4]
    cards = {card.position: card for card in page.cards}
    # An open report replaces the form; the other cards offer one.
    assert cards[reported].panel.open.reason == WRONG_KEY
    assert cards[reported].report_form is None
    assert {p: c.report_form for p, c in cards.items() if p != reported} == {
        p: f"form {p}" for p in cards if p != reported
    }
    region = review_report_card(
        user=attempt.learner, attempt=attempt, position=reported, report_form=str
    )
    assert region.question is None and region.report_form is None
    assert region.panel.open.reason == WRONG_KEY
    other = review_report_card(
        user=scenario.downward.learner, attempt=scenario.downward, position=1, report_form=str
    )
    assert other.report_form == "1" and other.panel.open is None


def test_rescore_refreshes_the_item_statistics_after_commit(
    scenario, django_capture_on_commit_callbacks
):
    question_key_fix(
        question=scenario.bad,
        correct_choice_ids=[choice(scenario.bad, 2).pk],
        fixed_by=UserFactory(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        attempts_rescore(question=scenario.bad)
    statistic = ItemStatistic.objects.get(question=scenario.bad)
    # Both submitted attempts answered it; after the fix only `upward` is right.
    assert (statistic.answered, statistic.correct) == (2, 1)
    # Every question of the rescored attempts is refreshed (their totals changed).
    assert ItemStatistic.objects.filter(question__in=scenario.questions).count() == 4


def test_a_rescored_attempts_report_says_it_was_rescored_and_why(client, scenario):
    upward_page = reverse("attempt_report", args=[scenario.upward.pk])
    client.force_login(scenario.upward.learner)
    assert "Rescored on" not in client.get(upward_page).content.decode()
    question_key_fix(
        question=scenario.bad,
        correct_choice_ids=[choice(scenario.bad, 2).pk],
        fixed_by=UserFactory(),
    )
    attempts_rescore(question=scenario.bad)
    scenario.upward.refresh_from_db()
    scenario.running.refresh_from_db()
    assert scenario.upward.rescored_at is not None and scenario.running.rescored_at is None
    html = client.get(upward_page).content.decode()
    assert "Rescored on" in html and "corrected the answer key" in html
    assert '<span class="score-value">750</span>' in html

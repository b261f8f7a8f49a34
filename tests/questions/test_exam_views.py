"""The exam player over HTTP: starting, answering, timing, submitting, reports, and what an
attempt in progress must never reveal."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from questions.models import Attempt, AttemptQuestion, Choice, Question
from questions.services import attempt_answer, attempt_start_mock, attempt_start_practice
from tests.notes.factories import (
    CertificationFactory,
    DomainFactory,
    FactFactory,
    SectionFactory,
    ServiceFactory,
    TaskStatementFactory,
)
from tests.questions.factories import QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db

RATIONALE = "RATIONALE-SECRET"
EXPLANATION = "EXPLANATION-SECRET"
HTMX = {"HTTP_HX_REQUEST": "true"}


def build_exam(question_count: int = 10, *, multiple_per_domain: int = 2, minutes: int = 20):
    """A certification with two domains weighted 60/40, two task statements and a service per
    domain, and a published bank just big enough for a full mock of `question_count`. Every
    rationale and explanation carries a distinctive marker, to prove the key never leaks."""
    certification = CertificationFactory(
        question_count=question_count, unscored_count=0, minutes=minutes
    )
    for number, weight in ((1, 60), (2, 40)):
        domain = DomainFactory(certification=certification, number=number, weight=weight)
        statements = [
            TaskStatementFactory(
                domain=domain, code=f"{number}.{n}", text=f"Statement {number}.{n}"
            )
            for n in (1, 2)
        ]
        service = ServiceFactory(short_name=f"{certification.code}-S{number}")
        count = question_count * weight // 100 + 2
        for index in range(count):
            multiple = index < multiple_per_domain
            question = QuestionFactory(
                domain=domain,
                task_statement=statements[index % 2],
                stem=f"Stem of question D{number}-{index}: which service fits?",
                explanation=f"{EXPLANATION} D{number}-{index}",
                kind=Question.Kind.MULTIPLE if multiple else Question.Kind.SINGLE,
                select_count=2 if multiple else 1,
            )
            question.services.add(service)
    Choice.objects.filter(question__certification=certification).update(rationale=RATIONALE)
    return certification


def keyed(item: AttemptQuestion) -> list[int]:
    return list(
        Choice.objects.filter(question_id=item.question_id, is_correct=True).values_list(
            "pk", flat=True
        )
    )


def unkeyed(item: AttemptQuestion) -> list[int]:
    return list(
        Choice.objects.filter(question_id=item.question_id, is_correct=False).values_list(
            "pk", flat=True
        )
    )


def shown_option_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'name="choice" value="(\d+)" id="choice-', html)]


def q_url(attempt: Attempt, position: int, suffix: str = "") -> str:
    return reverse("attempt_question", args=[attempt.pk, position]) + suffix


def nav_url(attempt: Attempt, position: int) -> str:
    return reverse("attempt_navigate", args=[attempt.pk, position])


def answer_url(attempt: Attempt, position: int) -> str:
    return reverse("attempt_answer", args=[attempt.pk, position])


def flag_url(attempt: Attempt, position: int) -> str:
    return reverse("attempt_flag", args=[attempt.pk, position])


def expire(attempt: Attempt) -> None:
    Attempt.objects.filter(pk=attempt.pk).update(
        started_at=timezone.now() - timedelta(hours=2),
        deadline=timezone.now() - timedelta(seconds=1),
    )


def snapshot(attempt: Attempt):
    """Everything a request could change about an attempt."""
    attempt.refresh_from_db()
    items = list(
        attempt.items.order_by("position").values_list(
            "position", "selected", "flagged", "answered_at", "choice_order", "is_correct"
        )
    )
    return (attempt.status, attempt.current_position, attempt.submitted_at, items)


@pytest.fixture
def exam():
    return build_exam(10)


@pytest.fixture
def learner(client):
    user = UserFactory()
    client.force_login(user)
    return user


@pytest.fixture
def mock(exam, learner):
    return attempt_start_mock(learner=learner, certification=exam, seed=1)


def first_multiple(attempt: Attempt) -> AttemptQuestion:
    return (
        attempt.items.select_related("question")
        .filter(question__kind=Question.Kind.MULTIPLE)
        .order_by("position")
        .first()
    )


def first_single(attempt: Attempt) -> AttemptQuestion:
    return (
        attempt.items.select_related("question")
        .filter(question__kind=Question.Kind.SINGLE)
        .order_by("position")
        .first()
    )


# --- Starting ----------------------------------------------------------------------------------


def test_anonymous_learner_is_sent_to_log_in(client, exam):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert client.post(reverse("start_mock"), {"certification": exam.code}).status_code == 302
    assert not Attempt.objects.exists()


def test_dashboard_offers_a_mock_and_a_practice_set_per_certification(client, exam, learner):
    html = client.get(reverse("dashboard")).content.decode()
    assert f"Start {exam.code} mock exam" in html
    assert f"Start {exam.code} practice set" in html
    assert "Extra time: 50 minutes (+30)" in html
    assert "1. Domain 1" in html and "2. Domain 2" in html
    assert "No submitted attempts yet" in html


def test_start_a_mock_by_post(client, exam, learner):
    response = client.post(reverse("start_mock"), {"certification": exam.code, "timing": "extra"})
    attempt = Attempt.objects.get()
    assert response.status_code == 302
    assert response.url == q_url(attempt, 1)
    assert attempt.learner == learner and attempt.mode == Attempt.Mode.MOCK
    assert attempt.question_count == 10
    assert attempt.deadline - attempt.started_at == timedelta(minutes=50)


def test_start_an_untimed_mock(client, exam, learner):
    client.post(reverse("start_mock"), {"certification": exam.code, "timing": "untimed"})
    attempt = Attempt.objects.get()
    assert attempt.deadline is None
    assert "Untimed" in client.get(q_url(attempt, 1)).content.decode()


def test_start_a_mock_needs_get_refused(client, exam, learner):
    assert client.get(reverse("start_mock")).status_code == 405


def test_a_bank_too_small_for_a_mock_gets_a_friendly_message(client, exam, learner):
    Question.objects.filter(domain__number=2).update(status=Question.Status.DRAFT)
    response = client.post(
        reverse("start_mock"), {"certification": exam.code, "timing": "standard"}, follow=True
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert "domain 2 has 0 published questions" in html
    assert "Try a practice set" in html
    assert not Attempt.objects.exists()


def test_start_a_practice_set_by_post(client, exam, learner):
    d2 = exam.domains.get(number=2)
    response = client.post(
        reverse("start_practice"),
        {
            "certification": exam.code,
            "domains": [d2.pk],
            "question_count": 5,
            "timing": "timed",
            "minutes": 7,
            "instant_feedback": "on",
        },
    )
    attempt = Attempt.objects.get()
    assert response.url == q_url(attempt, 1)
    assert attempt.mode == Attempt.Mode.PRACTICE and attempt.instant_feedback
    assert attempt.question_count == 5
    assert attempt.deadline - attempt.started_at == timedelta(minutes=7)
    assert set(attempt.items.values_list("question__domain__number", flat=True)) == {2}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"question_count": 4}, "greater than or equal to 5"),
        ({"question_count": 66}, "less than or equal to 65"),
        ({"domains": []}, "Choose at least one domain."),
        ({"timing": "timed", "minutes": ""}, "Give a time limit in minutes"),
    ],
)
def test_practice_set_options_are_validated(client, exam, learner, change, message):
    data = {
        "certification": exam.code,
        "domains": list(exam.domains.values_list("pk", flat=True)),
        "question_count": 10,
        "timing": "untimed",
        **change,
    }
    response = client.post(reverse("start_practice"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Attempt.objects.exists()


def test_practice_domains_must_belong_to_the_certification(client, exam, learner):
    other = build_exam(10)
    response = client.post(
        reverse("start_practice"),
        {
            "certification": exam.code,
            "domains": [other.domains.first().pk],
            "question_count": 5,
            "timing": "untimed",
        },
    )
    assert response.status_code == 400
    assert not Attempt.objects.exists()


def test_dashboard_lists_attempts_in_progress_and_past(client, exam, learner, mock):
    done = attempt_start_mock(learner=learner, certification=exam, seed=2)
    client.post(reverse("attempt_submit", args=[done.pk]), {"confirm": "on"})
    html = client.get(reverse("dashboard")).content.decode()
    assert reverse("attempt_resume", args=[mock.pk]) in html
    assert reverse("attempt_report", args=[done.pk]) in html
    assert "Fail" in html


# --- Playing -----------------------------------------------------------------------------------


def test_question_page_shows_position_options_and_navigator(client, mock):
    item = mock.items.select_related("question").get(position=3)
    html = client.get(q_url(mock, 3)).content.decode()
    assert "Question 3" in html and "of 10" in html
    assert item.question.stem in html
    assert shown_option_ids(html) == item.choice_order
    assert html.count('name="goto"') == 10
    assert 'aria-current="step"' in html
    assert "20 minutes" in html  # the time left, without JavaScript


def test_multiple_response_says_how_many_to_choose(client, mock):
    item = first_multiple(mock)
    html = client.get(q_url(mock, item.position)).content.decode()
    assert "Choose TWO." in html
    assert html.count('type="checkbox" name="choice"') == len(item.choice_order)


def test_order_is_stable_across_reloads_and_answers(client, mock):
    first = {p: client.get(q_url(mock, p)).content.decode() for p in (1, 2, 3)}
    item = mock.items.get(position=2)
    attempt_answer(attempt=mock, position=2, choice_ids=item.choice_order[:1])
    for position, html in first.items():
        again = client.get(q_url(mock, position)).content.decode()
        assert shown_option_ids(again) == shown_option_ids(html)
        stem = mock.items.select_related("question").get(position=position).question.stem
        assert stem in again
    html = client.get(q_url(mock, 2)).content.decode()
    assert f'value="{item.choice_order[0]}" id="choice-{item.choice_order[0]}" checked' in html


def test_resume_goes_to_the_last_question_worked_on(client, mock):
    item = mock.items.get(position=4)
    attempt_answer(attempt=mock, position=4, choice_ids=item.choice_order[:1])
    response = client.get(reverse("attempt_resume", args=[mock.pk]))
    assert response.url == q_url(mock, 4)


def test_answer_saved_via_htmx_returns_the_status_and_updates_the_navigator(client, mock):
    item = first_single(mock)
    response = client.post(
        answer_url(mock, item.position), {"choice": [item.choice_order[0]]}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Answer saved." in html
    assert f'<li id="nav-{item.position}" hx-swap-oob="true">' in html
    assert "1 of 10 answered" in html
    item.refresh_from_db()
    assert item.selected == [item.choice_order[0]] and item.answered_at is not None


def test_answer_saved_by_plain_post_then_next(client, mock):
    item = mock.items.get(position=1)
    response = client.post(nav_url(mock, 1), {"choice": [item.choice_order[1]], "action": "next"})
    assert response.status_code == 302 and response.url == q_url(mock, 2)
    item.refresh_from_db()
    assert item.selected == [item.choice_order[1]]


def test_answer_endpoint_without_javascript_returns_to_the_question(client, mock):
    item = mock.items.get(position=1)
    response = client.post(answer_url(mock, 1), {"choice": [item.choice_order[0]]})
    assert response.url == q_url(mock, 1)


@pytest.mark.parametrize(
    ("data", "target"),
    [
        ({"action": "prev"}, 4),
        ({"action": "review"}, "review"),
        ({"goto": "9"}, 9),
        ({"action": "stay"}, 5),
        ({}, 5),
    ],
)
def test_navigation_saves_then_moves(client, mock, data, target):
    item = mock.items.get(position=5)
    response = client.post(nav_url(mock, 5), {"choice": item.choice_order[:1], **data})
    expected = (
        reverse("attempt_review", args=[mock.pk]) if target == "review" else q_url(mock, target)
    )
    assert response.url == expected
    item.refresh_from_db()
    assert item.selected == item.choice_order[:1]


def test_next_on_the_last_question_goes_to_the_review(client, mock):
    response = client.post(nav_url(mock, 10), {"action": "next"})
    assert response.url == reverse("attempt_review", args=[mock.pk])


def test_htmx_navigation_renders_the_exam_region_and_pushes_the_url(client, mock):
    response = client.post(nav_url(mock, 1), {"action": "next"}, **HTMX)
    assert response.status_code == 302 and response.url == q_url(mock, 2)
    page = client.get(q_url(mock, 2), **HTMX)
    html = page.content.decode()
    assert page.headers["HX-Push-Url"] == q_url(mock, 2)
    assert html.lstrip().startswith("<title>Question 2 of 10")
    assert '<div id="exam"' in html and "<html" not in html and "site-header" not in html


def test_htmx_review_navigation_is_a_full_page_redirect(client, mock):
    response = client.post(nav_url(mock, 1), {"action": "review"}, **HTMX)
    assert response.headers["HX-Redirect"] == reverse("attempt_review", args=[mock.pk])


def test_multiple_response_needs_the_exact_count_to_move_on(client, mock):
    item = first_multiple(mock)
    one = keyed(item)[:1]
    before = snapshot(mock)
    response = client.post(nav_url(mock, item.position), {"choice": one, "action": "next"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "Choose TWO options, or clear your selection." in html
    assert 'role="alert"' in html
    assert f'value="{one[0]}" id="choice-{one[0]}" checked' in html  # what was sent stays ticked
    assert snapshot(mock) == before
    # The same refusal for htmx swaps the exam region and does not change the URL.
    response = client.post(nav_url(mock, item.position), {"choice": one}, **HTMX)
    assert response.status_code == 422 and response.headers["HX-Push-Url"] == "false"
    # None, or exactly two, is fine.
    assert client.post(nav_url(mock, item.position), {"action": "next"}).status_code == 302
    two = keyed(item)
    assert (
        client.post(nav_url(mock, item.position), {"choice": two, "action": "next"}).status_code
        == 302
    )
    item.refresh_from_db()
    assert sorted(item.selected) == sorted(two)


def test_partial_selection_is_saved_as_you_go_but_not_answered(client, mock):
    item = first_multiple(mock)
    response = client.post(answer_url(mock, item.position), {"choice": keyed(item)[:1]}, **HTMX)
    assert "1 of two chosen" in response.content.decode()
    item.refresh_from_db()
    assert len(item.selected) == 1
    review = client.get(reverse("attempt_review", args=[mock.pk])).content.decode()
    assert "1 of two chosen" in review


def test_too_many_options_via_htmx_are_refused_and_not_saved(client, mock):
    item = first_multiple(mock)
    attempt_answer(attempt=mock, position=item.position, choice_ids=keyed(item))
    three = keyed(item) + unkeyed(item)[:1]
    response = client.post(answer_url(mock, item.position), {"choice": three}, **HTMX)
    assert response.status_code == 422
    assert "Not saved: Choose TWO options, or clear your selection." in response.content.decode()
    item.refresh_from_db()
    assert sorted(item.selected) == sorted(keyed(item))


def test_clear_answer(client, mock):
    item = mock.items.get(position=1)
    attempt_answer(attempt=mock, position=1, choice_ids=item.choice_order[:1])
    response = client.post(nav_url(mock, 1), {"choice": item.choice_order[:1], "action": "clear"})
    assert response.url == q_url(mock, 1)
    item.refresh_from_db()
    assert item.selected == [] and item.answered_at is None


def test_flag_toggle_via_htmx_and_plain_post(client, mock):
    response = client.post(flag_url(mock, 2), {"flagged": "1"}, **HTMX)
    html = response.content.decode()
    assert 'id="flag-toggle"' in html and 'aria-pressed="true"' in html
    assert 'value="0"' in html  # pressing again unflags
    assert "1 flagged" in html and "flagged" in html.split('id="nav-2"')[1]
    assert mock.items.get(position=2).flagged
    response = client.post(flag_url(mock, 2), {"flagged": "0"})
    assert response.url == q_url(mock, 2)
    assert not mock.items.get(position=2).flagged
    assert client.post(flag_url(mock, 2), {"flagged": "maybe"}).status_code == 400


# --- Time --------------------------------------------------------------------------------------


def test_answer_after_the_deadline_is_refused_with_a_message(client, mock):
    item = mock.items.get(position=1)
    expire(mock)
    response = client.post(answer_url(mock, 1), {"choice": item.choice_order[:1]}, **HTMX)
    report = reverse("attempt_report", args=[mock.pk])
    assert response.headers["HX-Redirect"] == report
    item.refresh_from_db()
    assert item.selected == []
    mock.refresh_from_db()
    assert mock.status == Attempt.Status.SUBMITTED and mock.auto_submitted
    html = client.get(report).content.decode()
    assert "Time is up" in html and "This answer was not saved." in html


def test_plain_navigation_after_the_deadline_goes_to_the_report(client, mock):
    item = mock.items.get(position=1)
    expire(mock)
    response = client.post(
        nav_url(mock, 1), {"choice": item.choice_order[:1], "action": "next"}, follow=True
    )
    assert response.redirect_chain[0][0] == reverse("attempt_report", args=[mock.pk])
    assert "This answer was not saved." in response.content.decode()
    item.refresh_from_db()
    assert item.selected == []


@pytest.mark.parametrize("page", ["question", "resume", "review", "finish", "report", "answers"])
def test_any_get_of_an_expired_attempt_submits_it_first(client, mock, page):
    expire(mock)
    urls = {
        "question": q_url(mock, 3),
        "resume": reverse("attempt_resume", args=[mock.pk]),
        "review": reverse("attempt_review", args=[mock.pk]),
        "finish": reverse("attempt_finish", args=[mock.pk]),
        "report": reverse("attempt_report", args=[mock.pk]),
        "answers": reverse("attempt_answers", args=[mock.pk]),
    }
    response = client.get(urls[page], follow=True)
    mock.refresh_from_db()
    assert mock.status == Attempt.Status.SUBMITTED and mock.auto_submitted
    assert mock.submitted_at == mock.deadline
    assert response.redirect_chain[0][0] == reverse("attempt_report", args=[mock.pk])
    html = response.content.decode()
    assert "Time is up: your exam was submitted automatically" in html
    assert "Score report" in html


def test_htmx_get_of_an_expired_attempt_redirects_the_whole_page(client, mock):
    expire(mock)
    response = client.get(q_url(mock, 2), **HTMX)
    assert response.headers["HX-Redirect"] == reverse("attempt_report", args=[mock.pk])


# --- Review and submit -------------------------------------------------------------------------


def test_review_screen_lists_answered_unanswered_and_flagged(client, mock):
    for position in (1, 2):
        item = mock.items.select_related("question").get(position=position)
        attempt_answer(
            attempt=mock,
            position=position,
            choice_ids=item.choice_order[: item.question.select_count],
        )
    client.post(flag_url(mock, 2), {"flagged": "1"})
    client.post(flag_url(mock, 7), {"flagged": "1"})
    html = client.get(reverse("attempt_review", args=[mock.pk])).content.decode()
    answered = html.split('id="answered-heading"')[1]
    unanswered = html.split('id="unanswered-heading"')[1].split('id="answered-heading"')[0]
    flagged = html.split('id="flagged-heading"')[1].split('id="unanswered-heading"')[0]
    assert 'Answered <span class="count">(2)' in html
    assert q_url(mock, 1) in answered and q_url(mock, 2) in answered
    assert q_url(mock, 3) in unanswered and q_url(mock, 1) not in unanswered
    assert q_url(mock, 2) in flagged and q_url(mock, 7) in flagged
    assert reverse("attempt_finish", args=[mock.pk]) in html


def test_submit_needs_the_confirmation_step(client, mock):
    finish = client.get(reverse("attempt_finish", args=[mock.pk])).content.decode()
    assert "10</strong> unanswered" in finish and 'name="confirm"' in finish
    response = client.post(reverse("attempt_submit", args=[mock.pk]))
    assert response.url == reverse("attempt_finish", args=[mock.pk])
    mock.refresh_from_db()
    assert mock.status == Attempt.Status.IN_PROGRESS
    response = client.post(reverse("attempt_submit", args=[mock.pk]), {"confirm": "on"})
    assert response.url == reverse("attempt_report", args=[mock.pk])
    mock.refresh_from_db()
    assert mock.status == Attempt.Status.SUBMITTED and not mock.auto_submitted
    # Submitting again changes nothing; the player now shows the answers.
    assert client.post(reverse("attempt_submit", args=[mock.pk]), {"confirm": "on"}).status_code
    response = client.get(q_url(mock, 4))
    assert response.url == reverse("attempt_answers", args=[mock.pk]) + "#q4"


def test_answering_a_submitted_attempt_is_refused(client, mock):
    client.post(reverse("attempt_submit", args=[mock.pk]), {"confirm": "on"})
    item = mock.items.get(position=1)
    response = client.post(answer_url(mock, 1), {"choice": item.choice_order[:1]}, follow=True)
    assert "answers can no longer change" in response.content.decode()
    item.refresh_from_db()
    assert item.selected == []


# --- Report and answers ------------------------------------------------------------------------


def answer_all(attempt: Attempt, *, right: int) -> None:
    """Answer the first `right` questions correctly and the rest wrongly."""
    for item in attempt.items.order_by("position"):
        ids = keyed(item) if item.position <= right else unkeyed(item)[: len(keyed(item))]
        attempt_answer(attempt=attempt, position=item.position, choice_ids=ids)


def test_report_shows_score_domains_statements_services_and_history(client, exam, learner, mock):
    earlier = attempt_start_mock(learner=learner, certification=exam, seed=5)
    client.post(reverse("attempt_submit", args=[earlier.pk]), {"confirm": "on"})
    answer_all(mock, right=8)
    client.post(reverse("attempt_submit", args=[mock.pk]), {"confirm": "on"})
    response = client.get(reverse("attempt_report", args=[mock.pk]))
    html = response.content.decode()
    mock.refresh_from_db()
    assert mock.correct_count == 8
    assert f'<span class="score-value">{mock.scaled_score}</span>' in html
    assert "8 of 10 (80%)" in html
    assert 'role="img"' in html and '<title id="domains-chart-title">' in html
    assert "Percent correct by domain" in html and "passing line" in html
    assert "Score by domain" in html and "1. Domain 1" in html
    assert "Statement 1.1" in html and "Statement 2.2" in html
    assert f"{exam.code}-S1" in html
    assert "sparkline" in html and "(this attempt)" in html
    assert reverse("attempt_report", args=[earlier.pk]) in html
    assert reverse("attempt_retry", args=[mock.pk]) in html


def test_report_of_an_attempt_in_progress_sends_back_to_the_exam(client, mock):
    response = client.get(reverse("attempt_report", args=[mock.pk]))
    assert response.status_code == 302 and response.url == q_url(mock, 1)


def test_answers_show_the_key_rationales_explanation_and_source_note(client, exam, learner):
    mock = attempt_start_mock(learner=learner, certification=exam, seed=3)
    item = mock.items.select_related("question").get(position=1)
    section = SectionFactory(
        source__name="storage.md",
        heading_path=["Storage", "Amazon S3"],
        line_start=12,
        line_end=20,
        raw_markdown="## Amazon S3\n\n- Objects up to **5 TB**\n\n<script>alert(1)</script>",
    )
    item.question.source_facts.add(FactFactory(section=section))
    attempt_answer(attempt=mock, position=1, choice_ids=unkeyed(item)[: item.question.select_count])
    client.post(flag_url(mock, 2), {"flagged": "1"})
    client.post(reverse("attempt_submit", args=[mock.pk]), {"confirm": "on"})
    html = client.get(reverse("attempt_answers", args=[mock.pk]) + "?show=wrong").content.decode()
    first = html.split('id="q1"')[1].split("</article>")[0]
    assert "Incorrect" in first and "Your choice" in first and "Correct answer" in first
    assert RATIONALE in first and item.question.explanation in first
    assert "storage.md" in first and "Storage › Amazon S3" in first and "lines 12–20" in first
    assert "<strong>5 TB</strong>" in first and "<script>" not in first
    assert html.count("<article") == 10  # nothing answered right: all ten are wrong
    flagged = client.get(reverse("attempt_answers", args=[mock.pk]) + "?show=flagged")
    assert flagged.content.decode().count("<article") == 1
    assert 'aria-current="page">Flagged (1)' in flagged.content.decode()


def test_retry_my_wrong_answers(client, exam, learner, mock):
    answer_all(mock, right=7)
    client.post(reverse("attempt_submit", args=[mock.pk]), {"confirm": "on"})
    wrong = set(mock.items.filter(is_correct=False).values_list("question_id", flat=True))
    response = client.post(reverse("attempt_retry", args=[mock.pk]))
    retry = Attempt.objects.exclude(pk=mock.pk).get()
    assert response.url == q_url(retry, 1)
    assert retry.mode == Attempt.Mode.PRACTICE and retry.instant_feedback
    assert set(retry.items.values_list("question_id", flat=True)) == wrong


def test_retry_of_an_attempt_in_progress_starts_nothing(client, mock):
    response = client.post(reverse("attempt_retry", args=[mock.pk]))
    assert response.status_code == 302
    assert Attempt.objects.count() == 1


# --- Instant feedback --------------------------------------------------------------------------


@pytest.fixture
def practice(exam, learner):
    return attempt_start_practice(
        learner=learner, certification=exam, question_count=6, instant_feedback=True, seed=4
    )


def test_instant_feedback_appears_once_the_question_is_answered(client, practice):
    item = first_single(practice)
    before = client.get(q_url(practice, item.position)).content.decode()
    assert RATIONALE not in before and EXPLANATION not in before
    assert "Check answer" in before
    response = client.post(answer_url(practice, item.position), {"choice": keyed(item)}, **HTMX)
    html = response.content.decode()
    assert "Answer saved. Correct." in html
    assert '<section id="feedback"' in html and 'hx-swap-oob="true"' in html
    assert RATIONALE in html and item.question.explanation in html
    page = client.get(q_url(practice, item.position)).content.decode()
    assert "Correct answer" in page and item.question.explanation in page
    # Other questions of the set stay closed.
    other = practice.items.exclude(pk=item.pk).order_by("position").first()
    assert RATIONALE not in client.get(q_url(practice, other.position)).content.decode()


def test_check_answer_without_javascript(client, practice):
    item = first_single(practice)
    response = client.post(
        nav_url(practice, item.position), {"choice": unkeyed(item)[:1], "action": "check"}
    )
    assert response.url == q_url(practice, item.position)
    html = client.get(response.url).content.decode()
    assert "Incorrect" in html and RATIONALE in html
    refused = client.post(nav_url(practice, item.position), {"action": "check"})
    assert refused.status_code == 422
    assert "Choose an option to check your answer." in refused.content.decode()


def test_answers_of_instant_feedback_practice_show_only_answered_questions(client, practice):
    item = first_single(practice)
    attempt_answer(attempt=practice, position=item.position, choice_ids=keyed(item))
    html = client.get(reverse("attempt_answers", args=[practice.pk])).content.decode()
    assert html.count("<article") == 1
    assert "still in progress" in html


# --- Security ----------------------------------------------------------------------------------


def test_no_key_leak_while_a_mock_is_in_progress(client, exam, learner):
    mock = attempt_start_mock(learner=learner, certification=exam, seed=6)
    single = first_single(mock)
    multiple = first_multiple(mock)
    attempt_answer(attempt=mock, position=single.position, choice_ids=keyed(single))
    attempt_answer(attempt=mock, position=multiple.position, choice_ids=keyed(multiple))
    pages = []

    def get(url, **headers):
        response = client.get(url, **headers)
        pages.append((url, response))
        return response

    def post(url, data, **headers):
        response = client.post(url, data, **headers)
        pages.append((url, response))
        return response

    get(reverse("home"))
    get(reverse("dashboard"))
    for position in range(1, mock.question_count + 1):
        assert get(q_url(mock, position)).status_code == 200
        assert get(q_url(mock, position), **HTMX).status_code == 200
    assert get(reverse("attempt_review", args=[mock.pk])).status_code == 200
    assert get(reverse("attempt_finish", args=[mock.pk])).status_code == 200
    assert get(reverse("attempt_resume", args=[mock.pk])).status_code == 302
    for name in ("attempt_report", "attempt_answers"):
        assert get(reverse(name, args=[mock.pk])).status_code == 302
        assert get(reverse(name, args=[mock.pk]) + "?show=wrong").status_code == 302
        assert get(reverse(name, args=[mock.pk]), **HTMX).status_code in (200, 302)
    post(answer_url(mock, single.position), {"choice": keyed(single)}, **HTMX)
    post(answer_url(mock, multiple.position), {"choice": keyed(multiple)[:1]}, **HTMX)
    post(answer_url(mock, multiple.position), {"choice": keyed(multiple) + unkeyed(multiple)[:1]},
         **HTMX)  # fmt: skip
    post(nav_url(mock, multiple.position), {"choice": keyed(multiple)[:1]})
    post(nav_url(mock, multiple.position), {"choice": keyed(multiple)[:1]}, **HTMX)
    post(flag_url(mock, 3), {"flagged": "1"}, **HTMX)
    correct_ids = set(
        Choice.objects.filter(question__certification=exam, is_correct=True).values_list(
            "pk", flat=True
        )
    )
    for url, response in pages:
        html = response.content.decode()
        assert RATIONALE not in html, url
        assert EXPLANATION not in html, url
        assert "This is the keyed answer" not in html, url
        lowered = html.lower()
        for marker in ("correct", "keyed", "is_correct", "data-answer", "rationale"):
            assert marker not in lowered, (url, marker)
        # Correct options look exactly like the others: same markup, only the id differs.
        for pk in correct_ids & set(int(i) for i in re.findall(r'data-option="(\d+)"', html)):
            assert f'<div class="option" data-option="{pk}">' in html, url


OTHER_LEARNER_URLS = [
    ("get", "attempt_resume", None, {}),
    ("get", "attempt_question", 1, {}),
    ("get", "attempt_review", None, {}),
    ("get", "attempt_finish", None, {}),
    ("get", "attempt_report", None, {}),
    ("get", "attempt_answers", None, {}),
    ("post", "attempt_navigate", 1, {"action": "next"}),
    ("post", "attempt_answer", 1, {}),
    ("post", "attempt_flag", 1, {"flagged": "1"}),
    ("post", "attempt_submit", None, {"confirm": "on"}),
    ("post", "attempt_retry", None, {}),
]


@pytest.mark.parametrize("submitted", [False, True])
def test_another_learners_attempt_is_a_404_everywhere(client, exam, submitted):
    owner = UserFactory()
    attempt = attempt_start_mock(learner=owner, certification=exam, seed=7)
    if submitted:
        client.force_login(owner)
        client.post(reverse("attempt_submit", args=[attempt.pk]), {"confirm": "on"})
    client.force_login(UserFactory())
    before = snapshot(attempt)
    item = attempt.items.get(position=1)
    for method, name, position, data in OTHER_LEARNER_URLS:
        args = [attempt.pk] if position is None else [attempt.pk, position]
        if name == "attempt_answer":
            data = {"choice": item.choice_order[:1]}
        for headers in ({}, HTMX):
            response = getattr(client, method)(reverse(name, args=args), data, **headers)
            assert response.status_code == 404, (method, name, headers)
    assert snapshot(attempt) == before
    assert Attempt.objects.count() == 1


def test_a_missing_attempt_is_a_404(client, learner):
    assert client.get(reverse("attempt_question", args=[999, 1])).status_code == 404


@pytest.mark.parametrize("endpoint", ["answer", "navigate"])
@pytest.mark.parametrize("kind", ["foreign", "not-a-number", "mixed"])
def test_tampered_choice_ids_are_a_400_and_change_nothing(client, exam, mock, endpoint, kind):
    item = mock.items.get(position=1)
    foreign = Choice.objects.exclude(question_id=item.question_id).first().pk
    values = {
        "foreign": [foreign],
        "not-a-number": ["abc"],
        "mixed": [item.choice_order[0], "1; DROP TABLE"],
    }[kind]
    url = answer_url(mock, 1) if endpoint == "answer" else nav_url(mock, 1)
    before = snapshot(mock)
    for headers in ({}, HTMX):
        response = client.post(url, {"choice": values, "action": "next"}, **headers)
        assert response.status_code == 400, headers
        body = response.content.decode()
        assert "does not belong to this question" in body or "Choose from the options shown" in body
    assert snapshot(mock) == before


def test_tampered_navigation_target_is_a_400(client, mock):
    before = snapshot(mock)
    assert client.post(nav_url(mock, 1), {"goto": "99"}).status_code == 400
    assert client.post(nav_url(mock, 1), {"action": "explode"}).status_code == 400
    assert snapshot(mock) == before


@pytest.mark.parametrize("position", [0, 11, 500])
def test_position_out_of_range_is_a_404(client, mock, position):
    before = snapshot(mock)
    assert client.get(q_url(mock, position)).status_code == 404
    assert client.post(nav_url(mock, position), {"action": "next"}).status_code == 404
    assert client.post(answer_url(mock, position), {"choice": []}).status_code == 404
    assert client.post(flag_url(mock, position), {"flagged": "1"}).status_code == 404
    assert snapshot(mock) == before


def test_pages_refuse_the_wrong_method(client, mock):
    assert client.get(answer_url(mock, 1)).status_code == 405
    assert client.get(nav_url(mock, 1)).status_code == 405
    assert client.get(reverse("attempt_submit", args=[mock.pk])).status_code == 405
    assert client.post(q_url(mock, 1)).status_code == 405


# --- Query counts ------------------------------------------------------------------------------

QUESTION_PAGE_QUERIES = 6
ANSWER_SAVE_QUERIES = 10
REPORT_QUERIES = 6


@pytest.mark.parametrize("size", [10, 65])
def test_query_counts_do_not_grow_with_the_exam(client, django_assert_max_num_queries, size):
    exam = build_exam(size, minutes=130)
    learner = UserFactory()
    client.force_login(learner)
    attempt = attempt_start_mock(learner=learner, certification=exam, seed=8)
    item = attempt.items.get(position=size // 2)
    with django_assert_max_num_queries(QUESTION_PAGE_QUERIES):
        assert client.get(q_url(attempt, size // 2)).status_code == 200
    with django_assert_max_num_queries(ANSWER_SAVE_QUERIES):
        response = client.post(
            answer_url(attempt, item.position), {"choice": item.choice_order[:1]}, **HTMX
        )
        assert response.status_code == 200
    with django_assert_max_num_queries(ANSWER_SAVE_QUERIES):
        response = client.post(nav_url(attempt, item.position), {"action": "next"})
        assert response.status_code == 302
    answer_all(attempt, right=size // 2)
    client.post(reverse("attempt_submit", args=[attempt.pk]), {"confirm": "on"})
    with django_assert_max_num_queries(REPORT_QUERIES):
        assert client.get(reverse("attempt_report", args=[attempt.pk])).status_code == 200


# --- Accounts ----------------------------------------------------------------------------------


def test_sign_up_logs_in_and_lands_on_the_dashboard(client):
    response = client.post(
        reverse("signup"),
        {
            "username": "newlearner",
            "email": "new@example.com",
            "password1": "a-long-unusual-passphrase-42",
            "password2": "a-long-unusual-passphrase-42",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert response.context["user"].username == "newlearner"
    assert response.context["user"].email == "new@example.com"


def test_sign_up_needs_an_email_not_yet_used(client):
    UserFactory(username="taken", email="taken@example.com")
    response = client.post(
        reverse("signup"),
        {
            "username": "someone",
            "email": "TAKEN@example.com",
            "password1": "a-long-unusual-passphrase-42",
            "password2": "a-long-unusual-passphrase-42",
        },
    )
    assert response.status_code == 400
    assert "already uses this e-mail address" in response.content.decode()
    response = client.post(reverse("signup"), {"username": "x", "email": ""})
    assert response.status_code == 400


def test_log_in_lands_on_the_dashboard_and_log_out_is_a_post(client):
    UserFactory(username="ada")
    login_page = client.get(reverse("login")).content.decode()
    assert 'name="next" value="/dashboard/"' in login_page
    response = client.post(
        reverse("login"),
        {"username": "ada", "password": "correct-horse-battery", "next": "/dashboard/"},
    )
    assert response.url == reverse("dashboard")
    html = client.get(reverse("dashboard")).content.decode()
    assert f'action="{reverse("logout")}"' in html and "Log out" in html
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302


def test_password_reset_sends_a_link(client):
    UserFactory(username="ada", email="ada@example.com")
    page = client.get(reverse("password_reset"))
    assert "Reset your password" in page.content.decode()
    response = client.post(reverse("password_reset"), {"email": "ada@example.com"}, follow=True)
    assert "Check your e-mail" in response.content.decode()
    assert len(mail.outbox) == 1
    assert "/accounts/reset/" in mail.outbox[0].body
    assert mail.outbox[0].subject == "Reset your examsite password"


def test_a_checked_answer_is_locked_once_its_feedback_shows(client, practice):
    item = first_single(practice)
    saved = client.post(answer_url(practice, item.position), {"choice": unkeyed(item)[:1]}, **HTMX)
    # The htmx answer swaps in the options disabled, beside the feedback.
    swapped_options = re.findall(r'<input[^>]*name="choice"[^>]*>', saved.content.decode())
    assert (
        'id="options"' in saved.content.decode() and 'hx-swap-oob="true"' in saved.content.decode()
    )
    assert swapped_options and all(" disabled" in option for option in swapped_options)
    page = client.get(q_url(practice, item.position)).content.decode()
    # The options are shown disabled beside the feedback ...
    options = re.findall(r'<input[^>]*name="choice"[^>]*>', page)
    assert options and all(" disabled" in option for option in options)
    # ... and the server refuses a changed answer, with htmx and without.
    refused = client.post(answer_url(practice, item.position), {"choice": keyed(item)}, **HTMX)
    assert refused.status_code == 422
    assert "can no longer be changed" in refused.content.decode()
    plain = client.post(answer_url(practice, item.position), {"choice": keyed(item)})
    assert plain.url == q_url(practice, item.position)
    assert "can no longer be changed" in client.get(plain.url).content.decode()
    moved = client.post(nav_url(practice, item.position), {"choice": keyed(item), "action": "next"})
    assert moved.status_code == 422 and "can no longer be changed" in moved.content.decode()
    # With htmx the form swaps the whole exam region: the refusal comes back as that region
    # (a bare status fragment would blank the page).
    swapped = client.post(
        nav_url(practice, item.position), {"choice": keyed(item), "action": "next"}, **HTMX
    )
    assert swapped.status_code == 422
    region = swapped.content.decode()
    assert 'id="exam"' in region and "can no longer be changed" in region
    with pytest.raises(ValidationError) as refusal:
        attempt_answer(attempt=practice, position=item.position, choice_ids=keyed(item))
    assert refusal.value.code == "locked"
    item.refresh_from_db()
    assert item.selected == unkeyed(item)[:1]
    # Moving on from it posts no options (they are disabled): that is not a change.
    onward = client.post(nav_url(practice, item.position), {"action": "next"})
    assert onward.url == q_url(practice, item.position + 1)
    item.refresh_from_db()
    assert item.selected == unkeyed(item)[:1]


def test_flag_without_javascript_keeps_the_tick_on_screen(client, mock):
    item = first_single(mock)
    assert item.selected == []
    response = client.post(flag_url(mock, item.position), {"flagged": "1", "choice": keyed(item)})
    assert response.url == q_url(mock, item.position)
    item.refresh_from_db()
    assert item.flagged and item.selected == keyed(item)
    # A bare flag request (no ticks posted) never clears a saved answer.
    client.post(flag_url(mock, item.position), {"flagged": "0"})
    item.refresh_from_db()
    assert not item.flagged and item.selected == keyed(item)
    # A tampered tick is refused and the flag is not stored either.
    bad = client.post(flag_url(mock, item.position), {"flagged": "1", "choice": [999999]})
    assert bad.status_code == 400
    item.refresh_from_db()
    assert not item.flagged

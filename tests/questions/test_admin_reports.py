"""The instructors' triage queue of problem reports, and the report → fix → rescore flow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from questions.models import QuestionReport, QuestionRevision
from questions.services import instructor_group_ensure
from tests.questions.factories import QuestionFactory, QuestionReportFactory, UserFactory
from tests.questions.test_reports import (
    WRONG_KEY,
    build_scenario,
    choice,
    keyed_positions,
    position_of,
    report_url,
    scores,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:questions_questionreport_changelist"


def change_url(report: QuestionReport) -> str:
    return reverse("admin:questions_questionreport_change", args=[report.pk])


def fix_key_url(report: QuestionReport) -> str:
    return reverse("admin:questions_questionreport_fix_key", args=[report.pk])


def rescore_url(report: QuestionReport) -> str:
    return reverse("admin:questions_questionreport_rescore", args=[report.pk])


@pytest.fixture
def instructor(client):
    user = UserFactory(username="instructor", is_staff=True)
    user.groups.add(instructor_group_ensure())
    client.force_login(user)
    return user


def test_the_queue_lists_open_reports_first_with_a_link_to_the_question(client, instructor):
    question = QuestionFactory(key="queue-question")
    old_open = QuestionReportFactory(question=question, details="Open and old. " * 20)
    newer_resolved = QuestionReportFactory(reason="typo")  # another certification and domain
    QuestionReport.objects.filter(pk=old_open.pk).update(
        created_at=timezone.now() - timedelta(days=3)
    )
    QuestionReport.objects.filter(pk=newer_resolved.pk).update(
        status="rejected", resolved_at=timezone.now()
    )
    response = client.get(reverse(CHANGELIST))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index(change_url(old_open)) < html.index(change_url(newer_resolved))
    question_link = reverse("admin:questions_question_change", args=[question.pk])
    assert f'<a href="{question_link}">queue-question</a>' in html
    assert "Open and old. Open and old." in html and "…" in html
    assert old_open.reporter.username in html
    for label in ("By status", "By reason", "By certification", "By domain"):
        assert label in html
    assert 'value="accept_reports"' in html and 'value="reject_reports"' in html
    found = client.get(reverse(CHANGELIST), {"q": old_open.reporter.username})
    assert change_url(old_open) in found.content.decode()
    assert change_url(newer_resolved) not in found.content.decode()
    only_open = client.get(reverse(CHANGELIST), {"status__exact": "open"}).content.decode()
    assert change_url(newer_resolved) not in only_open


def test_accept_and_reject_actions_resolve_open_reports_through_the_service(client, instructor):
    accepted, rejected, already = QuestionReportFactory.create_batch(3)
    QuestionReport.objects.filter(pk=already.pk).update(
        status="rejected", resolved_at=timezone.now()
    )
    response = client.post(
        reverse(CHANGELIST),
        {"action": "accept_reports", "_selected_action": [accepted.pk, already.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "1 report(s) accepted." in html
    assert "1 report(s) were already resolved and were left as they were." in html
    client.post(
        reverse(CHANGELIST), {"action": "reject_reports", "_selected_action": [rejected.pk]}
    )
    for report, status in ((accepted, "accepted"), (rejected, "rejected"), (already, "rejected")):
        report.refresh_from_db()
        assert report.status == status
    assert accepted.resolved_by == instructor and accepted.resolved_at is not None
    already.refresh_from_db()
    assert already.resolved_by is None  # left as it was


def test_the_change_page_shows_what_the_learner_wrote_read_only(client, instructor):
    report = QuestionReportFactory(details="The learner's own words.", reason="typo")
    html = client.get(change_url(report)).content.decode()
    assert "The learner&#x27;s own words." in html
    assert 'name="details"' not in html and 'name="reason"' not in html
    assert 'name="reporter"' not in html and 'name="question"' not in html
    assert 'name="decision"' in html and 'name="resolution_note"' in html
    assert client.get(reverse("admin:questions_questionreport_add")).status_code == 403


def test_rejecting_from_the_change_page_keeps_the_learners_words(client, instructor):
    report = QuestionReportFactory(details="Original details.", reason="ambiguous")
    tampered = {"details": "Rewritten.", "reason": "typo", "resolution_note": "Only one fits."}
    refused = client.post(change_url(report), tampered)
    assert refused.status_code == 200
    assert "Accept or reject the report to send this note." in refused.content.decode()
    report.refresh_from_db()
    assert report.status == "open" and report.resolution_note == ""
    response = client.post(change_url(report), {**tampered, "decision": "rejected"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.resolution_note, report.resolved_by) == (
        "rejected",
        "Only one fits.",
        instructor,
    )
    assert (report.details, report.reason) == ("Original details.", "ambiguous")
    html = client.get(change_url(report)).content.decode()
    assert 'name="decision"' not in html and 'name="resolution_note"' not in html


def test_fix_the_key_is_offered_for_wrong_key_reports_only(client, instructor):
    wrong_key = QuestionReportFactory()
    typo = QuestionReportFactory(reason="typo")
    assert fix_key_url(wrong_key) in client.get(change_url(wrong_key)).content.decode()
    assert fix_key_url(typo) not in client.get(change_url(typo)).content.decode()
    assert client.get(fix_key_url(typo)).status_code == 403
    assert client.post(rescore_url(typo)).status_code == 403


def test_learners_cannot_reach_the_queue_or_the_key_fix(client):
    report = QuestionReportFactory()
    client.force_login(UserFactory())
    for url in (reverse(CHANGELIST), fix_key_url(report), rescore_url(report)):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response.url
    assert client.post(fix_key_url(report), {"correct": "1"}).status_code == 302
    report.refresh_from_db()
    assert report.status == "open"


def test_report_fix_rescore_flow(client, instructor):
    """A learner reports a wrong key from the review page; the instructor fixes it in one
    step and rescores: the learners' scores change to the values worked out by hand."""
    scenario = build_scenario()
    learner_client = client.__class__()
    learner_client.force_login(scenario.upward.learner)
    learner_client.post(
        report_url(scenario.upward),
        {
            "position": position_of(scenario.upward, scenario.bad),
            "reason": WRONG_KEY,
            "details": "Choice B is the right one.",
        },
    )
    report = QuestionReport.objects.get()
    other = QuestionReportFactory(question=scenario.bad)

    page = client.get(fix_key_url(report))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Choice B is the right one." in html and scenario.bad.stem in html
    keyed, unkeyed = choice(scenario.bad, 1), choice(scenario.bad, 2)
    assert f'type="radio" name="correct" value="{keyed.pk}"' in html
    assert f'value="{keyed.pk}" required id="id_correct_0" checked>' in html
    assert f'value="{unkeyed.pk}" required id="id_correct_1">' in html
    assert "2 submitted attempt(s) answered this question" in html
    assert "1 other open wrong-key report(s)" in html

    fixed = client.post(fix_key_url(report), {"correct": unkeyed.pk, "note": "B it is."})
    assert fixed.status_code == 302 and fixed.url == rescore_url(report)
    assert keyed_positions(scenario.bad) == [2]
    revision = QuestionRevision.objects.filter(question=scenario.bad).order_by("-number").first()
    assert (revision.source, revision.changed_by) == (QuestionRevision.Source.REPORT, instructor)
    for accepted in (report, other):
        accepted.refresh_from_db()
        assert (accepted.status, accepted.resolution_note) == ("accepted", "B it is.")
    # Not rescored yet.
    assert scores(scenario.upward) == (2, 50.0, 531, False)

    offer = client.get(rescore_url(report)).content.decode()
    assert "Rescore 2 affected attempts" in offer
    done = client.post(rescore_url(report), follow=True)
    assert done.redirect_chain[-1][0] == change_url(report)
    assert (
        "Rescored 2 submitted attempt(s): 2 changed score (2 answer(s) re-marked); pass/fail "
        "changed for 2 (1 now pass, 1 now fail)."
    ) in done.content.decode()
    assert scores(scenario.upward) == (3, 75.0, 750, True)
    assert scores(scenario.downward) == (2, 50.0, 531, False)
    review = learner_client.get(reverse("attempt_answers", args=[scenario.upward.pk]))
    assert "was accepted: B it is." in review.content.decode()


@pytest.mark.parametrize("ticked", [[1], [1, 2, 3], []], ids=["one", "three", "none"])
def test_an_invalid_key_is_refused_on_the_form_and_nothing_changes(client, instructor, ticked):
    question = QuestionFactory(kind="multiple", select_count=2)
    report = QuestionReportFactory(question=question)
    before = list(question.choices.order_by("position").values_list("pk", "is_correct"))
    data = {"correct": [choice(question, p).pk for p in ticked]}
    response = client.post(fix_key_url(report), data)
    html = response.content.decode()
    assert response.status_code == 400
    if ticked:
        assert "Nothing was changed." in html
        assert f"exactly 2 correct choices, not {len(ticked)}" in html
    else:
        assert "Choose the correct answers." in html
    assert list(question.choices.order_by("position").values_list("pk", "is_correct")) == before
    assert not QuestionRevision.objects.filter(question=question).exists()
    report.refresh_from_db()
    assert report.status == "open"


def test_a_tampered_choice_id_is_refused_and_the_current_key_is_not_a_fix(client, instructor):
    question = QuestionFactory()
    report = QuestionReportFactory(question=question)
    foreign = choice(QuestionFactory(), 2).pk
    assert client.post(fix_key_url(report), {"correct": foreign}).status_code == 400
    same = client.post(fix_key_url(report), {"correct": choice(question, 1).pk})
    assert same.status_code == 400
    assert "That is the current key. To keep it, reject the report instead." in (
        same.content.decode()
    )
    report.refresh_from_db()
    assert report.status == "open" and keyed_positions(question) == [1]

"""The instructors' triage queue of problem reports, and the report → fix → rescore flow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from questions.models import QuestionReport, QuestionRevision
from questions.services.reports import question_report_resolve
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


def question_rescore_url(report: QuestionReport) -> str:
    """Rescoring is question-keyed; from a report, the page returns to it."""
    url = reverse("admin:questions_question_rescore", args=[report.question_id])
    return f"{url}?report={report.pk}"


@pytest.fixture
def instructor(instructor, client):
    """The Instructors-group user (tests/questions/conftest.py), signed in on `client`."""
    client.force_login(instructor)
    return instructor


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
    accepted, rejected, already = QuestionReportFactory.create_batch(3, reason="ambiguous")
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
    assert client.post(fix_key_url(typo), {"correct": "1"}).status_code == 403


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
    assert fixed.status_code == 302 and fixed.url == question_rescore_url(report)
    assert keyed_positions(scenario.bad) == [2]
    revision = QuestionRevision.objects.filter(question=scenario.bad).order_by("-number").first()
    assert (revision.source, revision.changed_by) == (QuestionRevision.Source.REPORT, instructor)
    for accepted in (report, other):
        accepted.refresh_from_db()
        assert (accepted.status, accepted.resolution_note) == ("accepted", "B it is.")
    # Not rescored yet.
    assert scores(scenario.upward) == (2, 50.0, 531, False)

    # The report's own rescore link leads to the question's rescore page.
    assert client.get(rescore_url(report)).url == question_rescore_url(report)
    offer = client.get(question_rescore_url(report)).content.decode()
    assert "Rescore 2 affected attempts" in offer
    assert "2 of them (2 answer(s)) are marked against another key" in offer
    done = client.post(question_rescore_url(report), follow=True)
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


def test_bulk_accept_leaves_wrong_key_reports_open_and_points_to_the_key_fix(client, instructor):
    """Accepted tells the learner the key was wrong; a bulk accept cannot change the key."""
    wrong_key = QuestionReportFactory(reason=WRONG_KEY)
    typo = QuestionReportFactory(reason="typo")
    response = client.post(
        reverse(CHANGELIST),
        {"action": "accept_reports", "_selected_action": [wrong_key.pk, typo.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "1 report(s) accepted." in html
    assert "1 wrong-key report(s) were left open: accept each with “Fix the key”" in html
    wrong_key.refresh_from_db()
    typo.refresh_from_db()
    assert (wrong_key.status, typo.status) == ("open", "accepted")
    rejected = client.post(
        reverse(CHANGELIST), {"action": "reject_reports", "_selected_action": [wrong_key.pk]}
    )
    assert rejected.status_code == 302
    wrong_key.refresh_from_db()
    assert wrong_key.status == "rejected"  # rejecting keeps the key: nothing misleading


def test_a_wrong_key_report_is_accepted_on_its_page_only_with_a_note(client, instructor):
    report = QuestionReportFactory(reason=WRONG_KEY)
    refused = client.post(change_url(report), {"decision": "accepted", "resolution_note": " "})
    assert refused.status_code == 200
    assert "tell the learner why in the note" in refused.content.decode()
    report.refresh_from_db()
    assert report.status == "open"
    note = "The key was already fixed last week."
    accepted = client.post(change_url(report), {"decision": "accepted", "resolution_note": note})
    assert accepted.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.resolution_note) == ("accepted", note)


def test_the_service_refuses_accepting_a_wrong_key_report_without_a_note(instructor):
    report = QuestionReportFactory(reason=WRONG_KEY)
    with pytest.raises(ValidationError) as refused:
        question_report_resolve(report=report, status="accepted", resolved_by=instructor)
    assert refused.value.code == "note_required"
    report.refresh_from_db()
    assert report.status == "open"


def test_leave_open_and_save_says_nothing_was_changed(client, instructor):
    report = QuestionReportFactory(reason="typo")
    response = client.post(change_url(report), {"decision": ""}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse(CHANGELIST)
    assert "Nothing was changed" in html and "is still open" in html
    assert "was changed successfully" not in html
    stay = client.post(change_url(report), {"decision": "", "_continue": "1"})
    assert stay.url == change_url(report)
    report.refresh_from_db()
    assert report.status == "open" and report.resolved_by is None


def test_the_details_excerpt_is_cut_to_80_characters_on_one_line(client, instructor):
    QuestionReportFactory(details="word\n" * 40)
    html = client.get(reverse(CHANGELIST)).content.decode()
    assert ">" + "word " * 15 + "word…<" in html  # 79 characters and the ellipsis


def test_the_queue_queries_do_not_grow_with_domains_or_reports(client, instructor):
    """The domain filter names each domain with its certification's code: read in one query."""
    QuestionReportFactory()  # each report's question has its own certification and domain
    with CaptureQueriesContext(connection) as one_domain:
        assert client.get(reverse(CHANGELIST)).status_code == 200
    QuestionReportFactory.create_batch(5)
    with CaptureQueriesContext(connection) as six_domains:
        html = client.get(reverse(CHANGELIST)).content.decode()
    assert html.count('href="?question__domain__id__exact=') == 6
    assert len(six_domains) == len(one_domain)


def test_the_report_page_names_the_reporter_without_a_link_instructors_cannot_follow(
    client, instructor
):
    report = QuestionReportFactory()
    html = client.get(reverse("admin:questions_questionreport_change", args=[report.pk]))
    page = html.content.decode()
    assert report.reporter.username in page
    user_admin = reverse("admin:auth_user_change", args=[report.reporter.pk])
    assert user_admin not in page
    assert client.get(user_admin).status_code == 403

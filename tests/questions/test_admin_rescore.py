"""The question-keyed rescore page in the admin (reached after any key change)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from questions.services import instructor_group_ensure
from questions.services.reports import question_key_fix
from tests.questions.factories import QuestionFactory, QuestionReportFactory, UserFactory
from tests.questions.test_reports import build_scenario, choice, scores

pytestmark = pytest.mark.django_db


def rescore_url(question) -> str:
    return reverse("admin:questions_question_rescore", args=[question.pk])


@pytest.fixture
def scenario():
    """The report tests' exam, with the wrong key of `bad` fixed but nobody rescored yet."""
    scenario = build_scenario()
    question_key_fix(
        question=scenario.bad, correct_choice_ids=[choice(scenario.bad, 2).pk], fixed_by=None
    )
    return scenario


@pytest.fixture
def instructor(client):
    user = UserFactory(username="instructor", is_staff=True)
    user.groups.add(instructor_group_ensure())
    client.force_login(user)
    return user


def test_the_page_shows_what_would_be_rescored_then_rescores(client, instructor, scenario):
    page = client.get(rescore_url(scenario.bad))
    html = page.content.decode()
    assert page.status_code == 200
    assert "2 submitted attempt(s) answered it." in html
    assert "2 of them (2 answer(s)) are marked against another key" in html
    assert 'value="Rescore 2 affected attempts"' in html
    assert scores(scenario.upward) == (2, 50.0, 531, False)  # a GET changes nothing

    done = client.post(rescore_url(scenario.bad), follow=True)
    change_url = reverse("admin:questions_question_change", args=[scenario.bad.pk])
    assert done.redirect_chain == [(change_url, 302)]
    assert "2 changed score" in done.content.decode()
    assert "(1 now pass, 1 now fail)" in done.content.decode()
    assert scores(scenario.upward) == (3, 75.0, 750, True)
    assert scores(scenario.downward) == (2, 50.0, 531, False)
    again = client.get(rescore_url(scenario.bad)).content.decode()
    assert "already marked against the current key: rescoring would change no score" in again


def test_only_a_report_on_this_question_is_returned_to(client, instructor, scenario):
    own = QuestionReportFactory(question=scenario.bad)
    foreign = QuestionReportFactory()
    back_to_report = client.post(f"{rescore_url(scenario.bad)}?report={own.pk}")
    assert back_to_report.url == reverse("admin:questions_questionreport_change", args=[own.pk])
    back_to_question = client.post(f"{rescore_url(scenario.bad)}?report={foreign.pk}")
    assert back_to_question.url == reverse(
        "admin:questions_question_change", args=[scenario.bad.pk]
    )


def test_rescoring_needs_the_change_question_permission(client, scenario):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_question"))
    client.force_login(viewer)
    page = client.get(rescore_url(scenario.bad))
    assert page.status_code == 200 and "<form" not in page.content.decode().split("content-main")[1]
    assert client.post(rescore_url(scenario.bad)).status_code == 403
    assert scores(scenario.upward) == (2, 50.0, 531, False)


def test_learners_and_other_methods_cannot_rescore(client, instructor, scenario):
    assert client.put(rescore_url(scenario.bad)).status_code == 405
    assert client.get(reverse("admin:questions_question_rescore", args=[999999])).status_code == 404
    client.force_login(UserFactory())
    response = client.post(rescore_url(scenario.bad))
    assert response.status_code == 302 and "/login/" in response.url
    assert scores(scenario.upward) == (2, 50.0, 531, False)


@pytest.mark.parametrize("tampered", ["²", "9" * 40, "-1", "1e3"])
def test_a_tampered_report_reference_is_ignored_not_a_server_error(admin_client, tampered):
    question = QuestionFactory()
    url = reverse("admin:questions_question_rescore", args=[question.pk])
    response = admin_client.get(url, {"report": tampered})
    assert response.status_code == 200

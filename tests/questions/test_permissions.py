"""Who may do what in the admin: instructors curate the bank and the knowledge under it, never
users, groups or learners' attempts; learners do not reach the admin at all."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.urls import reverse

from notes.models import Domain
from questions.models import Question
from questions.services import (
    INSTRUCTORS_GROUP,
    attempt_start_practice,
    instructor_group_ensure,
)
from tests.questions.factories import QuestionFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog")]

# Written out by hand: a change to the group's rights has to change this list too.
EXPECTED_PERMISSIONS = {
    "notes.view_domain",
    "notes.change_domain",
    "notes.view_taskstatement",
    "notes.add_taskstatement",
    "notes.change_taskstatement",
    "notes.view_service",
    "notes.add_service",
    "notes.change_service",
    "notes.view_fact",
    "notes.change_fact",
    "notes.view_facttag",
    "notes.add_facttag",
    "notes.change_facttag",
    "notes.delete_facttag",
    "notes.view_section",
    "notes.view_notesource",
    "notes.view_certification",
    "questions.view_question",
    "questions.add_question",
    "questions.change_question",
    "questions.view_choice",
    "questions.add_choice",
    "questions.change_choice",
    "questions.delete_choice",
    "questions.view_questionrevision",
    "questions.view_questionreport",
    "questions.change_questionreport",
    "questions.view_itemstatistic",
    "questions.view_noteupload",
    "questions.add_noteupload",
}


@pytest.fixture
def domain(catalog) -> Domain:
    return Domain.objects.get(certification__code="SAA-C03", number=2)


def group_permissions(group: Group) -> set[str]:
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_instructors_group_has_exactly_the_curation_permissions(catalog):
    group = instructor_group_ensure()
    assert group.name == INSTRUCTORS_GROUP
    assert group_permissions(group) == EXPECTED_PERMISSIONS


def test_instructor_group_ensure_resets_extra_permissions(catalog):
    group = instructor_group_ensure()
    group.permissions.add(Permission.objects.get(codename="change_user"))
    group.permissions.add(Permission.objects.get(codename="view_attempt"))
    assert group_permissions(instructor_group_ensure()) == EXPECTED_PERMISSIONS
    assert Group.objects.filter(name=INSTRUCTORS_GROUP).count() == 1


def test_no_instructor_permission_touches_users_groups_or_attempts(instructor):
    permissions = instructor.get_all_permissions()
    assert permissions == EXPECTED_PERMISSIONS
    assert not any(p.startswith(("auth.", "admin.", "sessions.")) for p in permissions)
    assert not any(p.endswith(("_attempt", "_attemptquestion", "_erratum")) for p in permissions)


def test_instructor_opens_the_admin_and_sees_the_question_admin(instructor_client):
    response = instructor_client.get(reverse("admin:index"))
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("admin:questions_question_changelist") in page
    assert reverse("admin:auth_user_changelist") not in page
    assert reverse("admin:questions_attempt_changelist") not in page


def test_instructor_adds_and_changes_a_question(instructor_client, domain):
    data = {
        "key": "instructor-made",
        "status": "draft",
        "origin": "authored",
        "certification": domain.certification_id,
        "domain": domain.pk,
        "task_statement": "",
        "kind": "single",
        "select_count": 1,
        "stem": "A company needs durable object storage. Which service meets this need?",
        "explanation": "S3 stores objects durably.",
        "template": "",
        "choices-TOTAL_FORMS": 4,
        "choices-INITIAL_FORMS": 0,
        "choices-MIN_NUM_FORMS": 0,
        "choices-MAX_NUM_FORMS": 1000,
    }
    for i in range(4):
        data[f"choices-{i}-text"] = f"Choice number {i}"
        data[f"choices-{i}-rationale"] = f"Why choice {i} is {'right' if i == 0 else 'wrong'}"
    data["choices-0-is_correct"] = "on"
    assert instructor_client.get(reverse("admin:questions_question_add")).status_code == 200
    response = instructor_client.post(reverse("admin:questions_question_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    question = Question.objects.get(key="instructor-made")
    change_url = reverse("admin:questions_question_change", args=[question.pk])
    assert instructor_client.get(change_url).status_code == 200
    choice_ids = list(question.choices.values_list("pk", flat=True))
    data.update(
        {"status": "published", "stem": "Which service stores objects durably?"},
        **{"choices-INITIAL_FORMS": 4},
    )
    for i, pk in enumerate(choice_ids):
        data[f"choices-{i}-id"] = pk
        data[f"choices-{i}-question"] = question.pk
    response = instructor_client.post(change_url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    question.refresh_from_db()
    assert question.status == "published"
    assert question.stem == "Which service stores objects durably?"


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:auth_user_changelist",
        "admin:auth_user_add",
        "admin:auth_group_changelist",
        "admin:auth_group_add",
    ],
)
def test_instructor_is_refused_the_user_and_group_admin(instructor_client, url_name):
    assert instructor_client.get(reverse(url_name)).status_code == 403


def test_instructor_cannot_change_a_user_or_a_group(instructor_client, instructor):
    learner = UserFactory(username="someone")
    group = Group.objects.get(name=INSTRUCTORS_GROUP)
    user_url = reverse("admin:auth_user_change", args=[learner.pk])
    group_url = reverse("admin:auth_group_change", args=[group.pk])
    assert instructor_client.get(user_url).status_code == 403
    assert instructor_client.get(group_url).status_code == 403
    # Not even to promote themselves.
    response = instructor_client.post(
        reverse("admin:auth_user_change", args=[instructor.pk]),
        {"username": "instructor", "is_superuser": "on", "is_staff": "on", "is_active": "on"},
    )
    assert response.status_code == 403
    instructor.refresh_from_db()
    assert not instructor.is_superuser
    assert (
        instructor_client.post(
            reverse("admin:auth_user_delete", args=[learner.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert User.objects.filter(pk=learner.pk).exists()


def test_instructor_cannot_delete_a_question(instructor_client, domain):
    """Retiring is the curation tool: deleting would bypass the history and cascade."""
    question = QuestionFactory(domain=domain)
    delete_url = reverse("admin:questions_question_delete", args=[question.pk])

    assert instructor_client.get(delete_url).status_code == 403
    assert instructor_client.post(delete_url, {"post": "yes"}).status_code == 403
    changelist = instructor_client.get(reverse("admin:questions_question_changelist"))
    assert changelist.status_code == 200
    actions = dict(changelist.context["action_form"].fields["action"].choices)
    assert "delete_selected" not in actions
    assert "retire_questions" in actions
    response = instructor_client.post(
        reverse("admin:questions_question_changelist"),
        {"action": "delete_selected", "_selected_action": [question.pk], "post": "yes"},
    )
    assert response.status_code == 302  # the admin ignores an action it does not offer
    assert Question.objects.filter(pk=question.pk).exists()


def test_instructor_cannot_see_or_change_attempts(instructor_client, domain):
    QuestionFactory.create_batch(3, domain=domain)
    attempt = attempt_start_practice(
        learner=UserFactory(username="a-learner"),
        certification=domain.certification,
        domains=[domain],
        question_count=3,
    )
    for url in (
        reverse("admin:questions_attempt_changelist"),
        reverse("admin:questions_attempt_add"),
        reverse("admin:questions_attempt_change", args=[attempt.pk]),
        reverse("admin:questions_attempt_delete", args=[attempt.pk]),
    ):
        assert instructor_client.get(url).status_code == 403, url
    response = instructor_client.post(
        reverse("admin:questions_attempt_change", args=[attempt.pk]), {"status": "submitted"}
    )
    assert response.status_code == 403
    attempt.refresh_from_db()
    assert attempt.status == "in_progress"


@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:index"),
        reverse("admin:questions_question_changelist"),
        reverse("admin:questions_question_add"),
        reverse("admin:questions_question_import"),
        reverse("admin:auth_user_changelist"),
    ],
)
def test_a_learner_is_sent_to_the_admin_login(client, catalog, url):
    client.force_login(UserFactory(username="a-learner"))
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('admin:login')}?next={url}"


def test_a_learner_cannot_post_a_question_through_the_admin(client, domain):
    client.force_login(UserFactory(username="a-learner"))
    response = client.post(
        reverse("admin:questions_question_add"), {"key": "learner-made", "domain": domain.pk}
    )
    assert response.status_code == 302
    assert not Question.objects.exists()


def test_the_demo_instructor_is_an_instructor_and_the_demo_learner_is_not(catalog, settings):
    settings.DEBUG = True  # demo accounts are for development only
    call_command("seed_demo_users", stdout=StringIO())
    instructor = User.objects.get(username="instructor")
    learner = User.objects.get(username="learner")
    assert instructor.is_staff and not instructor.is_superuser
    assert list(instructor.groups.values_list("name", flat=True)) == [INSTRUCTORS_GROUP]
    assert instructor.get_all_permissions() == EXPECTED_PERMISSIONS
    assert not learner.is_staff and not learner.groups.exists()
    assert instructor.check_password("instructor-demo-pass")

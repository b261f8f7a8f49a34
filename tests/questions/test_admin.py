"""The question admin validates whole questions on the form and writes through the services."""

import pytest
from django.urls import reverse

from notes.models import Domain
from questions.models import Question

pytestmark = pytest.mark.django_db


@pytest.fixture
def saa_domain(catalog) -> Domain:
    return Domain.objects.get(certification__code="SAA-C03", number=2)


def question_form(domain: Domain, *, kind="single", select_count=1, correct=(0,), n_choices=4):
    data = {
        "key": "admin-made-question",
        "status": "draft",
        "origin": "authored",
        "certification": domain.certification_id,
        "domain": domain.pk,
        "task_statement": "",
        "kind": kind,
        "select_count": select_count,
        "stem": "A company needs durable object storage. Which service meets this need?",
        "explanation": "S3 stores objects durably.",
        "template": "",
        "choices-TOTAL_FORMS": n_choices,
        "choices-INITIAL_FORMS": 0,
        "choices-MIN_NUM_FORMS": 0,
        "choices-MAX_NUM_FORMS": 1000,
    }
    for i in range(n_choices):
        data[f"choices-{i}-text"] = f"Choice number {i}"
        data[f"choices-{i}-rationale"] = f"Why choice {i} is {'right' if i in correct else 'wrong'}"
        if i in correct:
            data[f"choices-{i}-is_correct"] = "on"
    return data


def test_admin_shows_choice_count_errors_on_the_form(admin_client, saa_domain):
    url = reverse("admin:questions_question_add")
    response = admin_client.post(url, question_form(saa_domain, correct=(0, 1)))
    assert response.status_code == 200
    assert "exactly one correct choice, not 2" in response.content.decode()
    assert not Question.objects.exists()


def test_admin_rejects_multiple_response_with_too_few_choices(admin_client, saa_domain):
    url = reverse("admin:questions_question_add")
    data = question_form(saa_domain, kind="multiple", select_count=2, correct=(0, 1), n_choices=3)
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "A choose-2 question has at least 4 choices, not 3." in response.content.decode()
    assert not Question.objects.exists()


def test_admin_rejects_multiple_response_with_select_count_one(admin_client, saa_domain):
    url = reverse("admin:questions_question_add")
    data = question_form(saa_domain, kind="multiple", select_count=1, correct=(0,), n_choices=4)
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "selects at least 2 choices" in response.content.decode()
    assert not Question.objects.exists()


def test_admin_saves_a_valid_multiple_response_question(admin_client, saa_domain):
    url = reverse("admin:questions_question_add")
    data = question_form(saa_domain, kind="multiple", select_count=2, correct=(1, 3), n_choices=5)
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    question = Question.objects.get(key="admin-made-question")
    assert question.kind == "multiple"
    assert [c.is_correct for c in question.choices.all()] == [False, True, False, True, False]
    assert [c.position for c in question.choices.all()] == [1, 2, 3, 4, 5]


def test_admin_rejects_a_domain_of_another_certification(admin_client, saa_domain):
    other = Domain.objects.get(certification__code="SAP-C02", number=1)
    data = question_form(saa_domain)
    data["domain"] = other.pk
    response = admin_client.post(reverse("admin:questions_question_add"), data)
    assert response.status_code == 200
    assert "This domain belongs to another certification." in response.content.decode()


def test_admin_edit_keeps_choice_ids(admin_client, saa_domain):
    admin_client.post(reverse("admin:questions_question_add"), question_form(saa_domain))
    question = Question.objects.get()
    ids = [c.pk for c in question.choices.all()]
    data = question_form(saa_domain, correct=(2,))
    data["choices-INITIAL_FORMS"] = 4
    for i, pk in enumerate(ids):
        data[f"choices-{i}-id"] = pk
        data[f"choices-{i}-question"] = question.pk
    response = admin_client.post(
        reverse("admin:questions_question_change", args=[question.pk]), data
    )
    assert response.status_code == 302
    assert [c.pk for c in question.choices.all()] == ids
    assert [c.is_correct for c in question.choices.all()] == [False, False, True, False]


def test_admin_changelist_and_filters_render(admin_client, saa_domain):
    admin_client.post(reverse("admin:questions_question_add"), question_form(saa_domain))
    url = reverse("admin:questions_question_changelist")
    response = admin_client.get(url, {"q": "Choice number 2", "status__exact": "draft"})
    assert response.status_code == 200
    assert "admin-made-question" in response.content.decode()


def test_attempts_are_visible_read_only_to_superusers(admin_client, saa_domain):
    from questions.services import attempt_start_practice
    from tests.questions.factories import QuestionFactory, UserFactory

    QuestionFactory.create_batch(3, domain=saa_domain)
    attempt = attempt_start_practice(
        learner=UserFactory(),
        certification=saa_domain.certification,
        domains=[saa_domain],
        question_count=3,
    )
    changelist = admin_client.get(reverse("admin:questions_attempt_changelist"))
    assert changelist.status_code == 200
    detail = admin_client.get(reverse("admin:questions_attempt_change", args=[attempt.pk]))
    assert detail.status_code == 200
    assert admin_client.get(reverse("admin:questions_attempt_add")).status_code == 403

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


def test_admin_refuses_choose_two_with_one_correct_choice_with_the_message(
    admin_client, saa_domain
):
    url = reverse("admin:questions_question_add")
    data = question_form(saa_domain, kind="multiple", select_count=2, correct=(0,), n_choices=5)
    response = admin_client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "A choose-2 question has exactly 2 correct choices, not 1." in html
    assert "Please correct the error" in html
    assert not Question.objects.exists()


# --- Live preview -------------------------------------------------------------------------------


def preview_data(**overrides) -> dict:
    data = {
        "kind": "multiple",
        "select_count": "2",
        "stem": "Which **two** services store objects?",
        "explanation": "Unsaved *explanation*.",
        "choices-TOTAL_FORMS": "5",
    }
    for i in range(5):
        data[f"choices-{i}-text"] = f"Typed option {i}"
        data[f"choices-{i}-rationale"] = f"Typed rationale {i}"
    data["choices-0-is_correct"] = data["choices-3-is_correct"] = "on"
    data["choices-4-DELETE"] = "on"
    data.update(overrides)
    return data


def test_preview_renders_the_posted_unsaved_question_and_saves_nothing(admin_client):
    from tests.questions.factories import QuestionFactory

    question = QuestionFactory(stem="The saved stem?")
    response = admin_client.post(reverse("admin:questions_question_preview"), preview_data())

    html = response.content.decode()
    assert response.status_code == 200
    assert "Which <strong>two</strong> services store objects?" in html
    assert "Choose TWO." in html
    assert html.count('type="checkbox"') == 4  # the row marked for deletion is left out
    assert "Typed option 3" in html and "Typed option 4" not in html
    assert "<em>explanation</em>" in html
    question.refresh_from_db()
    assert question.stem == "The saved stem?"
    assert Question.objects.count() == 1


def test_preview_shows_half_typed_input_but_refuses_junk(admin_client):
    url = reverse("admin:questions_question_preview")
    half = admin_client.post(url, preview_data(kind="single", select_count="", stem=""))
    assert half.status_code == 200
    assert "Choose one answer." in half.content.decode()

    assert admin_client.post(url, preview_data(kind="essay")).status_code == 400
    assert admin_client.post(url, preview_data(select_count="two")).status_code == 400
    assert (
        admin_client.post(url, preview_data(**{"choices-TOTAL_FORMS": "9999"})).status_code == 400
    )
    assert admin_client.get(url).status_code == 405


def test_preview_needs_add_or_change_permission(client):
    from django.contrib.auth.models import Permission

    from tests.questions.factories import UserFactory

    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_question"))
    client.force_login(viewer)
    response = client.post(reverse("admin:questions_question_preview"), preview_data())
    assert response.status_code == 403


def test_change_page_shows_the_saved_question_preview_without_javascript(admin_client):
    from tests.questions.factories import QuestionFactory

    question = QuestionFactory(
        stem="Which `S3` storage class fits?", kind="multiple", select_count=2
    )
    response = admin_client.get(reverse("admin:questions_question_change", args=[question.pk]))
    html = response.content.decode()
    assert 'id="question-preview"' in html
    assert f'data-preview-url="{reverse("admin:questions_question_preview")}"' in html
    assert "Which <code>S3</code> storage class fits?" in html
    assert "Choose TWO." in html
    assert 'src="/static/js/admin_preview.js"' in html


# --- List columns -------------------------------------------------------------------------------


def add_statistics_and_reports(question, *, facility, discrimination, open_reports):
    from django.utils import timezone

    from questions.models import ItemStatistic, QuestionReport
    from tests.questions.factories import UserFactory

    ItemStatistic.objects.create(
        question=question,
        answered=40,
        correct=round(40 * facility),
        facility=facility,
        discrimination=discrimination,
        flags=["too_hard"] if facility < 0.2 else [],
        flag_count=1 if facility < 0.2 else 0,
        computed_at=timezone.now(),
    )
    for _ in range(open_reports):
        QuestionReport.objects.create(question=question, reporter=UserFactory(), reason="typo")
    QuestionReport.objects.create(
        question=question,
        reporter=UserFactory(),
        reason="typo",
        status="rejected",
        resolved_at=timezone.now(),
    )


def test_changelist_shows_statistics_and_open_reports_in_bounded_queries(
    admin_client, saa_domain, django_assert_max_num_queries
):
    from tests.questions.factories import QuestionFactory

    url = reverse("admin:questions_question_changelist")
    hard = QuestionFactory(key="hard-question", domain=saa_domain)
    add_statistics_and_reports(hard, facility=0.125, discrimination=-0.25, open_reports=2)
    QuestionFactory(key="fresh-question", domain=saa_domain)

    with django_assert_max_num_queries(30) as few:
        response = admin_client.get(url)
    html = response.content.decode()
    assert "0.12" in html and "-0.25" in html
    assert "–" in html  # the question with no statistics yet
    assert ">2<" in html  # two open reports; the rejected one is not counted

    for index in range(15):
        question = QuestionFactory(key=f"middling-question-{index:02d}", domain=saa_domain)
        add_statistics_and_reports(
            question, facility=0.5, discrimination=0.3, open_reports=index % 2
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert admin_client.get(url).status_code == 200

    # Columns are counted after the action checkbox: facility is the 8th, open reports the 10th.
    rising = admin_client.get(url, {"o": "8"}).content.decode()
    assert rising.index("hard-question") < rising.index("middling-question-00")
    falling = admin_client.get(url, {"o": "-8"}).content.decode()
    assert falling.index("middling-question-00") < falling.index("hard-question")
    most_reported = admin_client.get(url, {"o": "-10"}).content.decode()
    assert most_reported.index("hard-question") < most_reported.index("middling-question-01")
    flagged = admin_client.get(url, {"flagged": "yes"}).content.decode()
    assert "hard-question" in flagged and "fresh-question" not in flagged
    reported = admin_client.get(url, {"open_reports": "yes"}).content.decode()
    assert "hard-question" in reported and "fresh-question" not in reported

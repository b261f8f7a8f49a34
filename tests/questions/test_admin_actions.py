"""Bulk curation from the question list: publish, retire, back to draft, move; each through the
services, each recorded in the questions' edit history."""

import pytest
from django.urls import reverse

from questions.models import Question, QuestionRevision
from questions.services import questions_move, questions_set_status
from tests.notes.factories import DomainFactory, TaskStatementFactory
from tests.questions.factories import QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:questions_question_changelist"


def run_action(client, action: str, questions, **extra):
    data = {"action": action, "_selected_action": [q.pk for q in questions], **extra}
    return client.post(reverse(CHANGELIST), data, follow=True)


def make_invalid(question: Question) -> Question:
    """A draft whose choice set can no longer be published (two keyed on a single answer)."""
    question.choices.filter(position=2).update(is_correct=True)
    return question


def test_bulk_publish_publishes_valid_questions_and_names_the_refused(admin_client, admin_user):
    valid = QuestionFactory.create_batch(2, status=Question.Status.DRAFT)
    invalid = make_invalid(QuestionFactory(key="broken-key", status=Question.Status.DRAFT))

    response = run_action(admin_client, "publish_questions", [*valid, invalid])

    html = response.content.decode()
    assert "Published 2 question(s)." in html
    assert (
        "Not published 1 question(s): broken-key: A single-answer question has exactly one " in html
    )
    assert set(Question.objects.filter(status="published")) == set(valid)
    invalid.refresh_from_db()
    assert invalid.status == Question.Status.DRAFT
    for question in valid:
        baseline, bulk = question.revisions.order_by("number")
        assert (baseline.source, baseline.snapshot["status"]) == ("baseline", "draft")
        assert (bulk.source, bulk.changed_by, bulk.summary) == (
            "bulk",
            admin_user,
            "status draft → published",
        )
    assert not invalid.revisions.exists()


@pytest.mark.parametrize(
    ("action", "status", "message"),
    [
        ("retire_questions", "retired", "Retired 2 question(s)."),
        ("draft_questions", "draft", "Sent back to draft 2 question(s)."),
    ],
)
def test_bulk_retire_and_back_to_draft(admin_client, action, status, message):
    questions = QuestionFactory.create_batch(2, status=Question.Status.PUBLISHED)
    already = QuestionFactory(status=status)

    response = run_action(admin_client, action, [*questions, already])

    assert message in response.content.decode()
    assert "1 question(s) were already so." in response.content.decode()
    assert set(Question.objects.filter(status=status)) == {*questions, already}
    assert QuestionRevision.objects.filter(source="bulk").count() == 2
    assert not already.revisions.exists()


def test_bulk_retire_does_not_need_a_publishable_choice_set():
    question = make_invalid(QuestionFactory(status=Question.Status.PUBLISHED))
    result = questions_set_status(questions=[question], status="retired", changed_by=None)
    assert result.changed == [question.key]
    question.refresh_from_db()
    assert question.status == Question.Status.RETIRED


def test_move_page_then_move_to_a_domain_and_task_statement(admin_client, admin_user):
    source = DomainFactory()
    target = DomainFactory(certification=source.certification)
    statement = TaskStatementFactory(domain=target)
    questions = QuestionFactory.create_batch(2, domain=source)

    page = run_action(admin_client, "move_questions", questions)
    html = page.content.decode()
    assert "Move 2 questions to another domain" in html
    assert all(q.key in html for q in questions)
    assert Question.objects.filter(domain=source).count() == 2  # the page changes nothing

    response = run_action(
        admin_client,
        "move_questions",
        questions,
        apply="Move",
        domain=target.pk,
        task_statement=statement.pk,
    )

    assert "Moved 2 question(s)." in response.content.decode()
    for question in questions:
        question.refresh_from_db()
        assert (question.domain, question.task_statement) == (target, statement)
        bulk = question.revisions.get(number=2)
        assert (bulk.source, bulk.changed_by) == ("bulk", admin_user)
        assert bulk.summary == (
            f"domain {source.number} → {target.number}; task statement none → {statement.code}"
        )


def test_move_refuses_questions_of_another_certification_and_moves_the_rest(admin_client):
    target = DomainFactory()
    same = QuestionFactory(domain=DomainFactory(certification=target.certification))
    other = QuestionFactory(key="other-cert-question")

    response = run_action(
        admin_client, "move_questions", [same, other], apply="Move", domain=target.pk
    )

    html = response.content.decode()
    assert "Moved 1 question(s)." in html
    assert (
        f"Did not move 1 question(s): other-cert-question: it is a {other.certification.code} "
        f"question; domain {target.number} belongs to {target.certification.code}."
    ) in html
    same.refresh_from_db()
    other.refresh_from_db()
    assert same.domain == target
    assert other.domain != target
    assert not other.revisions.exists()


def test_move_form_refuses_a_task_statement_of_another_domain(admin_client):
    question = QuestionFactory()
    target = DomainFactory(certification=question.certification)
    elsewhere = TaskStatementFactory(domain=DomainFactory(certification=question.certification))

    response = run_action(
        admin_client,
        "move_questions",
        [question],
        apply="Move",
        domain=target.pk,
        task_statement=elsewhere.pk,
    )

    assert "This task statement belongs to another domain." in response.content.decode()
    question.refresh_from_db()
    assert question.domain != target


def test_move_service_refuses_a_statement_outside_the_domain():
    from django.core.exceptions import ValidationError

    question = QuestionFactory()
    with pytest.raises(ValidationError):
        questions_move(
            questions=[question],
            domain=question.domain,
            task_statement=TaskStatementFactory(),
            changed_by=None,
        )


def test_bulk_actions_need_change_permission(client):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_question"))
    client.force_login(viewer)
    question = QuestionFactory(status=Question.Status.DRAFT)

    response = run_action(client, "publish_questions", [question])

    assert response.status_code == 200
    question.refresh_from_db()
    assert question.status == Question.Status.DRAFT


# --- Cost: a bounded number of queries however many questions are selected ---------------------

BULK_QUERY_BOUND = 17  # the same for 3 questions or 30; it was about 19 per question


@pytest.mark.parametrize("size", [3, 30])
@pytest.mark.parametrize(
    ("status", "start"),
    [
        (Question.Status.PUBLISHED, Question.Status.DRAFT),
        (Question.Status.RETIRED, Question.Status.PUBLISHED),
        (Question.Status.DRAFT, Question.Status.PUBLISHED),
    ],
)
def test_set_status_costs_the_same_queries_for_3_or_30_questions(
    django_assert_max_num_queries, size, status, start
):
    domain = DomainFactory()
    questions = QuestionFactory.create_batch(size, status=start, domain=domain)
    # Half have history already, half get a baseline first: both paths are in the count.
    questions_set_status(questions=questions[: size // 2], status="stale", changed_by=None)
    editor = UserFactory(username="editor")
    queryset = Question.objects.filter(pk__in=[q.pk for q in questions])

    with django_assert_max_num_queries(BULK_QUERY_BOUND):
        result = questions_set_status(questions=queryset, status=status, changed_by=editor)

    assert len(result.changed) == size
    assert Question.objects.filter(status=status).count() == size
    assert QuestionRevision.objects.filter(source="bulk", changed_by=editor).count() == size
    assert QuestionRevision.objects.filter(source="baseline").count() == size


@pytest.mark.parametrize("size", [3, 30])
def test_move_costs_the_same_queries_for_3_or_30_questions(django_assert_max_num_queries, size):
    source = DomainFactory()
    target = DomainFactory(certification=source.certification)
    statement = TaskStatementFactory(domain=target)
    questions = QuestionFactory.create_batch(size, domain=source)

    with django_assert_max_num_queries(BULK_QUERY_BOUND):
        result = questions_move(
            questions=questions, domain=target, task_statement=statement, changed_by=None
        )

    assert len(result.changed) == size
    assert Question.objects.filter(domain=target, task_statement=statement).count() == size
    assert QuestionRevision.objects.filter(source="bulk").count() == size


def test_bulk_revisions_number_on_from_existing_history():
    question = QuestionFactory(status=Question.Status.DRAFT)
    questions_set_status(questions=[question], status="published", changed_by=None)
    questions_set_status(questions=[question], status="retired", changed_by=None)
    assert list(question.revisions.order_by("number").values_list("number", "source")) == [
        (1, "baseline"),
        (2, "bulk"),
        (3, "bulk"),
    ]
    assert question.revisions.get(number=3).summary == "status published → retired"

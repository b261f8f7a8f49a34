"""Edit history: every change to a question is recorded (who, when, how, what) and can be undone."""

from dataclasses import replace

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from questions.bank_export import bank_entries_for
from questions.models import Question, QuestionRevision
from questions.services import (
    ChoiceData,
    bank_import,
    question_revision_restore,
    question_snapshot,
    question_update,
    revision_summary,
)
from tests.questions.factories import QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db


def choices_of(question: Question) -> list[tuple[int, str, bool, str]]:
    return [
        (c.pk, c.text, c.is_correct, c.rationale) for c in question.choices.order_by("position")
    ]


def keyed_on(question: Question, position: int) -> list[ChoiceData]:
    return [
        ChoiceData(c.text, c.position == position, c.rationale)
        for c in question.choices.order_by("position")
    ]


def change_form_data(question: Question, **overrides) -> dict:
    """The admin change form of `question` as a browser would post it unchanged."""
    data = {
        "key": question.key,
        "status": question.status,
        "origin": question.origin,
        "certification": question.certification_id,
        "domain": question.domain_id,
        "task_statement": question.task_statement_id or "",
        "kind": question.kind,
        "select_count": question.select_count,
        "stem": question.stem,
        "explanation": question.explanation,
        "template": question.template,
        "choices-TOTAL_FORMS": question.choices.count(),
        "choices-INITIAL_FORMS": question.choices.count(),
        "choices-MIN_NUM_FORMS": 0,
        "choices-MAX_NUM_FORMS": 1000,
    }
    for i, choice in enumerate(question.choices.order_by("position")):
        data[f"choices-{i}-id"] = choice.pk
        data[f"choices-{i}-question"] = question.pk
        data[f"choices-{i}-text"] = choice.text
        data[f"choices-{i}-rationale"] = choice.rationale
        if choice.is_correct:
            data[f"choices-{i}-is_correct"] = "on"
    data.update(overrides)
    return data


def test_admin_edit_records_who_when_and_what_changed(admin_client, admin_user):
    question = QuestionFactory(status=Question.Status.DRAFT)
    data = change_form_data(question, status="published", stem="A reworded stem?")
    del data["choices-0-is_correct"]
    data["choices-1-is_correct"] = "on"

    response = admin_client.post(
        reverse("admin:questions_question_change", args=[question.pk]), data
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    baseline, edit = QuestionRevision.objects.filter(question=question).order_by("number")
    assert (baseline.number, baseline.source, baseline.changed_by) == (1, "baseline", None)
    assert baseline.snapshot["status"] == "draft"
    assert (edit.number, edit.source, edit.changed_by) == (2, "admin", admin_user)
    assert edit.created_at is not None
    assert edit.summary == (
        "status draft → published; stem edited; choice 1 marked wrong; choice 2 marked correct"
    )
    assert edit.snapshot["stem"] == "A reworded stem?"

    page = admin_client.get(reverse("admin:questions_question_change", args=[question.pk]))
    html = page.content.decode()
    assert "Edit history" in html
    assert "status draft → published; stem edited" in html
    assert admin_user.username in html
    assert reverse("admin:questions_question_revision_restore", args=[question.pk, 1]) in html


def test_admin_add_starts_the_history(admin_client, admin_user):
    from tests.questions.test_admin import question_form

    domain = QuestionFactory().domain  # any domain; the question's fields come from the form
    admin_client.post(reverse("admin:questions_question_add"), question_form(domain))
    created = Question.objects.get(key="admin-made-question")
    (revision,) = created.revisions.all()
    assert (revision.number, revision.source, revision.changed_by) == (1, "admin", admin_user)
    assert revision.summary == "question created"


def test_saving_without_a_change_records_nothing(admin_client):
    question = QuestionFactory()
    response = admin_client.post(
        reverse("admin:questions_question_change", args=[question.pk]),
        change_form_data(question),
    )
    assert response.status_code == 302
    assert not QuestionRevision.objects.exists()
    question_update(question=question, stem=question.stem)
    assert not QuestionRevision.objects.exists()


def test_undo_restores_the_previous_key_exactly():
    editor, restorer = UserFactory(username="editor"), UserFactory(username="restorer")
    question = QuestionFactory()
    before = choices_of(question)

    question_update(question=question, choices=keyed_on(question, 3), changed_by=editor)
    question.refresh_from_db()
    assert [c[2] for c in choices_of(question)] == [False, False, True, False]

    baseline = question.revisions.get(number=1)
    assert baseline.source == QuestionRevision.Source.BASELINE
    question_revision_restore(revision=baseline, restored_by=restorer)

    question.refresh_from_db()
    assert choices_of(question) == before  # same ids, texts, keys and rationales
    restore = question.revisions.get(number=3)
    assert restore.source == QuestionRevision.Source.RESTORE
    assert restore.changed_by == restorer
    assert restore.summary == (
        "restored revision 1: choice 1 marked correct; choice 3 marked wrong"
    )
    assert restore.snapshot == baseline.snapshot


def test_restore_brings_back_fields_removed_choices_and_services():
    from tests.notes.factories import ServiceFactory, TaskStatementFactory

    question = QuestionFactory(status=Question.Status.PUBLISHED)
    statement = TaskStatementFactory(domain=question.domain)
    question_update(question=question, task_statement=statement, services=[ServiceFactory()])
    original = question_snapshot(question)
    question_update(
        question=question,
        status=Question.Status.DRAFT,
        task_statement=None,
        services=[],
        choices=[ChoiceData(f"New {i}", i == 0, "Because.") for i in range(5)],
    )
    revision = question.revisions.get(number=2)  # after the task statement and service were set
    assert revision.snapshot == original
    question_revision_restore(revision=revision, restored_by=None)
    question.refresh_from_db()
    assert question_snapshot(question) == original
    assert question.choices.count() == 4


def test_restore_button_posts_and_needs_change_permission(client, admin_client):
    question = QuestionFactory()
    question_update(question=question, choices=keyed_on(question, 2))
    url = reverse("admin:questions_question_revision_restore", args=[question.pk, 1])

    assert admin_client.get(url).status_code == 405

    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_question"))
    client.force_login(viewer)
    assert client.post(url).status_code == 403
    assert question.choices.get(position=2).is_correct

    response = admin_client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "admin:questions_question_change", args=[question.pk]
    )
    assert "is back as it was in revision 1" in response.content.decode()
    assert question.choices.get(position=1).is_correct
    assert not question.choices.get(position=2).is_correct


def test_revision_page_shows_an_escaped_diff_against_the_previous_revision(admin_client):
    question = QuestionFactory(stem="Which service stores objects?")
    question_update(question=question, stem="Which <script>alert(1)</script> stores objects?")
    response = admin_client.get(reverse("admin:questions_question_revision", args=[question.pk, 2]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Changes since revision 1" in html
    assert '<span class="diff-remove">-  stem: Which service stores objects?</span>' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert "Restore this version" not in html  # revision 2 is the current state

    first = admin_client.get(reverse("admin:questions_question_revision", args=[question.pk, 1]))
    assert "Restore this version" in first.content.decode()


def test_bank_import_records_who_changed_and_who_added_questions():
    importer = UserFactory(username="importer")
    changed, unchanged = QuestionFactory(), QuestionFactory()
    entries = {e.key: e for e in bank_entries_for([changed, unchanged])}
    new_entry = replace(entries[unchanged.key], key="brand-new-question")
    edited = replace(entries[changed.key], stem="An edited stem from the bank file?")

    report = bank_import(entries=[edited, entries[unchanged.key], new_entry], changed_by=importer)

    assert (report.created, report.changed, report.unchanged) == (
        ["brand-new-question"],
        [changed.key],
        [unchanged.key],
    )
    assert list(changed.revisions.order_by("number").values_list("source", "changed_by")) == [
        ("baseline", None),
        ("import", importer.pk),
    ]
    assert changed.revisions.get(number=2).summary == "stem edited"
    assert not unchanged.revisions.exists()
    # A person's import starts each new question's history.
    created = QuestionRevision.objects.get(question__key="brand-new-question")
    assert (created.number, created.source, created.changed_by, created.summary) == (
        1,
        "import",
        importer,
        "question created",
    )
    assert created.snapshot["stem"] == new_entry.stem


def test_an_import_by_no_one_in_particular_adds_questions_without_history():
    """The generator and `make run` load the bank in bulk: no revision per new question."""
    (entry,) = bank_entries_for([QuestionFactory()])
    bank_import(entries=[replace(entry, key="loaded-in-bulk")])
    assert not QuestionRevision.objects.exists()


def test_a_dry_run_import_records_no_revision():
    question = QuestionFactory()
    (entry,) = bank_entries_for([question])
    edited = replace(entry, stem="Edited in a dry run?")
    bank_import(entries=[edited], dry_run=True)
    assert not QuestionRevision.objects.exists()


def test_summary_names_added_removed_and_moved_parts():
    before = {"domain": 1, "services": ["S3"], "choices": [{"text": "a", "correct": True}]}
    after = {
        "domain": 2,
        "task_statement": "2.1",
        "services": ["S3", "EC2"],
        "choices": [{"text": "b", "correct": True}, {"text": "c", "correct": False}],
        "explanation": "New.",
    }
    assert revision_summary(before, after) == (
        "domain 1 → 2; task statement none → 2.1; explanation edited; choice 1 text edited; "
        "choice 2 added; services S3 → S3, EC2"
    )


def test_the_top_history_row_is_the_latest_revision(admin_client):
    question = QuestionFactory()
    question_update(question=question, stem="Reworded once?")
    html = admin_client.get(
        reverse("admin:questions_question_change", args=[question.pk])
    ).content.decode()
    history = html[html.index('id="question-history"') :]
    assert "<td>Latest revision</td>" in history
    assert "Current" not in history
    revision_page = admin_client.get(
        reverse("admin:questions_question_revision", args=[question.pk, 2])
    ).content.decode()
    assert "This is the latest revision." in revision_page


@pytest.mark.parametrize("size", [3, 30])
def test_marking_stale_records_generator_revisions_in_bounded_queries(
    django_assert_max_num_queries, size
):
    from questions.services import questions_mark_stale
    from tests.notes.factories import FactFactory

    fact = FactFactory()
    questions = QuestionFactory.create_batch(size)
    for question in questions:
        question.source_facts.add(fact)
    question_update(question=questions[0], stem="Has history already?")  # numbers on from 2
    retired = QuestionFactory(status=Question.Status.RETIRED)
    retired.source_facts.add(fact)

    with django_assert_max_num_queries(16):
        marked = questions_mark_stale(fact_ids=[fact.pk])

    assert marked == size
    assert set(
        Question.objects.filter(pk__in=[q.pk for q in questions]).values_list("status", flat=True)
    ) == {"stale"}
    revisions = QuestionRevision.objects.filter(source="generator")
    assert revisions.count() == size
    assert set(revisions.values_list("summary", flat=True)) == {"status published → stale"}
    assert list(questions[0].revisions.order_by("number").values_list("number", "source")) == [
        (1, "baseline"),
        (2, "admin"),
        (3, "generator"),
    ]
    assert list(questions[1].revisions.order_by("number").values_list("number", "source")) == [
        (1, "baseline"),
        (2, "generator"),
    ]
    assert not retired.revisions.exists()

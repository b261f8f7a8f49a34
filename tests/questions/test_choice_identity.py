"""Choice ids follow the option, not its position (learners' answers point at ids), and a
change of key outside a report refreshes statistics and offers a rescore."""

from dataclasses import replace

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from questions.bank_export import bank_entries_for
from questions.models import Choice, Question
from questions.services import (
    ChoiceData,
    bank_import,
    question_revision_restore,
    question_update,
)
from tests.questions.factories import QuestionFactory, SubmittedAnswerFactory
from tests.questions.test_revisions import change_form_data

pytestmark = pytest.mark.django_db

TEXTS = ["Amazon S3", "Amazon EBS", "Amazon EFS", "Amazon FSx", "AWS Storage Gateway"]


@pytest.fixture
def five_choices() -> Question:
    """A single-answer question with choices A–E (A correct), texts distinct from positions."""
    question = QuestionFactory(choices=5)
    for choice, text in zip(question.choices.order_by("position"), TEXTS, strict=True):
        choice.text = text
        choice.save()
    return question


def stored(question: Question) -> list[tuple[int, int, str, bool]]:
    return list(
        Choice.objects.filter(question=question)
        .order_by("position")
        .values_list("pk", "position", "text", "is_correct")
    )


def ids_by_text(question: Question) -> dict[str, int]:
    return {text: pk for pk, _, text, _ in stored(question)}


def as_data(question: Question, order: list[str], **correct) -> list[ChoiceData]:
    by_text = {c.text: c for c in question.choices.all()}
    return [
        ChoiceData(
            text, correct.get("key", TEXTS[0]) == text, by_text[text].rationale, pk=by_text[text].pk
        )
        for text in order
    ]


@pytest.fixture
def rescore_stub(monkeypatch):
    """Record the statistics refreshes queued on commit instead of running them."""
    queued: list[list[int]] = []

    class Stub:
        @staticmethod
        def enqueue(*, question_ids):
            queued.append(list(question_ids))

    monkeypatch.setattr("questions.services.item_statistics_refresh_task", Stub)
    return queued


def test_deleting_choice_b_in_the_admin_keeps_every_other_id_on_its_option(
    admin_client, five_choices
):
    question = five_choices
    ids = ids_by_text(question)
    answer_c = SubmittedAnswerFactory(question=question, selected=[ids["Amazon EFS"]])
    data = change_form_data(question)
    data["choices-1-DELETE"] = "on"  # Amazon EBS

    response = admin_client.post(
        reverse("admin:questions_question_change", args=[question.pk]), data
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    assert stored(question) == [
        (ids["Amazon S3"], 1, "Amazon S3", True),
        (ids["Amazon EFS"], 2, "Amazon EFS", False),
        (ids["Amazon FSx"], 3, "Amazon FSx", False),
        (ids["AWS Storage Gateway"], 4, "AWS Storage Gateway", False),
    ]
    assert not Choice.objects.filter(pk=ids["Amazon EBS"]).exists()
    # The learner who chose EFS still chose EFS.
    answer_c.refresh_from_db()
    assert Choice.objects.get(pk=answer_c.selected[0]).text == "Amazon EFS"


def test_adding_a_choice_in_the_admin_creates_a_row_and_keeps_the_others(
    admin_client, five_choices
):
    question = five_choices
    before = stored(question)
    data = change_form_data(question)
    data.update(
        {
            "choices-TOTAL_FORMS": 6,
            "choices-5-question": question.pk,
            "choices-5-text": "Amazon S3 Glacier",
            "choices-5-rationale": "Archive storage, not the fit here.",
        }
    )

    response = admin_client.post(
        reverse("admin:questions_question_change", args=[question.pk]), data
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    after = stored(question)
    assert after[:5] == before
    assert after[5][1:] == (6, "Amazon S3 Glacier", False)


def test_a_reorder_by_id_moves_options_with_their_ids(five_choices):
    question = five_choices
    ids = ids_by_text(question)

    question_update(question=question, choices=as_data(question, TEXTS[::-1]))

    assert stored(question) == [
        (ids[text], position, text, text == "Amazon S3")
        for position, text in enumerate(TEXTS[::-1], start=1)
    ]


def test_a_rotation_that_also_deletes_and_adds_keeps_ids(five_choices):
    question = five_choices
    ids = ids_by_text(question)
    wanted = [
        *as_data(question, ["AWS Storage Gateway", "Amazon S3", "Amazon FSx"]),
        ChoiceData("Amazon S3 Glacier", False, "Archive storage."),
    ]

    question_update(question=question, choices=wanted)

    rows = stored(question)
    assert rows[:3] == [
        (ids["AWS Storage Gateway"], 1, "AWS Storage Gateway", False),
        (ids["Amazon S3"], 2, "Amazon S3", True),
        (ids["Amazon FSx"], 3, "Amazon FSx", False),
    ]
    assert rows[3][1:] == (4, "Amazon S3 Glacier", False)
    assert rows[3][0] not in ids.values()


def test_callers_without_ids_still_update_by_position(five_choices):
    question = five_choices
    ids = [pk for pk, *_ in stored(question)]
    question_update(
        question=question,
        choices=[ChoiceData(f"Option {i}", i == 0, "Because.") for i in range(4)],
    )
    assert [(pk, text) for pk, _, text, _ in stored(question)] == [
        (ids[i], f"Option {i}") for i in range(4)
    ]


def test_a_choice_of_another_question_is_refused(five_choices):
    question = five_choices
    stranger = QuestionFactory().choices.first()
    wanted = as_data(question, TEXTS[:4])
    wanted[3] = replace(wanted[3], pk=stranger.pk)
    before = stored(question)
    with pytest.raises(ValidationError, match="not this question's"):
        question_update(question=question, choices=wanted)
    assert stored(question) == before


def test_a_chosen_choice_cannot_be_deleted_by_the_service(five_choices):
    question = five_choices
    ids = ids_by_text(question)
    SubmittedAnswerFactory(question=question, selected=[ids["Amazon EBS"]])
    before = stored(question)

    with pytest.raises(ValidationError) as caught:
        question_update(
            question=question,
            choices=as_data(
                question, ["Amazon S3", "Amazon EFS", "Amazon FSx", "AWS Storage Gateway"]
            ),
        )

    assert caught.value.messages == [
        "Choice 2 (“Amazon EBS”) cannot be deleted: learners chose it in 1 attempt(s). "
        "Keep it (reword it if needed), or retire the question and write a new one."
    ]
    assert stored(question) == before


def test_a_chosen_choice_cannot_be_deleted_in_the_admin(admin_client, five_choices):
    question = five_choices
    ids = ids_by_text(question)
    SubmittedAnswerFactory(question=question, selected=[ids["Amazon EBS"]])
    before = stored(question)
    data = change_form_data(question, stem="Edited alongside?")
    data["choices-1-DELETE"] = "on"

    response = admin_client.post(
        reverse("admin:questions_question_change", args=[question.pk]), data
    )

    assert response.status_code == 200
    assert "Choice 2 (“Amazon EBS”) cannot be deleted" in response.content.decode()
    assert stored(question) == before
    question.refresh_from_db()
    assert question.stem != "Edited alongside?"


def test_a_bank_import_dropping_a_chosen_choice_writes_nothing(five_choices):
    question = five_choices
    ids = ids_by_text(question)
    SubmittedAnswerFactory(question=question, selected=[ids["AWS Storage Gateway"]])
    (entry,) = bank_entries_for([question])
    dropped = replace(entry, stem="Edited too?", choices=entry.choices[:4])

    report = bank_import(entries=[dropped])

    assert not report.written
    assert report.errors == [
        f"{question.key}: Choice 5 (“AWS Storage Gateway”) cannot be deleted: learners chose it "
        "in 1 attempt(s). Keep it (reword it if needed), or retire the question and write a new "
        "one."
    ]
    question.refresh_from_db()
    assert question.stem != "Edited too?"
    assert len(stored(question)) == 5


# --- Key changes outside a report ----------------------------------------------------------


def test_an_admin_key_change_queues_statistics_and_offers_a_rescore(
    admin_client, five_choices, rescore_stub, django_capture_on_commit_callbacks
):
    question = five_choices
    ids = ids_by_text(question)
    SubmittedAnswerFactory.create_batch(2, question=question, selected=[ids["Amazon S3"]])
    data = change_form_data(question)
    del data["choices-0-is_correct"]
    data["choices-2-is_correct"] = "on"

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:questions_question_change", args=[question.pk]), data, follow=True
        )

    html = response.content.decode()
    assert (
        "The key changed: 2 submitted attempts were marked against the old key. "
        f'<a href="{reverse("admin:questions_question_rescore", args=[question.pk])}">'
        "Rescore them</a>"
    ) in html
    assert rescore_stub == [[question.pk]]


def test_an_admin_edit_keeping_the_key_queues_nothing_and_warns_nothing(
    admin_client, five_choices, rescore_stub, django_capture_on_commit_callbacks
):
    question = five_choices
    SubmittedAnswerFactory(question=question, selected=[question.choices.first().pk])
    data = change_form_data(question, stem="Reworded, same key?")
    data["choices-1-text"] = "Amazon EBS volumes"

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:questions_question_change", args=[question.pk]), data, follow=True
        )

    assert Question.objects.get(pk=question.pk).stem == "Reworded, same key?"
    assert "The key changed" not in response.content.decode()
    assert rescore_stub == []


def test_a_key_change_without_submitted_attempts_warns_nothing(
    admin_client, five_choices, rescore_stub, django_capture_on_commit_callbacks
):
    question = five_choices
    data = change_form_data(question)
    del data["choices-0-is_correct"]
    data["choices-3-is_correct"] = "on"

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:questions_question_change", args=[question.pk]), data, follow=True
        )

    assert question.choices.get(position=4).is_correct
    assert "The key changed" not in response.content.decode()
    assert rescore_stub == [[question.pk]]  # statistics still follow the key


def test_restoring_an_older_key_warns_in_the_admin(
    admin_client, five_choices, rescore_stub, django_capture_on_commit_callbacks
):
    question = five_choices
    question_update(question=question, choices=as_data(question, TEXTS, key="Amazon EFS"))
    SubmittedAnswerFactory(question=question, selected=[question.choices.get(position=3).pk])
    url = reverse("admin:questions_question_revision_restore", args=[question.pk, 1])

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, follow=True)

    html = response.content.decode()
    assert "is back as it was in revision 1" in html
    assert "The key changed: 1 submitted attempts were marked against the old key." in html
    assert question.choices.get(position=1).is_correct
    assert rescore_stub == [[question.pk]]  # the restore (the edit ran outside the capture)


def test_service_results_say_whether_the_key_changed(
    five_choices, rescore_stub, django_capture_on_commit_callbacks
):
    question = five_choices
    with django_capture_on_commit_callbacks(execute=True):
        assert not question_update(question=question, stem="Only the stem?").key_changed
    assert rescore_stub == []
    with django_capture_on_commit_callbacks(execute=True):
        changed = question_update(
            question=question, choices=as_data(question, TEXTS, key="Amazon FSx")
        )
    assert changed.key_changed
    assert rescore_stub == [[question.pk]]
    with django_capture_on_commit_callbacks(execute=True):
        restored = question_revision_restore(
            revision=question.revisions.get(number=1), restored_by=None
        )
    assert restored.key_changed
    assert rescore_stub == [[question.pk], [question.pk]]


def test_an_import_that_changes_the_key_queues_statistics(
    five_choices, rescore_stub, django_capture_on_commit_callbacks
):
    question = five_choices
    (entry,) = bank_entries_for([question])
    rekeyed = replace(
        entry,
        choices=tuple(
            replace(choice, correct=position == 2)
            for position, choice in enumerate(entry.choices, start=1)
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = bank_import(entries=[rekeyed])
    assert report.changed == [question.key]
    assert rescore_stub == [[question.pk]]


def test_undoing_a_choice_deletion_puts_each_option_back_on_its_own_id(admin_client, five_choices):
    """A revision keeps no ids: restoring it matches by text, so the learner who chose EFS
    (whose position moved when EBS was deleted) still chose EFS after the undo."""
    question = five_choices
    ids = ids_by_text(question)
    answer_efs = SubmittedAnswerFactory(question=question, selected=[ids["Amazon EFS"]])
    data = change_form_data(question)
    data["choices-1-DELETE"] = "on"  # Amazon EBS, which nobody chose
    admin_client.post(reverse("admin:questions_question_change", args=[question.pk]), data)
    baseline = question.revisions.get(number=1)

    restored = question_revision_restore(revision=baseline, restored_by=None)

    rows = stored(question)
    assert [text for _, _, text, _ in rows] == TEXTS
    for text in ("Amazon S3", "Amazon EFS", "Amazon FSx", "AWS Storage Gateway"):
        assert ids_by_text(question)[text] == ids[text]
    assert ids_by_text(question)["Amazon EBS"] != ids["Amazon EBS"]  # deleted, so a new row
    answer_efs.refresh_from_db()
    assert Choice.objects.get(pk=answer_efs.selected[0]).text == "Amazon EFS"
    assert not restored.key_changed


def test_an_import_that_reorders_options_keeps_each_on_its_id(five_choices):
    question = five_choices
    ids = ids_by_text(question)
    (entry,) = bank_entries_for([question])
    reordered = replace(entry, choices=tuple(reversed(entry.choices)))
    assert not bank_import(entries=[reordered]).errors
    assert ids_by_text(question) == ids
    assert [text for _, _, text, _ in stored(question)] == list(reversed(TEXTS))

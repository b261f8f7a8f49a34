"""Retrying a notes upload: one that failed, or one left running by a worker that died, can be
queued again (service, admin action, button on its page); any other upload is refused."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from questions.models import NoteUpload
from questions.services.uploads import RUNNING_STUCK_AFTER, note_upload_requeue
from tests.questions.factories import NoteUploadFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog")]

CHANGELIST = "admin:questions_noteupload_changelist"


def failed_upload(**fields) -> NoteUpload:
    return NoteUploadFactory(
        status=NoteUpload.Status.FAILED,
        error="Unexpected error (OperationalError): database is locked",
        started_at=timezone.now() - timedelta(minutes=2),
        finished_at=timezone.now() - timedelta(minutes=1),
        progress="10:00:00 Uploaded; waiting for a worker.\n10:00:01 Started.\n10:00:02 Failed.\n",
        **fields,
    )


def running_upload(*, for_: timedelta, **fields) -> NoteUpload:
    return NoteUploadFactory(
        status=NoteUpload.Status.RUNNING, started_at=timezone.now() - for_, **fields
    )


def stuck_upload(**fields) -> NoteUpload:
    return running_upload(for_=RUNNING_STUCK_AFTER + timedelta(minutes=1), **fields)


def change_url(upload: NoteUpload) -> str:
    return reverse("admin:questions_noteupload_change", args=[upload.pk])


def retry_url(upload: NoteUpload) -> str:
    return reverse("admin:questions_noteupload_retry", args=[upload.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- The service -------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [failed_upload, stuck_upload], ids=["failed", "stuck"])
def test_a_failed_or_stuck_upload_is_queued_again_and_then_processed(
    instructor, django_capture_on_commit_callbacks, make
):
    upload = make()

    with django_capture_on_commit_callbacks() as callbacks:
        queued = note_upload_requeue(upload=upload, requeued_by=instructor)
    assert (queued.status, queued.error, queued.started_at, queued.finished_at) == (
        NoteUpload.Status.QUEUED,
        "",
        None,
        None,
    )
    assert len(callbacks) == 1  # the task is queued once the retry is committed
    last_line = queued.progress.splitlines()[-1]
    assert "Retry requested by instructor" in last_line
    assert last_line.endswith("waiting for a worker.")
    assert queued.progress.startswith(upload.progress)  # the earlier run's lines are kept

    callbacks[0]()  # the immediate backend runs the task now

    upload.refresh_from_db()
    assert upload.status == NoteUpload.Status.SUCCEEDED, upload.error
    assert upload.task_id
    assert upload.progress.splitlines()[-1].endswith("Done.")


@pytest.mark.parametrize(
    ("make", "state"),
    [
        (NoteUploadFactory, "waiting for a worker"),
        (lambda: running_upload(for_=timedelta(minutes=5)), "running"),
        (lambda: NoteUploadFactory(status=NoteUpload.Status.SUCCEEDED), "done"),
    ],
    ids=["queued", "running-recently", "succeeded"],
)
def test_any_other_upload_is_refused_and_left_as_it_is(
    instructor, django_capture_on_commit_callbacks, make, state
):
    upload = make()
    before = NoteUpload.objects.values().get(pk=upload.pk)

    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(ValidationError) as refused,
    ):
        note_upload_requeue(upload=upload, requeued_by=instructor)

    assert refused.value.messages == [
        f"{upload.name} cannot be retried: it is {state}. Only a failed upload, or one running "
        "for more than 15 minutes, can be."
    ]
    assert NoteUpload.objects.values().get(pk=upload.pk) == before
    assert not callbacks


# --- The admin action --------------------------------------------------------------------------


def test_the_action_retries_the_retryable_uploads_and_names_the_refused_ones(
    instructor_client, instructor, django_capture_on_commit_callbacks
):
    failed = failed_upload(name="failed.md")
    stuck = stuck_upload(name="stuck.md")
    done = NoteUploadFactory(name="done.md", status=NoteUpload.Status.SUCCEEDED)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = instructor_client.post(
            reverse(CHANGELIST),
            {"action": "retry_uploads", "_selected_action": [failed.pk, stuck.pk, done.pk]},
        )

    assert response.status_code == 302
    assert len(callbacks) == 2
    statuses = dict(NoteUpload.objects.values_list("name", "status"))
    assert statuses == {"failed.md": "succeeded", "stuck.md": "succeeded", "done.md": "succeeded"}
    assert NoteUpload.objects.get(pk=done.pk).progress == done.progress  # not run again
    assert messages_of(response) == [
        "Queued 2 upload(s) again: failed.md, stuck.md.",
        "done.md cannot be retried: it is done. Only a failed upload, or one running for more "
        "than 15 minutes, can be.",
    ]


def test_the_action_is_offered_only_with_the_upload_permission(client, catalog):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_noteupload"))
    client.force_login(viewer)
    failed = failed_upload()

    page = client.get(reverse(CHANGELIST)).content.decode()
    response = client.post(
        reverse(CHANGELIST), {"action": "retry_uploads", "_selected_action": [failed.pk]}
    )

    assert "retry_uploads" not in page
    assert NoteUpload.objects.get(pk=failed.pk).status == NoteUpload.Status.FAILED
    assert response.status_code in (200, 302)


# --- The status page and its Retry button ------------------------------------------------------


def test_a_stuck_upload_page_stops_refreshing_and_offers_retry(instructor_client):
    stuck = stuck_upload()
    recent = running_upload(for_=timedelta(minutes=2))

    stuck_page = instructor_client.get(change_url(stuck)).content.decode()
    recent_page = instructor_client.get(change_url(recent)).content.decode()

    assert 'http-equiv="refresh"' not in stuck_page
    assert "it looks stuck" in stuck_page
    assert f'<form method="post" action="{retry_url(stuck)}"' in stuck_page
    assert 'name="csrfmiddlewaretoken"' in stuck_page
    assert '<meta http-equiv="refresh" content="3">' in recent_page
    assert "looks stuck" not in recent_page
    assert retry_url(recent) not in recent_page


def test_a_failed_upload_page_offers_retry_and_does_not_refresh(instructor_client):
    failed = failed_upload()

    page = instructor_client.get(change_url(failed)).content.decode()

    assert f'<form method="post" action="{retry_url(failed)}"' in page
    assert 'http-equiv="refresh"' not in page
    assert "database is locked" in page


def test_the_retry_button_queues_the_upload_and_returns_to_its_page(
    instructor_client, django_capture_on_commit_callbacks
):
    failed = failed_upload(name="retry-me.md")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = instructor_client.post(retry_url(failed))

    assert response.status_code == 302
    assert response["Location"] == change_url(failed)
    assert len(callbacks) == 1
    assert NoteUpload.objects.get(pk=failed.pk).status == NoteUpload.Status.SUCCEEDED
    assert messages_of(response) == ["Queued retry-me.md again. This page shows its progress."]


def test_the_retry_button_refuses_a_finished_upload_with_a_message(
    instructor_client, django_capture_on_commit_callbacks
):
    done = NoteUploadFactory(name="done.md", status=NoteUpload.Status.SUCCEEDED)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = instructor_client.post(retry_url(done))

    assert response.status_code == 302
    assert not callbacks
    assert NoteUpload.objects.get(pk=done.pk).status == NoteUpload.Status.SUCCEEDED
    assert messages_of(response)[0].startswith("done.md cannot be retried: it is done.")


def test_retry_is_post_only(instructor_client):
    failed = failed_upload()

    assert instructor_client.get(retry_url(failed)).status_code == 405
    assert NoteUpload.objects.get(pk=failed.pk).status == NoteUpload.Status.FAILED


def test_retry_of_a_missing_upload_is_not_found(instructor_client):
    response = instructor_client.post(reverse("admin:questions_noteupload_retry", args=[999999]))
    assert response.status_code == 404


def test_staff_who_may_only_view_uploads_cannot_retry(client, catalog):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_noteupload"))
    client.force_login(viewer)
    failed = failed_upload()

    page = client.get(change_url(failed)).content.decode()
    response = client.post(retry_url(failed))

    assert retry_url(failed) not in page
    assert response.status_code == 403
    assert NoteUpload.objects.get(pk=failed.pk).status == NoteUpload.Status.FAILED


def test_a_learner_cannot_retry(client, catalog):
    client.force_login(UserFactory(username="learner"))
    failed = failed_upload()

    response = client.post(retry_url(failed))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert NoteUpload.objects.get(pk=failed.pk).status == NoteUpload.Status.FAILED


def test_a_run_that_lost_its_upload_to_a_retry_stops_without_touching_it(monkeypatch):
    """A slow run retried as stuck: once another run holds the upload, the slow one writes
    nothing more to it, and the drafts it was generating are rolled back."""
    from questions.models import Question
    from questions.services import uploads
    from tests.questions.test_uploads import NOTES

    upload = NoteUploadFactory(name="aws-limits.md", content=NOTES, status=NoteUpload.Status.QUEUED)
    generate = uploads.bank_generate

    def retried_meanwhile(**kwargs):
        report = generate(**kwargs)
        # Meanwhile: the upload was retried as stuck and a new run claimed it.
        NoteUpload.objects.filter(pk=upload.pk).update(
            status=NoteUpload.Status.RUNNING, started_at=timezone.now() + timedelta(seconds=1)
        )
        return report

    monkeypatch.setattr(uploads, "bank_generate", retried_meanwhile)
    assert uploads.note_upload_process(upload_id=upload.pk) == "superseded"
    upload.refresh_from_db()
    assert upload.status == NoteUpload.Status.RUNNING  # the new run's, untouched
    assert "Done." not in upload.progress and upload.finished_at is None
    assert not upload.drafted_questions.exists() and upload.questions_drafted == 0
    assert not Question.objects.exists()  # the slow run's drafts were rolled back

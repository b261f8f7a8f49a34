"""Notes upload: an instructor uploads a notes file in the admin, a background task (run at once
in the tests) ingests it and drafts questions from it, and the upload's page shows progress."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from notes.ingest import NOTE_SUFFIXES
from notes.models import Fact, NoteSource
from notes.services import note_text_ingest
from questions.admin.uploads import (
    MAX_UPLOAD_BYTES,
    NoteUploadFilter,
    drafted_changelist_url,
    drafted_questions,
)
from questions.models import Choice, NoteUpload, Question
from questions.services import bank_generate
from questions.services.uploads import note_upload_create, note_upload_process
from questions.tasks import note_upload_process_task
from tests.questions.factories import NoteUploadFactory, QuestionFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog")]

ADD_URL = "admin:questions_noteupload_add"

# Our own small notes: a few services, each with a definition and a numeric limit, so the
# generator has keyable limits and other services' facts to draw distractors from.
NOTES = """# Storage, compute and messaging limits

## Amazon S3

Amazon S3 is an object storage service that keeps data as objects inside buckets.
- The maximum size of a single object in Amazon S3 is 5 TB.

## Amazon SQS

Amazon SQS is a fully managed message queuing service that decouples application components.
- Amazon SQS retains messages for up to 14 days.

## Amazon DynamoDB

Amazon DynamoDB is a serverless key-value and document database with fast, steady latency.
- The maximum item size in Amazon DynamoDB is 400 KB.

## AWS Lambda

AWS Lambda is a serverless compute service that runs code in response to events.
- The maximum execution time of an AWS Lambda function is 15 minutes.
"""


@pytest.fixture
def question_admin_filters_by_upload():
    """The question change list filters by notes upload: the drafts link depends on it."""
    question_admin = admin.site._registry[Question]
    assert NoteUploadFilter in question_admin.list_filter
    return question_admin


def notes_file(name: str = "aws-limits.md", content: bytes = NOTES.encode()) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/markdown")


def upload_through_admin(client, capture, file: SimpleUploadedFile):
    with capture(execute=True) as callbacks:
        response = client.post(reverse(ADD_URL), {"notes_file": file})
    return response, callbacks


def upload_through_service(capture, *, name: str, content: str, user) -> NoteUpload:
    with capture(execute=True):
        upload = note_upload_create(name=name, content=content, uploaded_by=user)
    upload.refresh_from_db()
    return upload


def test_instructor_upload_drafts_questions_from_the_notes(
    instructor_client, instructor, django_capture_on_commit_callbacks
):
    response, _ = upload_through_admin(
        instructor_client, django_capture_on_commit_callbacks, notes_file()
    )

    upload = NoteUpload.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:questions_noteupload_change", args=[upload.pk])
    assert upload.status == NoteUpload.Status.SUCCEEDED, upload.error
    assert (upload.name, upload.uploaded_by, upload.error) == ("aws-limits.md", instructor, "")
    assert upload.task_id
    assert upload.started_at <= upload.finished_at
    source = NoteSource.objects.get(path="uploads/aws-limits.md")
    facts = Fact.objects.filter(section__source=source)
    assert upload.facts_added == facts.count() > 0

    drafts = Question.objects.filter(status=Question.Status.DRAFT)
    assert upload.questions_drafted == drafts.count() == Question.objects.count() > 0
    assert not Question.objects.published().exists()
    for question in drafts:
        assert question.origin == Question.Origin.GENERATED
        assert question.source_facts.filter(section__source=source).exists(), question.key
    steps = [line.split(" ", 1)[1] for line in upload.progress.splitlines()]
    expected = ["Uploaded", "Started", "Ingesting aws-limits.md as uploads/aws-limits.md",
                "Ingested", "Generating", "Generated: ", "Done"]  # fmt: skip
    assert len(steps) == len(expected)
    assert all(step.startswith(start) for step, start in zip(steps, expected, strict=True)), steps


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.pdf", b"# Amazon S3\n", "notes.pdf: not a notes file; expected one of .markdown"),
        ("notes.md", b"", "The submitted file is empty."),
        ("notes.md", b"  \n\n", "notes.md: the file is empty."),
        ("notes.md", b"# S3\n\x00\x01\x02binary", "notes.md: looks like a binary file"),
        ("notes.md", b"# S3\n\ncaf\xe9 latin-1\n", "notes.md:3: not valid UTF-8 (byte 0xe9)"),
        ("notes.md", b"#" * (MAX_UPLOAD_BYTES + 1), "notes.md: larger than 2 MB."),
    ],
)
def test_a_bad_file_is_refused_with_a_clear_error_and_nothing_saved(
    instructor_client, django_capture_on_commit_callbacks, name, content, message
):
    response, callbacks = upload_through_admin(
        instructor_client, django_capture_on_commit_callbacks, notes_file(name, content)
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not NoteUpload.objects.exists()
    assert not NoteSource.objects.exists()
    assert not callbacks  # no task queued


def test_the_add_form_has_a_file_field_and_no_text_area(instructor_client):
    page = instructor_client.get(reverse(ADD_URL)).content.decode()

    assert 'type="file" name="notes_file"' in page
    assert 'enctype="multipart/form-data"' in page
    assert "<textarea" not in page
    assert "_addanother" not in page and "_continue" not in page


def test_a_failing_ingest_marks_the_upload_failed_and_keeps_earlier_data(
    instructor, django_capture_on_commit_callbacks
):
    first = upload_through_service(
        django_capture_on_commit_callbacks, name="aws-limits.md", content=NOTES, user=instructor
    )
    assert first.status == NoteUpload.Status.SUCCEEDED, first.error
    source = NoteSource.objects.get(path="uploads/aws-limits.md")
    hash_before = source.content_hash
    facts_before = set(Fact.objects.filter(section__source=source).values_list("pk", "statement"))
    questions_before = set(Question.objects.values_list("key", "status"))

    # Text with nothing to ingest: the notes reader refuses it whole.
    failed = upload_through_service(
        django_capture_on_commit_callbacks,
        name="aws-limits.md",
        content="<!-- only a comment -->\n",
        user=instructor,
    )

    assert failed.status == NoteUpload.Status.FAILED
    assert failed.error == "aws-limits.md: no headings, paragraphs or entries found."
    assert failed.finished_at is not None
    assert failed.progress.splitlines()[-1].endswith("Failed.")
    assert (failed.facts_added, failed.questions_drafted) == (0, 0)
    assert NoteSource.objects.get(pk=source.pk).content_hash == hash_before
    assert set(Fact.objects.filter(section__source=source).values_list("pk", "statement")) == (
        facts_before
    )
    assert set(Question.objects.values_list("key", "status")) == questions_before


def test_a_malformed_glossary_fails_naming_the_file_and_line(
    instructor, django_capture_on_commit_callbacks
):
    upload = upload_through_service(
        django_capture_on_commit_callbacks,
        name="glossary.tsv",
        content="S3\tSimple Storage Service\tObject storage\t\n",
        user=instructor,
    )

    assert upload.status == NoteUpload.Status.FAILED
    assert upload.error.startswith("glossary.tsv:1: missing header row")
    assert not NoteSource.objects.exists()


def test_a_failing_generation_is_recorded_on_the_upload(
    instructor, django_capture_on_commit_callbacks, monkeypatch
):
    def broken_generation(**kwargs):
        raise RuntimeError("generator exploded")

    monkeypatch.setattr("questions.services.uploads.bank_generate", broken_generation)

    upload = upload_through_service(
        django_capture_on_commit_callbacks, name="aws-limits.md", content=NOTES, user=instructor
    )

    assert upload.status == NoteUpload.Status.FAILED
    assert upload.error == "Unexpected error (RuntimeError): generator exploded"
    assert upload.facts_added > 0  # the ingest is its own transaction and stays
    assert not Question.objects.exists()


def test_a_learner_cannot_reach_the_upload_admin(
    client, catalog, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory(username="a-learner"))

    page = client.get(reverse(ADD_URL))
    response, callbacks = upload_through_admin(
        client, django_capture_on_commit_callbacks, notes_file()
    )

    assert page.status_code == response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert not NoteUpload.objects.exists() and not callbacks


def test_staff_without_the_upload_permission_is_refused(
    client, catalog, django_capture_on_commit_callbacks
):
    user = UserFactory(username="staff-no-perm", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_noteupload"))
    client.force_login(user)

    response, _ = upload_through_admin(client, django_capture_on_commit_callbacks, notes_file())

    assert response.status_code == 403
    assert not NoteUpload.objects.exists()


def test_running_the_task_again_does_nothing(instructor, django_capture_on_commit_callbacks):
    upload = upload_through_service(
        django_capture_on_commit_callbacks, name="aws-limits.md", content=NOTES, user=instructor
    )
    assert upload.status == NoteUpload.Status.SUCCEEDED, upload.error
    questions = list(Question.objects.values_list("pk", "key", "status", "updated_at"))
    facts = list(Fact.objects.values_list("pk", "statement"))

    result = note_upload_process_task.enqueue(upload_id=upload.pk)

    assert result.return_value == "succeeded"
    assert note_upload_process(upload_id=upload.pk) == "succeeded"
    again = NoteUpload.objects.get(pk=upload.pk)
    assert (again.progress, again.finished_at, again.questions_drafted) == (
        upload.progress,
        upload.finished_at,
        upload.questions_drafted,
    )
    assert list(Question.objects.values_list("pk", "key", "status", "updated_at")) == questions
    assert list(Fact.objects.values_list("pk", "statement")) == facts


def test_uploading_the_same_name_again_replaces_that_source_incrementally(
    instructor, django_capture_on_commit_callbacks
):
    first = upload_through_service(
        django_capture_on_commit_callbacks, name="aws-limits.md", content=NOTES, user=instructor
    )
    unchanged = upload_through_service(
        django_capture_on_commit_callbacks, name="aws-limits.md", content=NOTES, user=instructor
    )
    changed_notes = NOTES + (
        "\n## Amazon EBS\n\nAmazon EBS is a block storage service for Amazon EC2 instances.\n"
    )
    changed = upload_through_service(
        django_capture_on_commit_callbacks,
        name="aws-limits.md",
        content=changed_notes,
        user=instructor,
    )

    assert [u.status for u in (first, unchanged, changed)] == ["succeeded"] * 3
    assert (unchanged.facts_added, unchanged.questions_drafted) == (0, 0)
    assert "Unchanged since the last upload" in unchanged.progress
    assert changed.facts_added == 1
    assert NoteSource.objects.filter(path="uploads/aws-limits.md").count() == 1
    assert Fact.objects.count() == first.facts_added + 1


def test_the_status_page_shows_progress_and_links_the_drafts(
    instructor_client,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
    question_admin_filters_by_upload,
):
    upload_through_admin(instructor_client, django_capture_on_commit_callbacks, notes_file())
    upload = NoteUpload.objects.get()
    url = reverse("admin:questions_noteupload_change", args=[upload.pk])

    with django_assert_max_num_queries(12):
        page = instructor_client.get(url).content.decode()

    assert "Done" in page  # the status
    for line in upload.progress.splitlines():
        assert f"<li>{line}</li>" in page
    assert 'http-equiv="refresh"' not in page  # finished: no more reloading
    assert 'name="_save"' not in page  # read-only
    # Who uploaded it, by name: instructors cannot open user accounts, so no link there.
    assert upload.uploaded_by.username in page
    assert reverse("admin:auth_user_change", args=[upload.uploaded_by.pk]) not in page
    some_draft = Question.objects.filter(status=Question.Status.DRAFT).first()
    assert reverse("admin:questions_question_change", args=[some_draft.pk]) in page
    changelist_url = drafted_changelist_url(upload)
    assert changelist_url.replace("&", "&amp;") in page

    drafts = instructor_client.get(changelist_url)
    assert drafts.status_code == 200
    assert drafts.context["cl"].result_count == upload.questions_drafted


def test_the_drafts_link_leaves_out_questions_from_outside_the_task(
    instructor, django_capture_on_commit_callbacks
):
    upload = upload_through_service(
        django_capture_on_commit_callbacks, name="aws-limits.md", content=NOTES, user=instructor
    )
    QuestionFactory(status=Question.Status.DRAFT, origin=Question.Origin.GENERATED)

    assert drafted_questions(upload).count() == upload.questions_drafted > 0
    assert Question.objects.count() == upload.questions_drafted + 1


def test_a_queued_upload_page_refreshes_and_says_to_start_a_worker(instructor_client, instructor):
    fresh = NoteUploadFactory(uploaded_by=instructor)
    waiting = NoteUploadFactory(uploaded_by=instructor)
    NoteUpload.objects.filter(pk=waiting.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )

    fresh_page = instructor_client.get(
        reverse("admin:questions_noteupload_change", args=[fresh.pk])
    ).content.decode()
    waiting_page = instructor_client.get(
        reverse("admin:questions_noteupload_change", args=[waiting.pk])
    ).content.decode()

    assert '<meta http-equiv="refresh" content="3">' in fresh_page
    assert '<meta http-equiv="refresh" content="3">' in waiting_page
    assert "Waiting for a worker: run <code>python manage.py db_worker</code>" in waiting_page
    assert "python manage.py db_worker" not in fresh_page


def test_the_change_list_shows_each_upload(instructor_client, instructor):
    NoteUploadFactory(name="ec2-notes.md", uploaded_by=instructor)

    response = instructor_client.get(reverse("admin:questions_noteupload_changelist"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "ec2-notes.md" in page and "instructor" in page and "Waiting for a worker" in page
    for column in ("Facts added", "Questions drafted", "Created at", "Finished at"):
        assert column in page


MORE_NOTES = """# More limits

## Amazon SNS

Amazon SNS is a managed publish/subscribe messaging service that pushes messages to subscribers.
- The maximum message size in Amazon SNS is 256 KB.

## Amazon EFS

Amazon EFS is a serverless elastic file system that grows and shrinks as files are added.
- The maximum size of a single file in Amazon EFS is 47.9 TB.
"""


def test_questions_already_in_the_bank_keep_their_status(
    instructor, django_capture_on_commit_callbacks
):
    """Generation covers the whole bank: questions it regenerates stay published."""
    note_text_ingest(name="base.md", data=NOTES.encode(), source_path="/notes/base.md")
    bank_generate()
    published = set(Question.objects.published().values_list("key", flat=True))
    assert published

    upload = upload_through_service(
        django_capture_on_commit_callbacks, name="more.md", content=MORE_NOTES, user=instructor
    )

    assert upload.status == NoteUpload.Status.SUCCEEDED, upload.error
    assert set(Question.objects.published().values_list("key", flat=True)) == published
    drafts = Question.objects.filter(status=Question.Status.DRAFT)
    assert drafts.count() == upload.questions_drafted > 0


def test_an_upload_leaves_every_existing_question_untouched(
    instructor, django_capture_on_commit_callbacks
):
    """Only new questions are added: a published question the generator would now write
    differently keeps its text, and one it no longer produces is not marked stale."""
    note_text_ingest(name="base.md", data=NOTES.encode(), source_path="/notes/base.md")
    bank_generate()
    reworded = Question.objects.published().order_by("key").first()
    Question.objects.filter(pk=reworded.pk).update(stem="An instructor's reworded stem?")
    no_longer_generated = QuestionFactory(
        key="generated-long-ago", origin=Question.Origin.GENERATED
    )
    assert no_longer_generated.status == Question.Status.PUBLISHED
    existing_ids = list(Question.objects.values_list("pk", flat=True))
    fields = ("pk", "key", "status", "stem", "explanation", "updated_at", "domain_id")
    questions_before = list(Question.objects.order_by("pk").values_list(*fields))
    choices_before = list(Choice.objects.order_by("pk").values_list("pk", "text", "is_correct"))

    upload = upload_through_service(
        django_capture_on_commit_callbacks, name="more.md", content=MORE_NOTES, user=instructor
    )

    assert upload.status == NoteUpload.Status.SUCCEEDED, upload.error
    existing = Question.objects.filter(pk__in=existing_ids).order_by("pk")
    assert list(existing.values_list(*fields)) == questions_before
    assert (
        list(
            Choice.objects.filter(question_id__in=existing_ids)
            .order_by("pk")
            .values_list("pk", "text", "is_correct")
        )
        == choices_before
    )
    new = Question.objects.exclude(pk__in=existing_ids)
    assert new.count() == upload.questions_drafted > 0
    assert set(new.values_list("status", flat=True)) == {Question.Status.DRAFT}
    assert set(upload.drafted_questions.all()) == set(new)
    generated_line = next(line for line in upload.progress.splitlines() if "Generated:" in line)
    assert "updated" not in generated_line and "stale" not in generated_line


def test_the_service_and_the_form_refuse_a_wrong_name_with_the_same_message(instructor_client):
    message = f"notes.pdf: not a notes file; expected one of {', '.join(sorted(NOTE_SUFFIXES))}."

    with pytest.raises(ValidationError) as refused:
        note_upload_create(name="notes.pdf", content="# S3\n", uploaded_by=None)
    page = instructor_client.post(reverse(ADD_URL), {"notes_file": notes_file("notes.pdf")})

    assert refused.value.message_dict == {"name": [message]}
    assert message in page.content.decode()
    with pytest.raises(ValidationError, match="not a notes file"):
        note_upload_create(name="folder/notes.md", content="# S3\n", uploaded_by=None)
    assert not NoteUpload.objects.exists()


def upload_with_drafts(count: int, **upload_fields) -> tuple[NoteUpload, list[Question]]:
    """An upload linked to `count` draft questions, as its task would have left it."""
    upload = NoteUploadFactory(status=NoteUpload.Status.SUCCEEDED, **upload_fields)
    drafts = QuestionFactory.create_batch(count, status=Question.Status.DRAFT)
    upload.drafted_questions.add(*drafts)
    NoteUpload.objects.filter(pk=upload.pk).update(questions_drafted=count)
    return upload, drafts


def test_the_drafts_link_names_the_upload_not_each_question():
    upload, _ = upload_with_drafts(30)

    url = drafted_changelist_url(upload)

    parts = urlsplit(url)
    assert parts.path == reverse("admin:questions_question_changelist")
    assert parse_qs(parts.query) == {"upload": [str(upload.pk)], "status__exact": ["draft"]}
    assert len(url) < 100  # the same length for 30 questions or 3,000


def test_the_upload_filter_lists_only_that_uploads_drafts(
    instructor_client, instructor, question_admin_filters_by_upload
):
    upload, drafts = upload_with_drafts(3, uploaded_by=instructor)
    other_upload, other_drafts = upload_with_drafts(2, uploaded_by=instructor)
    # reviewed and published since
    Question.objects.filter(pk=drafts[0].pk).update(status=Question.Status.PUBLISHED)
    QuestionFactory(status=Question.Status.DRAFT)  # a draft from elsewhere

    response = instructor_client.get(drafted_changelist_url(upload))

    assert response.status_code == 200
    shown = {question.pk for question in response.context["cl"].result_list}
    assert shown == {drafts[1].pk, drafts[2].pk}
    assert "notes upload" in response.content.decode()  # the filter's title in the sidebar
    everything = instructor_client.get(
        reverse("admin:questions_question_changelist"), {"upload": other_upload.pk}
    )
    assert {q.pk for q in everything.context["cl"].result_list} == {q.pk for q in other_drafts}


def test_the_upload_filter_offers_the_newest_uploads_that_drafted_questions(
    instructor, monkeypatch
):
    monkeypatch.setattr("questions.admin.uploads.UPLOADS_IN_QUESTION_FILTER", 2)
    now = timezone.now()
    oldest, _ = upload_with_drafts(1, name="oldest.md")
    middle, _ = upload_with_drafts(1, name="middle.md")
    newest, _ = upload_with_drafts(1, name="newest.md")
    drafted_nothing = NoteUploadFactory(name="nothing-new.md")
    for age, upload in enumerate([newest, drafted_nothing, middle, oldest]):
        NoteUpload.objects.filter(pk=upload.pk).update(created_at=now - timedelta(hours=age))

    lookups = NoteUploadFilter(None, {}, Question, None).lookups(None, None)

    assert [pk for pk, _ in lookups] == [str(newest.pk), str(middle.pk)]
    assert lookups[0][1].startswith("newest.md (")


@pytest.mark.parametrize("tampered", ["1 OR 1=1", "²", "9" * 40])
def test_a_tampered_upload_filter_value_is_refused(
    instructor_client, question_admin_filters_by_upload, tampered
):
    upload_with_drafts(1)

    response = instructor_client.get(
        reverse("admin:questions_question_changelist"), {"upload": tampered}
    )

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")  # the admin's "bad parameters" page

"""Admin: notes uploads. An instructor uploads a notes file; a background task ingests it and
drafts questions from it, and the upload's page shows the task's progress until it is done.

The add form takes only the file: it is checked here (name, size, text, UTF-8) so a bad file is
refused at once with nothing saved, and `note_upload_create` saves it and queues the task. The
change page is a read-only status page (nobody edits an upload) that refreshes itself while the
task is queued or running, and offers a retry when the task failed or its worker died.

This module must not import `questions.admin` (the package imports it, and `QuestionAdmin` uses
`NoteUploadFilter` from here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import PurePath
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from notes.ingest import NOTE_SUFFIXES, NoteFileError, decode_note_bytes
from questions.forms import parse_id
from questions.models import NoteUpload, Question
from questions.services.uploads import (
    RUNNING_STUCK_AFTER,
    note_upload_can_be_requeued,
    note_upload_create,
    note_upload_looks_stuck,
    note_upload_requeue,
    validate_note_file_name,
)

MAX_UPLOAD_BYTES = 2 * 1024 * 1024  # the largest study notes file is well under 1 MB
WORKER_COMMAND = "python manage.py db_worker"
REFRESH_SECONDS = 3
# A queued upload older than this means no worker is picking tasks up.
WORKER_WAIT_WARNING = timedelta(seconds=10)
DRAFTED_QUESTIONS_SHOWN = 50
UPLOADS_IN_QUESTION_FILTER = 20  # the newest; older ones still work by ?upload=<pk>
UNFINISHED = {NoteUpload.Status.QUEUED, NoteUpload.Status.RUNNING}


@dataclass(frozen=True, slots=True)
class UploadedNotes:
    name: str
    text: str


class NoteUploadForm(forms.ModelForm):
    notes_file = forms.FileField(
        label="Notes file",
        max_length=255,
        help_text=(
            f"Markdown notes ({', '.join(sorted(NOTE_SUFFIXES))}; a .tsv is read as a glossary), "
            f"UTF-8, at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB. Uploading a file with the "
            "same name again replaces what the earlier upload added."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(sorted(NOTE_SUFFIXES))}),
    )

    class Meta:
        model = NoteUpload
        fields: list[str] = []

    def clean_notes_file(self) -> UploadedNotes:
        upload = self.cleaned_data["notes_file"]
        name = PurePath(upload.name).name
        validate_note_file_name(name)
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"{name}: larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.", code="size"
            )
        try:
            text = decode_note_bytes(b"".join(upload.chunks()), name=name)
        except NoteFileError as exc:  # empty, binary, or not UTF-8 (with the line)
            raise forms.ValidationError(str(exc), code="unreadable") from exc
        return UploadedNotes(name=name, text=text)


@admin.register(NoteUpload)
class NoteUploadAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "uploaded_by",
        "status",
        "facts_added",
        "questions_drafted",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status"]
    search_fields = ["name", "uploaded_by__username"]
    list_select_related = ["uploaded_by"]
    actions = ["retry_uploads"]
    add_form = NoteUploadForm
    add_fieldsets = [(None, {"fields": ["notes_file"]})]
    fieldsets = [
        (None, {"fields": ["name", "uploader", "status", "size"]}),
        ("Progress", {"fields": ["progress_lines", "error"]}),
        ("Outcome", {"fields": ["facts_added", "questions_drafted", "created_questions"]}),
        ("Timings", {"fields": ["created_at", "started_at", "finished_at", "task_id"]}),
    ]
    readonly_fields = [
        "name",
        "uploader",
        "status",
        "size",
        "progress_lines",
        "error",
        "facts_added",
        "questions_drafted",
        "created_questions",
        "created_at",
        "started_at",
        "finished_at",
        "task_id",
    ]

    # An upload is a record of what a task did: it is never edited, only read.
    # A name, not a link: instructors have no rights over user accounts.
    @admin.display(description="Uploaded by")
    def uploader(self, upload: NoteUpload) -> str:
        return upload.uploaded_by.get_username() if upload.uploaded_by else "–"

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_fieldsets(self, request: HttpRequest, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def add_view(self, request: HttpRequest, form_url="", extra_context=None):
        context = {
            "show_save_and_add_another": False,
            "show_save_and_continue": False,
            **(extra_context or {}),
        }
        return super().add_view(request, form_url, extra_context=context)

    def get_urls(self):
        retry = self.admin_site.admin_view(self.retry_view)
        return [
            path("<path:object_id>/retry/", retry, name="questions_noteupload_retry"),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        upload = self.get_object(request, unquote(object_id))
        context = dict(extra_context or {})
        if upload is not None:
            context.update(self._status_context(request, upload))
        return super().change_view(request, object_id, form_url, extra_context=context)

    def _status_context(self, request: HttpRequest, upload: NoteUpload) -> dict:
        now = timezone.now()
        stuck = note_upload_looks_stuck(upload, now=now)
        context: dict = {}
        # A stuck upload will never change by itself: reloading it would only hide the problem.
        if upload.status in UNFINISHED and not stuck:
            context["refresh_seconds"] = REFRESH_SECONDS
        if stuck:
            context["stuck_minutes"] = int(RUNNING_STUCK_AFTER.total_seconds() // 60)
        if (
            upload.status == NoteUpload.Status.QUEUED
            and now - upload.created_at > WORKER_WAIT_WARNING
        ):
            context["worker_command"] = WORKER_COMMAND
        if note_upload_can_be_requeued(upload, now=now):
            context["can_retry"] = self.has_add_permission(request)
            context["retry_url"] = reverse("admin:questions_noteupload_retry", args=[upload.pk])
        return context

    def retry_view(self, request: HttpRequest, object_id: str):
        return _retry_view(request, object_id, model_admin=self)

    # Uploading is what instructors may do (they cannot change uploads), so retrying, which
    # only runs the same upload again, needs the same permission.
    @admin.action(description="Retry selected uploads", permissions=["add"])
    def retry_uploads(self, request: HttpRequest, queryset: QuerySet[NoteUpload]) -> None:
        retried, refused = [], []
        for upload in queryset.order_by("created_at", "pk"):
            try:
                note_upload_requeue(upload=upload, requeued_by=request.user)
            except ValidationError as exc:
                refused.extend(exc.messages)
            else:
                retried.append(upload.name)
        if retried:
            self.message_user(
                request,
                f"Queued {len(retried)} upload(s) again: {', '.join(retried)}.",
                messages.SUCCESS,
            )
        for reason in refused:
            self.message_user(request, reason, messages.ERROR)

    # The service saves and queues the upload; the admin logs and redirects with `obj`.
    def save_model(self, request: HttpRequest, obj: NoteUpload, form, change: bool) -> None:
        notes: UploadedNotes = form.cleaned_data["notes_file"]
        created = note_upload_create(name=notes.name, content=notes.text, uploaded_by=request.user)
        obj.pk, obj.name, obj.status = created.pk, created.name, created.status
        obj._state.adding = False

    def response_add(self, request: HttpRequest, obj: NoteUpload, post_url_continue=None):
        self.message_user(
            request,
            f"Uploaded {obj.name}. This page shows the progress of its processing.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:questions_noteupload_change", args=[obj.pk]))

    @admin.display(description="Size")
    def size(self, upload: NoteUpload) -> str:
        lines = upload.content.count("\n") + (0 if upload.content.endswith("\n") else 1)
        return f"{lines} lines, {len(upload.content.encode('utf-8')):,} bytes"

    @admin.display(description="Progress")
    def progress_lines(self, upload: NoteUpload) -> str:
        lines = [line for line in upload.progress.splitlines() if line.strip()]
        if not lines:
            return "—"
        return format_html(
            '<ol class="note-upload-progress">{}</ol>',
            format_html_join("", "<li>{}</li>", ((line,) for line in lines)),
        )

    @admin.display(description="Questions it created")
    def created_questions(self, upload: NoteUpload) -> str:
        questions = list(
            drafted_questions(upload)
            .select_related("certification")
            .only("pk", "key", "status", "certification__code")[: DRAFTED_QUESTIONS_SHOWN + 1]
        )
        if not questions:
            return "—"
        items = format_html_join(
            "",
            '<li><a href="{}">{}</a> ({}, {})</li>',
            (
                (
                    reverse("admin:questions_question_change", args=[q.pk]),
                    q.key,
                    q.certification.code,
                    q.get_status_display(),
                )
                for q in questions[:DRAFTED_QUESTIONS_SHOWN]
            ),
        )
        more = (
            format_html("<li>… and more</li>") if len(questions) > DRAFTED_QUESTIONS_SHOWN else ""
        )
        return format_html(
            '<p><a href="{}">Review the ones still in draft in the question list</a></p>'
            "<ul>{}{}</ul>",
            drafted_changelist_url(upload),
            items,
            more,
        )


@require_POST
def _retry_view(request: HttpRequest, object_id: str, *, model_admin: NoteUploadAdmin):
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    upload = model_admin.get_object(request, unquote(object_id))
    if upload is None:
        raise Http404("No such notes upload.")
    try:
        note_upload_requeue(upload=upload, requeued_by=request.user)
    except ValidationError as exc:
        model_admin.message_user(request, " ".join(exc.messages), messages.ERROR)
    else:
        model_admin.message_user(
            request, f"Queued {upload.name} again. This page shows its progress.", messages.SUCCESS
        )
    return HttpResponseRedirect(reverse("admin:questions_noteupload_change", args=[upload.pk]))


class NoteUploadFilter(admin.SimpleListFilter):
    """Questions by the notes upload that drafted them (for the question change list): the
    link from an upload's page is `?upload=<pk>`, short however many questions it drafted."""

    title = "notes upload"
    parameter_name = "upload"

    def lookups(self, request, model_admin):
        drafted_some = NoteUpload.drafted_questions.through.objects.filter(
            noteupload_id=OuterRef("pk")
        )
        uploads = (
            NoteUpload.objects.filter(Exists(drafted_some))
            .order_by("-created_at", "-pk")
            .only("pk", "name", "created_at")[:UPLOADS_IN_QUESTION_FILTER]
        )
        return [
            (
                str(upload.pk),
                f"{upload.name} ({timezone.localtime(upload.created_at):%Y-%m-%d %H:%M})",
            )
            for upload in uploads
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        upload_id = parse_id(value)
        if upload_id is None:  # a tampered link: the change list reports bad parameters
            raise IncorrectLookupParameters(f"{value!r} is not a notes upload.")
        return queryset.filter(note_uploads=upload_id)


def drafted_questions(upload: NoteUpload) -> QuerySet[Question]:
    """The questions this upload's task created (as drafts; an instructor may have published
    some since)."""
    return upload.drafted_questions.order_by("key")


def drafted_changelist_url(upload: NoteUpload) -> str:
    """The question change list showing this upload's questions that are still drafts."""
    query = {NoteUploadFilter.parameter_name: upload.pk, "status__exact": Question.Status.DRAFT}
    return f"{reverse('admin:questions_question_changelist')}?{urlencode(query)}"

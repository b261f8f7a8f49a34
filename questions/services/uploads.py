"""Writes: notes uploaded by instructors, ingested and drafted into questions by a task.

`note_upload_create` saves the upload and queues `note_upload_process_task` once the upload is
committed; a worker (`python manage.py db_worker`, or at once with the immediate backend) then
runs `note_upload_process`, which records each step on the upload so the admin can show it.
Generation only adds questions (`bank_generate(only_new=True)`): an upload never changes or
retires a question already in the bank, published or not. `note_upload_requeue` retries an
upload that failed, or one whose worker died while running it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from notes.ingest import NOTE_SUFFIXES
from notes.services import FileIngestReport, note_text_ingest
from questions.models import NoteUpload, Question
from questions.services import bank_generate

logger = logging.getLogger(__name__)

# Uploads are stored as note sources under this prefix: uploading a file of the same name again
# replaces that source incrementally, as re-ingesting a changed file on disk does.
UPLOAD_SOURCE_PREFIX = "uploads/"
# Processing takes seconds; an upload still running after this long has lost its worker (killed
# or restarted mid-task), since nothing else would ever finish it.
RUNNING_STUCK_AFTER = timedelta(minutes=15)


class NoteUploadError(Exception):
    """A step of processing an upload failed; the message says why (file and line if known)."""


def note_upload_source_path(name: str) -> str:
    return f"{UPLOAD_SOURCE_PREFIX}{name}"


def validate_note_file_name(name: str) -> None:
    """Refuse anything but a bare file name (no folders) with a notes suffix; the one check used
    by the admin's upload form and by `note_upload_create`."""
    path = PurePath(name)
    if path.name != name or path.suffix.lower() not in NOTE_SUFFIXES:
        raise ValidationError(
            f"{name}: not a notes file; expected one of {', '.join(sorted(NOTE_SUFFIXES))}.",
            code="suffix",
        )


def note_upload_looks_stuck(upload: NoteUpload, *, now: datetime | None = None) -> bool:
    """Running for longer than any processing takes: its worker has most likely died."""
    return (
        upload.status == NoteUpload.Status.RUNNING
        and upload.started_at is not None
        and (now or timezone.now()) - upload.started_at > RUNNING_STUCK_AFTER
    )


def note_upload_can_be_requeued(upload: NoteUpload, *, now: datetime | None = None) -> bool:
    return upload.status == NoteUpload.Status.FAILED or note_upload_looks_stuck(upload, now=now)


@transaction.atomic
def note_upload_create(*, name: str, content: str, uploaded_by) -> NoteUpload:
    """Save an uploaded notes file and queue its processing once the upload is committed."""
    try:
        validate_note_file_name(name)
    except ValidationError as exc:
        raise ValidationError({"name": exc.messages}) from exc
    upload = NoteUpload(
        name=name,
        content=content,
        uploaded_by=uploaded_by,
        status=NoteUpload.Status.QUEUED,
        progress=_progress_line("Uploaded; waiting for a worker."),
    )
    upload.full_clean()
    upload.save()
    # After commit: a worker must find the row, and nothing is queued if the upload rolls back.
    transaction.on_commit(lambda: _note_upload_enqueue(upload_id=upload.pk))
    return upload


@transaction.atomic
def note_upload_requeue(*, upload: NoteUpload, requeued_by) -> NoteUpload:
    """Queue a failed upload, or one stuck running, for processing again.

    Processing is safe to repeat: the ingest replaces the upload's own notes source, and
    generation only adds questions not yet in the bank. The row is locked so two retries at once
    queue one task; any other state is refused, so a finished or live upload is never rerun.
    """
    locked = NoteUpload.objects.select_for_update().get(pk=upload.pk)
    if not note_upload_can_be_requeued(locked):
        minutes = int(RUNNING_STUCK_AFTER.total_seconds() // 60)
        raise ValidationError(
            f"{locked.name} cannot be retried: it is {locked.get_status_display().lower()}. "
            f"Only a failed upload, or one running for more than {minutes} minutes, can be.",
            code="not_retryable",
        )
    previous = locked.get_status_display().lower()
    locked.status = NoteUpload.Status.QUEUED
    locked.error = ""
    locked.started_at = None
    locked.finished_at = None
    locked.progress += _progress_line(
        f"Retry requested by {requeued_by.get_username()} (was {previous}); waiting for a worker."
    )
    locked.full_clean()
    locked.save(update_fields=["status", "error", "started_at", "finished_at", "progress"])
    transaction.on_commit(lambda: _note_upload_enqueue(upload_id=locked.pk))
    return locked


def _note_upload_enqueue(*, upload_id: int) -> None:
    from questions.tasks import note_upload_process_task

    result = note_upload_process_task.enqueue(upload_id=upload_id)
    # Only the task id: an immediate backend has already run the task and saved its outcome.
    NoteUpload.objects.filter(pk=upload_id).update(task_id=result.id)


def note_upload_process(*, upload_id: int) -> str:
    """Ingest an upload's text and generate questions, new ones as drafts; returns the status.

    Not atomic as a whole, on purpose: progress must be visible while it runs and a failure must
    be saved. The ingest is one transaction (a file that fails writes nothing) and generation is
    another. Only a queued upload is processed, so running the task twice does nothing more.
    """
    now = timezone.now()
    claimed = NoteUpload.objects.filter(pk=upload_id, status=NoteUpload.Status.QUEUED).update(
        status=NoteUpload.Status.RUNNING, started_at=now
    )
    upload = NoteUpload.objects.filter(pk=upload_id).first()
    if upload is None:
        return "missing"
    if not claimed:
        return upload.status  # finished, or another worker has it
    try:
        _progress(upload, "Started.")
        _note_upload_ingest(upload)
        _note_upload_generate(upload)
    except NoteUploadSuperseded:
        return _superseded(upload_id)
    except Exception as exc:  # any failure must be recorded on the upload, whatever it is
        if not isinstance(exc, NoteUploadError | ValidationError):
            logger.exception("Processing notes upload %s (%s) failed", upload.pk, upload.name)
        status, error = NoteUpload.Status.FAILED, _error_text(exc)
    else:
        status, error = NoteUpload.Status.SUCCEEDED, ""
    try:
        _note_upload_finish(upload, status=status, error=error)
    except NoteUploadSuperseded:
        return _superseded(upload_id)
    return upload.status


def _superseded(upload_id: int) -> str:
    logger.warning("Notes upload %s was retried while this run went on; this run stops.", upload_id)
    return "superseded"


def _note_upload_ingest(upload: NoteUpload) -> None:
    source_path = note_upload_source_path(upload.name)
    _progress(upload, f"Ingesting {upload.name} as {source_path}.")
    with transaction.atomic():
        summary = note_text_ingest(
            name=upload.name, data=upload.content.encode("utf-8"), source_path=source_path
        )
        if summary.errors:
            raise NoteUploadError("; ".join(summary.errors))
    file_report = summary.files[0]
    for warning in file_report.warnings:
        _progress(upload, f"Warning: {warning}")
    # A retry re-ingests text the first run already stored ("unchanged"): keep that run's count.
    if file_report.outcome != "unchanged":
        upload.facts_added = _facts_added(file_report)
        upload.full_clean()
        _save_while_claimed(upload, ["facts_added"])
    _progress(upload, _ingest_summary(file_report))


def _facts_added(report: FileIngestReport) -> int:
    return 0 if report.outcome == "unchanged" else report.facts - report.facts_kept


def _ingest_summary(report: FileIngestReport) -> str:
    if report.outcome == "unchanged":
        return f"Unchanged since the last upload of this name: {report.facts} facts kept."
    return (
        f"Ingested {report.sections} sections and {report.facts} facts "
        f"({_facts_added(report)} new, {report.facts_kept} kept, "
        f"{report.facts_removed} removed; {report.facts_linked} linked to a service)."
    )


def _note_upload_generate(upload: NoteUpload) -> None:
    _progress(upload, "Generating questions from the whole fact base; only new ones are added.")
    # One transaction: the drafts and the upload's record of them are saved together, so a
    # worker dying in between cannot leave drafts that no upload links (a retry adds none).
    with transaction.atomic():
        # Only new keys: questions already in the bank, published ones above all, are what
        # learners see and instructors curate; an upload must not rewrite or retire them.
        report = bank_generate(new_status=Question.Status.DRAFT, only_new=True)
        # Added to, not replaced: a retry keeps what an earlier run of this upload drafted.
        upload.drafted_questions.add(*Question.objects.filter(key__in=report.created_keys))
        upload.questions_drafted = upload.drafted_questions.count()
        upload.full_clean()
        # Lost the claim (retried as stuck while this run was only slow): roll the drafts back.
        _save_while_claimed(upload, ["questions_drafted"])
    _progress(
        upload,
        f"Generated: {report.created} new draft questions; "
        f"{report.unchanged} already in the bank, left as they are.",
    )


def _note_upload_finish(upload: NoteUpload, *, status: str, error: str = "") -> None:
    upload.status = status
    upload.error = error
    upload.finished_at = timezone.now()
    succeeded = status == NoteUpload.Status.SUCCEEDED
    upload.progress += _progress_line("Done." if succeeded else "Failed.")
    upload.full_clean()
    _save_while_claimed(upload, ["status", "error", "finished_at", "progress"])


def _progress(upload: NoteUpload, message: str) -> None:
    upload.progress += _progress_line(message)
    _save_while_claimed(upload, ["progress"])


class NoteUploadSuperseded(Exception):
    """This run no longer holds the upload: it was retried as stuck and another run claimed it."""


def _save_while_claimed(upload: NoteUpload, fields: list[str]) -> None:
    """Save these fields only while this run still holds the upload (status running, and the
    start time it claimed it with); otherwise stop the run without touching the new one's."""
    held = NoteUpload.objects.filter(
        pk=upload.pk, status=NoteUpload.Status.RUNNING, started_at=upload.started_at
    ).update(**{name: getattr(upload, name) for name in fields})
    if not held:
        raise NoteUploadSuperseded(upload.pk)


def _progress_line(message: str) -> str:
    return f"{timezone.localtime():%H:%M:%S} {message}\n"


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    if isinstance(exc, NoteUploadError):
        return str(exc)
    return f"Unexpected error ({type(exc).__name__}): {exc}"

"""Background work, run by Django's tasks framework (`manage.py db_worker` in production, at
once in the tests). Each task is a thin wrapper around a service, which does the work."""

from __future__ import annotations

from django.tasks import task


@task()
def item_statistics_refresh_task(*, question_ids: list[int] | None = None) -> int:
    """Recompute the item statistics of these questions (all when None)."""
    from questions.services.statistics import item_statistics_refresh

    return item_statistics_refresh(question_ids=question_ids)


@task()
def note_upload_process_task(*, upload_id: int) -> str:
    """Ingest an uploaded notes file and draft questions from it; returns the final status."""
    from questions.services.uploads import note_upload_process

    return note_upload_process(upload_id=upload_id)

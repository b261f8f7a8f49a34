"""Writes: notes uploaded by instructors, ingested and drafted into questions by a task."""

from __future__ import annotations


def note_upload_process(*, upload_id: int) -> str:
    raise NotImplementedError  # being written in this session

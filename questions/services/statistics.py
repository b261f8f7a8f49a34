"""Writes: item statistics (facility, discrimination, option counts, automatic flags)."""

from __future__ import annotations


def item_statistics_refresh(*, question_ids: list[int] | None = None) -> int:
    raise NotImplementedError  # being written in this session

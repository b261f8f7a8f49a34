"""Admin: import and export of the question bank (YAML), with a dry-run summary first."""

from __future__ import annotations


def question_admin_urls(model_admin) -> list:
    """URL patterns added to the question admin (import, export)."""
    return []

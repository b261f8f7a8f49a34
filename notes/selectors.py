"""Reads across the notes models."""

from __future__ import annotations

from notes.linking import CatalogEntry, ServiceMatcher
from notes.models import Service, TaskStatement


def service_matcher_from_catalog() -> tuple[ServiceMatcher, dict[str, str], dict[str, int]]:
    """A matcher over the catalog as it is in the database (admin edits included), with each
    short name's category and primary key."""
    rows = list(
        Service.objects.select_related("parent").only(
            "pk", "short_name", "name", "aliases", "former_names", "category", "parent__short_name"
        )
    )
    entries = [
        CatalogEntry(
            short_name=row.short_name,
            name=row.name,
            aliases=tuple(row.aliases),
            former_names=tuple(row.former_names),
            parent=row.parent.short_name if row.parent else None,
            category=row.category,
        )
        for row in rows
    ]
    categories = {row.short_name: row.category for row in rows}
    ids = {row.short_name: row.pk for row in rows}
    return ServiceMatcher(entries), categories, ids


def task_statement_ids() -> dict[tuple[str, str], int]:
    """(certification code, task statement code) → TaskStatement id."""
    return {
        (code, ts_code): pk
        for pk, code, ts_code in TaskStatement.objects.values_list(
            "pk", "domain__certification__code", "code"
        )
    }

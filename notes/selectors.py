"""Reads across the notes models."""

from __future__ import annotations

import re

from notes.errata import ErratumSpec
from notes.linking import CatalogEntry, ServiceMatcher
from notes.models import Erratum, Service, TaskStatement


def service_matcher_from_catalog() -> tuple[ServiceMatcher, dict[str, str], dict[str, int]]:
    """A matcher over the catalog as it is in the database (admin edits included), with each
    short name's category and primary key."""
    entries = catalog_entries()
    ids = dict(Service.objects.values_list("short_name", "pk"))
    return ServiceMatcher(entries), {e.short_name: e.category for e in entries}, ids


def task_statement_ids() -> dict[tuple[str, str], int]:
    """(certification code, task statement code) → TaskStatement id."""
    return {
        (code, ts_code): pk
        for pk, code, ts_code in TaskStatement.objects.values_list(
            "pk", "domain__certification__code", "code"
        )
    }


def catalog_entries() -> list[CatalogEntry]:
    """The service catalog as the pure matching modules take it."""
    return [
        CatalogEntry(
            short_name=row.short_name,
            name=row.name,
            aliases=tuple(row.aliases),
            former_names=tuple(row.former_names),
            parent=row.parent.short_name if row.parent else None,
            category=row.category,
        )
        for row in Service.objects.select_related("parent").order_by("short_name")
    ]


def erratum_spec(row: Erratum) -> ErratumSpec:
    """An Erratum row in the form `notes.errata.match_erratum` takes."""
    return ErratumSpec(
        key=row.key,
        subject=row.subject.short_name if row.subject else None,
        attribute=row.attribute,
        pattern=re.compile(row.pattern, re.IGNORECASE),
        change=row.change,
        outdated_value=row.outdated_value,
        current_value=row.current_value,
        reason=row.reason,
        checked_on=row.checked_on,
    )

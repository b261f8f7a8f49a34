"""Signals the notes app sends; the questions app listens without notes importing it."""

from django.dispatch import Signal

# Sent inside the ingest transaction, before facts that vanished from a re-ingested file are
# deleted. Keyword argument: fact_ids (a list of Fact primary keys).
facts_removed = Signal()

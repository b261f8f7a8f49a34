"""Signals the notes app sends; the questions app listens without notes importing it."""

from django.dispatch import Signal

# Sent inside the ingest transaction, before facts that vanished from a re-ingested file are
# deleted. Keyword argument: fact_ids (a list of Fact primary keys).
facts_removed = Signal()

# Sent after an instructor rules on facts (a conflict verdict, a new or changed erratum), once
# the statuses are recomputed. Keyword argument: subjects (service short names whose facts
# changed), so the questions about them can be regenerated.
facts_ruled_on = Signal()

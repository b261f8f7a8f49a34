from notes.signals import facts_removed
from questions.services import questions_mark_stale


def on_facts_removed(sender, *, fact_ids, **kwargs) -> None:
    questions_mark_stale(fact_ids=fact_ids)


def connect() -> None:
    facts_removed.connect(on_facts_removed, dispatch_uid="questions.on_facts_removed")

from notes.signals import facts_removed, facts_ruled_on
from questions.services import bank_generate, questions_mark_stale


def on_facts_removed(sender, *, fact_ids, **kwargs) -> None:
    questions_mark_stale(fact_ids=fact_ids)


def on_facts_ruled_on(sender, *, subjects, **kwargs) -> None:
    """An instructor's verdict or erratum changes which facts may key questions: regenerate the
    questions about those services (new ones publish, vanished ones go stale)."""
    for subject in subjects:
        bank_generate(service=subject)


def connect() -> None:
    facts_removed.connect(on_facts_removed, dispatch_uid="questions.on_facts_removed")
    facts_ruled_on.connect(on_facts_ruled_on, dispatch_uid="questions.on_facts_ruled_on")

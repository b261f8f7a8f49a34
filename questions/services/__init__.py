"""Writes: the question bank (admin, importer and generator all come here) and exam attempts."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.text import Truncator

from notes.models import Certification, Domain, Fact, Service, TaskStatement
from questions.bank import (
    BankChoice,
    BankEntry,
    BankFormatError,
    BankSource,
    entry_to_dict,
    parse_entry,
)
from questions.bank_export import bank_entries_for, generation_inputs
from questions.generation import DEFAULT_SEED, generate
from questions.models import (
    Attempt,
    AttemptQuestion,
    Choice,
    ChoiceSpec,
    Question,
    QuestionRevision,
    validate_choice_set,
)
from questions.scoring import apportion, attempt_result, is_answer_correct
from questions.selectors import key_shown
from questions.tasks import item_statistics_refresh_task


@dataclass(frozen=True, slots=True)
class ChoiceData:
    """One choice as a caller wants it. `pk` names the stored choice it is (the admin's inline
    knows it); None is a new choice, or, for callers that match by position, any choice."""

    text: str
    is_correct: bool
    rationale: str
    pk: int | None = None


def choice_answer_counts(question: Question, choice_ids: Collection[int]) -> Counter[int]:
    """How many attempts chose each of `choice_ids`, one query over the question's answers
    (such a choice must not be deleted: the answers would lose their meaning)."""
    wanted = set(choice_ids)
    chosen: Counter[int] = Counter()
    for selected in (
        AttemptQuestion.objects.filter(question=question)
        .exclude(selected=[])
        .values_list("selected", flat=True)
    ):
        chosen.update(wanted.intersection(selected or []))
    return chosen


def _save_choices(*, question: Question, choices: Sequence[ChoiceData], by_id: bool) -> bool:
    """Store the question's choices as `choices` (in that order) and say whether the key (the
    set of correct choice ids, which answers are marked against) changed.

    By id, each choice with a `pk` updates that stored choice in place (text, flag, rationale,
    position) so learners' answers keep pointing at the option they chose; choices without one
    are created; stored choices not listed are deleted. By position, choice N updates the
    stored choice with the same text, else the one at position N (for callers that know no
    ids: bank import, generator, restoring a revision). Either way a choice some attempt
    selected is never deleted."""
    existing = list(Choice.objects.filter(question=question).order_by("position"))
    correct_before = {choice.pk for choice in existing if choice.is_correct}
    if by_id:
        by_pk = {choice.pk: choice for choice in existing}
        given = [data.pk for data in choices if data.pk is not None]
        kept_ids = set(given)
        if len(kept_ids) != len(given) or not kept_ids <= by_pk.keys():
            raise ValidationError("The choices sent are not this question's.", code="foreign")
        rows = [by_pk[data.pk] if data.pk is not None else None for data in choices]
        removed = [choice for choice in existing if choice.pk not in kept_ids]
    else:
        rows = _match_choices_without_ids(existing, choices)
        matched = {row.pk for row in rows if row is not None}
        removed = [choice for choice in existing if choice.pk not in matched]
    if removed:
        chosen = choice_answer_counts(question, [choice.pk for choice in removed])
        refused = [
            answered_choice_message(choice, chosen[choice.pk])
            for choice in removed
            if chosen[choice.pk]
        ]
        if refused:
            raise ValidationError(refused, code="choice_answered")
        Choice.objects.filter(pk__in=[choice.pk for choice in removed]).delete()
    # Positions are unique per question: park the choices that move above every position in
    # use first, so no intermediate state holds two choices at one position.
    moving = [row for position, row in enumerate(rows, start=1) if row and row.position != position]
    if moving:
        parked = max(len(choices), *(choice.position for choice in existing)) + 1
        for offset, row in enumerate(moving):
            row.position = parked + offset
        Choice.objects.bulk_update(moving, ["position"])
    kept, new = [], []
    for position, (row, data) in enumerate(zip(rows, choices, strict=True), start=1):
        choice = row or Choice(question=question)
        choice.position, choice.text = position, data.text
        choice.is_correct, choice.rationale = data.is_correct, data.rationale
        # Positions are unique by construction and the question is this one: no queries needed.
        choice.full_clean(exclude=["question"], validate_unique=False, validate_constraints=False)
        (kept if row else new).append(choice)
    if kept:
        Choice.objects.bulk_update(kept, ["position", "text", "is_correct", "rationale"])
    if new:
        Choice.objects.bulk_create(new)
    correct_after = {choice.pk for choice in [*kept, *new] if choice.is_correct}
    getattr(question, "_prefetched_objects_cache", {}).pop("choices", None)
    return bool(existing) and correct_after != correct_before


def _match_choices_without_ids(
    existing: Sequence[Choice], choices: Sequence[ChoiceData]
) -> list[Choice | None]:
    """The stored choice each new choice updates, when the caller knows no ids: the one with
    the same text (so restoring a revision after a choice was deleted, or importing a file
    with options reordered, keeps each option on its own id), else the one at its position."""
    rows: list[Choice | None] = [None] * len(choices)
    used: set[int] = set()
    by_text: dict[str, Choice] = {}
    for choice in existing:
        by_text.setdefault(choice.text, choice)
    for index, data in enumerate(choices):
        match = by_text.get(data.text)
        if match is not None and match.pk not in used:
            rows[index] = match
            used.add(match.pk)
    free_by_position = {choice.position: choice for choice in existing if choice.pk not in used}
    for index in range(len(choices)):
        if rows[index] is None:
            rows[index] = free_by_position.pop(index + 1, None)
    return rows


def answered_choice_message(choice: Choice, attempts: int) -> str:
    return (
        f"Choice {choice.position} (“{_shorten(choice.text)}”) cannot be deleted: learners "
        f"chose it in {attempts} attempt(s). Keep it (reword it if needed), or retire the "
        "question and write a new one."
    )


def _shorten(text: str, limit: int = 60) -> str:
    return Truncator(" ".join(text.split())).chars(limit)


def _save_with_choices(
    *,
    question: Question,
    choices: Sequence[ChoiceData],
    services: Iterable[Service] | None,
    source_facts: Iterable[Fact] | None,
    choices_by_id: bool = False,
) -> Question:
    """Validate and save a question with its choices and links. Sets `question.key_changed`:
    whether an existing question's correct choices changed, in which case its item statistics
    are refreshed on commit (submitted attempts were marked against the old key)."""
    question.full_clean()
    validate_choice_set(
        kind=question.kind,
        select_count=question.select_count,
        choices=[ChoiceSpec(c.text, c.is_correct) for c in choices],
    )
    question.save()
    question.key_changed = _save_choices(
        question=question,
        choices=choices,
        by_id=choices_by_id or any(c.pk is not None for c in choices),
    )
    if question.key_changed:
        question_ids = [question.pk]
        transaction.on_commit(
            lambda: item_statistics_refresh_task.enqueue(question_ids=question_ids)
        )
    if services is not None:
        _set_in_order(question, Question.services, "service", services)
    if source_facts is not None:
        _set_in_order(question, Question.source_facts, "fact", source_facts)
    return question


def _set_in_order(question: Question, relation, target: str, rows: Iterable) -> None:
    """Replace a question's links keeping the given order (the answer's service and the keyed
    fact come first; the bank and the quality gates rely on it). Django's .set() does not."""
    rows = list(dict.fromkeys(rows))
    through = relation.through
    current = list(
        through.objects.filter(question=question)
        .order_by("pk")
        .values_list(f"{target}_id", flat=True)
    )
    if current == [row.pk for row in rows]:
        return
    through.objects.filter(question=question).delete()
    through.objects.bulk_create([through(question=question, **{target: row}) for row in rows])


# --- Edit history -------------------------------------------------------------------------------

_REVISION_SUMMARY_MAX = 500
_SCALAR_LABELS = {
    "key": "key",
    "certification": "certification",
    "domain": "domain",
    "task_statement": "task statement",
    "kind": "kind",
    "select": "choose",
    "status": "status",
    "origin": "origin",
    "template": "template",
}


def question_snapshot(question: Question) -> dict[str, Any]:
    """The question as stored, in the bank's YAML entry form (what a revision keeps)."""
    return entry_to_dict(bank_entries_for([question])[0])


def _snapshots(questions: Sequence[Question]) -> dict[int, dict[str, Any]]:
    """Snapshots of many questions in a few queries, by question id."""
    ids_by_key = {question.key: question.pk for question in questions}
    by_key = {entry.key: entry_to_dict(entry) for entry in bank_entries_for(questions)}
    return {ids_by_key[key]: snapshot for key, snapshot in by_key.items() if key in ids_by_key}


def revision_summary(before: dict[str, Any], after: dict[str, Any]) -> str:
    """What changed between two snapshots, in words: "status draft → published; choice 2
    marked correct; stem edited"."""
    changes: list[str] = []
    for name, label in _SCALAR_LABELS.items():
        old, new = before.get(name), after.get(name)
        if old != new:
            changes.append(
                f"{label} {old if old not in (None, '') else 'none'} → "
                f"{new if new not in (None, '') else 'none'}"
            )
    for name in ("stem", "explanation"):
        if before.get(name) != after.get(name):
            changes.append(f"{name} edited")
    old_choices, new_choices = before.get("choices", []), after.get("choices", [])
    for position in range(1, max(len(old_choices), len(new_choices)) + 1):
        if position > len(old_choices):
            changes.append(f"choice {position} added")
            continue
        if position > len(new_choices):
            changes.append(f"choice {position} removed")
            continue
        old, new = old_choices[position - 1], new_choices[position - 1]
        if old.get("correct") != new.get("correct"):
            changes.append(
                f"choice {position} marked {'correct' if new.get('correct') else 'wrong'}"
            )
        if old.get("text") != new.get("text"):
            changes.append(f"choice {position} text edited")
        if old.get("rationale") != new.get("rationale"):
            changes.append(f"choice {position} rationale edited")
    if before.get("services", []) != after.get("services", []):
        old = ", ".join(before.get("services", [])) or "none"
        new = ", ".join(after.get("services", [])) or "none"
        changes.append(f"services {old} → {new}")
    if before.get("sources", []) != after.get("sources", []):
        changes.append("source facts changed")
    summary = "; ".join(changes)
    if len(summary) > _REVISION_SUMMARY_MAX:
        summary = summary[: _REVISION_SUMMARY_MAX - 1] + "…"
    return summary


@dataclass(frozen=True, slots=True)
class _Change:
    question: Question
    before: dict[str, Any] | None  # None for a new question
    after: dict[str, Any]


def _revisions_record(
    *, changes: Sequence[_Change], source: str, changed_by, summary_prefix: str = ""
) -> list[QuestionRevision]:
    """Record each changed question as it now stands, in a fixed number of queries however
    many there are. A question changed for the first time without any history first gets its
    prior state as a baseline revision, so the change can be undone."""
    changes = [change for change in changes if change.before != change.after]
    if not changes:
        return []
    ids = [change.question.pk for change in changes]
    # Two editors saving at once must not both take the next number: lock the questions' rows.
    list(Question.objects.select_for_update().filter(pk__in=ids).values_list("pk"))
    last_numbers = dict(
        QuestionRevision.objects.filter(question_id__in=ids)
        .values("question")
        .annotate(last=Max("number"))
        .values_list("question", "last")
    )
    revisions = []
    for change in changes:
        last = last_numbers.get(change.question.pk, 0)
        if not last and change.before is not None:
            last = 1
            revisions.append(
                QuestionRevision(
                    question=change.question,
                    number=1,
                    snapshot=change.before,
                    source=QuestionRevision.Source.BASELINE,
                    summary="As it was before the first recorded change.",
                    changed_by=None,
                )
            )
        summary = (
            "question created"
            if change.before is None
            else revision_summary(change.before, change.after)
        )
        if summary_prefix:
            summary = f"{summary_prefix}: {summary}" if summary else summary_prefix
        revisions.append(
            QuestionRevision(
                question=change.question,
                number=last + 1,
                snapshot=change.after,
                source=source,
                summary=summary[:_REVISION_SUMMARY_MAX],
                changed_by=changed_by,
            )
        )
    for revision in revisions:
        # The question and user are in hand and the numbers were taken under the lock above:
        # skip the per-row existence and uniqueness queries.
        revision.full_clean(
            exclude=["question", "changed_by"], validate_unique=False, validate_constraints=False
        )
    return QuestionRevision.objects.bulk_create(revisions)


def _revision_record(
    *,
    question: Question,
    before: dict[str, Any] | None,
    source: str,
    changed_by,
    after: dict[str, Any] | None = None,
    summary_prefix: str = "",
) -> QuestionRevision | None:
    """Record one question as it now stands, unless nothing changed (see `_revisions_record`).
    `before` is None for a new question."""
    after = question_snapshot(question) if after is None else after
    recorded = _revisions_record(
        changes=[_Change(question, before, after)],
        source=source,
        changed_by=changed_by,
        summary_prefix=summary_prefix,
    )
    return recorded[-1] if recorded else None


@transaction.atomic
def question_create(
    *,
    choices: Sequence[ChoiceData],
    services: Iterable[Service] = (),
    source_facts: Iterable[Fact] = (),
    changed_by=None,
    change_source: str = QuestionRevision.Source.ADMIN,
    **fields: Any,
) -> Question:
    """Create a question with its choices; `fields` are Question model fields. The new question
    starts its edit history with one revision (who created it, and how)."""
    question = _save_with_choices(
        question=Question(**fields), choices=choices, services=services, source_facts=source_facts
    )
    _revision_record(question=question, before=None, source=change_source, changed_by=changed_by)
    return question


@transaction.atomic
def question_update(
    *,
    question: Question,
    choices: Sequence[ChoiceData] | None = None,
    choices_by_id: bool = False,
    services: Iterable[Service] | None = None,
    source_facts: Iterable[Fact] | None = None,
    changed_by=None,
    change_source: str = QuestionRevision.Source.ADMIN,
    **fields: Any,
) -> Question:
    """Change a question's fields and, when given, its choices, services and source facts.
    A change (not a save that changes nothing) is recorded as a revision.

    Choices are matched to the stored ones by id when any carries a `pk` or `choices_by_id` is
    set (then a choice without a pk is new), else by position. Deleting a choice that learners
    chose raises ValidationError, changing nothing. The returned question's `key_changed` says
    whether its correct choices changed (its statistics are then refreshed on commit)."""
    before = question_snapshot(question)
    for name, value in fields.items():
        setattr(question, name, value)
    if choices is None:
        choices = [
            ChoiceData(c.text, c.is_correct, c.rationale, pk=c.pk)
            for c in Choice.objects.filter(question=question).order_by("position")
        ]
    _save_with_choices(
        question=question,
        choices=choices,
        choices_by_id=choices_by_id,
        services=services,
        source_facts=source_facts,
    )
    _revision_record(question=question, before=before, source=change_source, changed_by=changed_by)
    return question


@transaction.atomic
def question_revision_restore(*, revision: QuestionRevision, restored_by) -> Question:
    """Put a question back as it was in `revision`: fields, choices, services and source facts.
    Recorded as a RESTORE revision; `key_changed` on the result as for `question_update`.

    A revision keeps no choice ids, so each of its choices goes back onto the stored choice
    with the same text, else the one at its position (keeping that id); a choice deleted since
    comes back as a new row, and stored choices the revision lacks are deleted (refused if
    learners chose them). So undoing a deletion or a reorder keeps learners' answers on the
    options they chose; only an option whose text was also edited since falls back to its
    position.
    Raises ValidationError, changing nothing, if that version no longer validates (e.g. its
    domain or a service was removed)."""
    question = Question.objects.select_for_update().get(pk=revision.question_id)
    try:
        entry = parse_entry(revision.snapshot)
    except BankFormatError as exc:
        raise ValidationError(f"Revision {revision.number} cannot be read: {exc}") from exc
    report = BankImportReport()
    resolved = _resolve_bank_entries([entry], report)
    if report.errors:
        raise ValidationError(
            [f"Revision {revision.number} cannot be restored: {e}" for e in report.errors]
        )
    item = resolved[0]
    before = question_snapshot(question)
    for name, value in item.fields.items():
        setattr(question, name, value)
    _save_with_choices(
        question=question,
        choices=item.choices,
        services=item.services,
        source_facts=item.facts,
    )
    _revision_record(
        question=question,
        before=before,
        source=QuestionRevision.Source.RESTORE,
        changed_by=restored_by,
        summary_prefix=f"restored revision {revision.number}",
    )
    return question


# --- Bulk curation ------------------------------------------------------------------------------


@dataclass
class BulkResult:
    """Keys of the questions a bulk action changed, found already so, or refused (with why)."""

    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def _bulk_apply(*, questions: Iterable[Question], change, changed_by) -> BulkResult:
    """Apply `change(question) -> list of changed field names` to each question (it raises
    ValidationError to refuse one: that question keeps its state, the others go ahead), save
    the changed ones together and record a BULK revision for each. A fixed number of queries
    however many questions: the changes are checked in memory, then written in bulk."""
    result = BulkResult()
    ids = (
        list(questions.values_list("pk", flat=True))
        if isinstance(questions, QuerySet)
        else [question.pk for question in questions]
    )
    rows = list(
        Question.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("certification", "domain__certification", "task_statement")
        .prefetch_related("choices")
        .order_by("key")
    )
    befores = _snapshots(rows)
    changed: list[Question] = []
    changed_fields: set[str] = set()
    now = timezone.now()
    for question in rows:
        try:
            fields = change(question)
            if not fields:
                result.unchanged.append(question.key)
                continue
            # Related rows are loaded (or were validated by the caller) and the key is not
            # touched: skip per-row existence and uniqueness queries. The kind/choose rule of
            # the check constraint is in Question.clean.
            question.full_clean(
                exclude=["certification", "domain", "task_statement"],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            result.refused.append(f"{question.key}: {' '.join(exc.messages)}")
            continue
        question.updated_at = now
        changed_fields.update(fields)
        changed.append(question)
    if not changed:
        return result
    Question.objects.bulk_update(changed, [*sorted(changed_fields), "updated_at"])
    afters = _snapshots(changed)
    _revisions_record(
        changes=[_Change(q, befores[q.pk], afters[q.pk]) for q in changed],
        source=QuestionRevision.Source.BULK,
        changed_by=changed_by,
    )
    result.changed = [question.key for question in changed]
    return result


@transaction.atomic
def questions_set_status(*, questions: Iterable[Question], status: str, changed_by) -> BulkResult:
    """Publish, retire or send back to draft many questions. Publishing checks each question
    whole (fields and choice set) and refuses the invalid ones; the rest are published."""
    if status not in Question.Status.values:
        raise ValidationError(f"Unknown status {status!r}.")

    def change(question: Question) -> list[str]:
        if question.status == status:
            return []
        if status == Question.Status.PUBLISHED:
            question.validate_choices()
        question.status = status
        return ["status"]

    return _bulk_apply(questions=questions, change=change, changed_by=changed_by)


@transaction.atomic
def questions_move(
    *,
    questions: Iterable[Question],
    domain: Domain,
    task_statement: TaskStatement | None = None,
    changed_by,
) -> BulkResult:
    """Move questions to another domain (and task statement, or none) of their certification.
    A question of another certification is refused, by key; the others move."""
    if task_statement is not None and task_statement.domain_id != domain.pk:
        raise ValidationError(
            f"Task statement {task_statement.code} is not in domain {domain.number}."
        )

    def change(question: Question) -> list[str]:
        if question.certification_id != domain.certification_id:
            raise ValidationError(
                f"it is a {question.certification.code} question; domain {domain.number} "
                f"belongs to {domain.certification.code}."
            )
        if question.domain_id == domain.pk and question.task_statement_id == (
            task_statement.pk if task_statement else None
        ):
            return []
        question.domain, question.task_statement = domain, task_statement
        return ["domain", "task_statement"]

    return _bulk_apply(questions=questions, change=change, changed_by=changed_by)


INSTRUCTORS_GROUP = "Instructors"
# What instructors curate: the bank and the knowledge under it. Never users or attempts.
INSTRUCTOR_MODEL_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "notes.domain": ("view", "change"),
    "notes.taskstatement": ("view", "add", "change"),
    "notes.service": ("view", "add", "change"),
    "notes.fact": ("view", "change"),
    "notes.facttag": ("view", "add", "change", "delete"),
    "notes.section": ("view",),
    "notes.notesource": ("view",),
    "notes.certification": ("view",),
    # No delete: it bypasses the services and the history and cascades to reports and
    # statistics. Retiring is how a question leaves the bank.
    "questions.question": ("view", "add", "change"),
    "questions.choice": ("view", "add", "change", "delete"),
    "questions.questionrevision": ("view",),
    "questions.questionreport": ("view", "change"),
    "questions.itemstatistic": ("view",),
    "questions.noteupload": ("view", "add"),
}


@transaction.atomic
def instructor_group_ensure() -> Group:
    """Create the Instructors group or reset it to exactly its intended permissions."""
    group, _ = Group.objects.get_or_create(name=INSTRUCTORS_GROUP)
    permissions = []
    for label, actions in INSTRUCTOR_MODEL_PERMISSIONS.items():
        app_label, model = label.split(".")
        for action in actions:
            permissions.append(
                Permission.objects.get(
                    content_type__app_label=app_label, codename=f"{action}_{model}"
                )
            )
    group.permissions.set(permissions)
    return group


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    password: str
    role: str


DEMO_ACCOUNTS = (
    DemoAccount("learner", "learner-demo-pass", "learner"),
    DemoAccount("instructor", "instructor-demo-pass", "instructor"),
)


@transaction.atomic
def demo_users_ensure() -> tuple[DemoAccount, ...]:
    """Create (or reset the passwords of) the demo learner and instructor. Development only."""
    if not settings.DEBUG:
        raise ImproperlyConfigured("Demo accounts are for development only (DEBUG is off).")
    user_model = get_user_model()
    instructors = instructor_group_ensure()
    for account in DEMO_ACCOUNTS:
        user, _ = user_model.objects.get_or_create(username=account.username)
        user.email = f"{account.username}@example.com"
        user.is_staff = account.role == "instructor"
        user.set_password(account.password)
        user.full_clean()
        user.save()
        if account.role == "instructor":
            user.groups.add(instructors)
    return DEMO_ACCOUNTS


def _questions_stale_recorded(questions: QuerySet[Question]) -> int:
    """Mark these questions stale (retired and stale ones stay as they are) and record each
    change as a GENERATOR revision, in a fixed number of queries however many there are."""
    rows = list(
        Question.objects.select_for_update(of=("self",))
        .filter(pk__in=questions.values("pk"))
        .exclude(status__in=[Question.Status.RETIRED, Question.Status.STALE])
    )
    if not rows:
        return 0
    befores = _snapshots(rows)
    Question.objects.filter(pk__in=[q.pk for q in rows]).update(
        status=Question.Status.STALE, updated_at=timezone.now()
    )
    # Only the status changed: no need to read every question back for its new snapshot.
    afters = {
        pk: {**before, "status": Question.Status.STALE.value} for pk, before in befores.items()
    }
    _revisions_record(
        changes=[_Change(q, befores[q.pk], afters[q.pk]) for q in rows],
        source=QuestionRevision.Source.GENERATOR,
        changed_by=None,
    )
    return len(rows)


@transaction.atomic
def questions_mark_stale(*, fact_ids: Sequence[int]) -> int:
    """Questions built on facts that no longer exist need review: mark them stale, keep them
    (learners' attempts still point at them), and record it in their history. Retired
    questions stay retired."""
    return _questions_stale_recorded(Question.objects.filter(source_facts__in=fact_ids))


# --- Exam attempts -----------------------------------------------------------------------------


class AttemptClosed(Exception):
    """The attempt no longer takes answers (submitted, or its deadline passed)."""


class AttemptExpired(AttemptClosed):
    """The deadline passed: the attempt was submitted automatically, the answer not stored."""


class NotEnoughQuestions(Exception):
    pass


def _seen_question_ids(*, learner) -> set[int]:
    return set(
        AttemptQuestion.objects.filter(attempt__learner=learner).values_list(
            "question_id", flat=True
        )
    )


def _draw(ids: list[int], count: int, *, seen: set[int], rng: random.Random) -> list[int]:
    """`count` ids, unseen ones first, random within each group."""
    unseen = [i for i in ids if i not in seen]
    seen_ids = [i for i in ids if i in seen]
    rng.shuffle(unseen)
    rng.shuffle(seen_ids)
    return (unseen + seen_ids)[:count]


def _create_items(*, attempt: Attempt, question_ids: list[int], rng: random.Random) -> None:
    choice_ids: dict[int, list[int]] = defaultdict(list)
    for question_id, choice_id in Choice.objects.filter(question_id__in=question_ids).values_list(
        "question_id", "pk"
    ):
        choice_ids[question_id].append(choice_id)
    items = []
    for position, question_id in enumerate(question_ids, start=1):
        order = sorted(choice_ids[question_id])
        rng.shuffle(order)
        items.append(
            AttemptQuestion(
                attempt=attempt, question_id=question_id, position=position, choice_order=order
            )
        )
    AttemptQuestion.objects.bulk_create(items)
    attempt.question_count = len(items)
    attempt.save(update_fields=["question_count"])


def _new_attempt(
    *,
    learner,
    certification: Certification,
    mode: str,
    minutes: int | None,
    extra_minutes: int,
    instant_feedback: bool,
) -> Attempt:
    now = timezone.now()
    deadline = now + timedelta(minutes=minutes + extra_minutes) if minutes else None
    attempt = Attempt(
        learner=learner,
        certification=certification,
        mode=mode,
        started_at=now,
        deadline=deadline,
        extra_minutes=extra_minutes if minutes else 0,
        instant_feedback=instant_feedback,
    )
    attempt.full_clean()
    attempt.save()
    return attempt


@transaction.atomic
def attempt_start_mock(
    *,
    learner,
    certification: Certification,
    extra_minutes: int = 0,
    timed: bool = True,
    seed: int | None = None,
) -> Attempt:
    """A full mock exam: the blueprint's question count split across domains by weight."""
    rng = random.Random(seed)
    domains = list(certification.domains.all())
    quota = apportion(certification.question_count, {d.pk: d.weight for d in domains})
    seen = _seen_question_ids(learner=learner)
    chosen: list[int] = []
    for domain in domains:
        ids = list(Question.objects.published().filter(domain=domain).values_list("pk", flat=True))
        if len(ids) < quota[domain.pk]:
            raise NotEnoughQuestions(
                f"{certification.code} domain {domain.number} has {len(ids)} published "
                f"questions; a full mock needs {quota[domain.pk]}."
            )
        chosen += _draw(ids, quota[domain.pk], seen=seen, rng=rng)
    rng.shuffle(chosen)
    attempt = _new_attempt(
        learner=learner,
        certification=certification,
        mode=Attempt.Mode.MOCK,
        minutes=certification.minutes if timed else None,
        extra_minutes=extra_minutes,
        instant_feedback=False,
    )
    _create_items(attempt=attempt, question_ids=chosen, rng=rng)
    return attempt


@transaction.atomic
def attempt_start_practice(
    *,
    learner,
    certification: Certification,
    domains: Sequence[Domain] = (),
    question_count: int = 10,
    minutes: int | None = None,
    instant_feedback: bool = True,
    question_ids: Sequence[int] | None = None,
    seed: int | None = None,
) -> Attempt:
    """A practice set from chosen domains (weighted like the blueprint), or from given questions
    (e.g. "retry my wrong answers")."""
    rng = random.Random(seed)
    published = Question.objects.published().filter(certification=certification)
    if question_ids is not None:
        chosen = list(published.filter(pk__in=question_ids).values_list("pk", flat=True))
        rng.shuffle(chosen)
    else:
        domains = list(domains) or list(certification.domains.all())
        quota = apportion(question_count, {d.pk: d.weight for d in domains})
        seen = _seen_question_ids(learner=learner)
        chosen = []
        for domain in domains:
            ids = list(published.filter(domain=domain).values_list("pk", flat=True))
            chosen += _draw(ids, quota[domain.pk], seen=seen, rng=rng)
        rng.shuffle(chosen)
    if not chosen:
        raise NotEnoughQuestions("No published questions match this practice set.")
    attempt = _new_attempt(
        learner=learner,
        certification=certification,
        mode=Attempt.Mode.PRACTICE,
        minutes=minutes,
        extra_minutes=0,
        instant_feedback=instant_feedback,
    )
    if domains and question_ids is None:
        attempt.domains.set(domains)
    _create_items(attempt=attempt, question_ids=chosen, rng=rng)
    return attempt


def _ensure_open(attempt: Attempt, *, now) -> None:
    if attempt.status != Attempt.Status.IN_PROGRESS:
        raise AttemptClosed("This attempt has been submitted; answers can no longer change.")
    if attempt.deadline and now >= attempt.deadline:
        raise AttemptExpired(
            "Time is up: the exam was submitted automatically at its deadline. "
            "This answer was not saved."
        )


def _submitting_when_expired(change):
    """Run a change to an attempt in its own transaction; when the deadline has passed, the
    change is rolled back and the attempt is submitted in a second transaction that commits."""

    def wrapper(*, attempt: Attempt, now=None, **kwargs):
        now = now or timezone.now()
        try:
            return change(attempt=attempt, now=now, **kwargs)
        except AttemptExpired:
            attempt_submit(attempt=attempt, auto=True, now=now)
            raise

    wrapper.__doc__ = change.__doc__
    wrapper.__name__ = change.__name__
    return wrapper


def _store_answer(
    *, attempt: Attempt, item: AttemptQuestion, choice_ids: Sequence[int], now
) -> None:
    """Check and save one answer (shared by answering and by flagging without JavaScript)."""
    chosen = list(dict.fromkeys(int(c) for c in choice_ids))
    select_count = item.question.select_count
    if key_shown(attempt, selected=item.selected, select_count=select_count):
        # The key is on screen: the answer it judged stays. Re-posting it, or posting nothing
        # (its inputs are disabled, so a plain form sends none), changes nothing.
        if not chosen or set(chosen) == set(item.selected):
            return
        raise ValidationError(
            "This answer has been checked and its feedback shown: it can no longer be changed.",
            code="locked",
        )
    if not set(chosen) <= set(item.choice_order):
        raise ValidationError("That option does not belong to this question.", code="choice")
    if item.question.kind == Question.Kind.SINGLE and len(chosen) > 1:
        raise ValidationError("Choose one option.", code="count")
    if len(chosen) > select_count:
        raise ValidationError(f"Choose {select_count} options, not {len(chosen)}.", code="count")
    item.selected = chosen
    item.answered_at = now if chosen else None
    item.save(update_fields=["selected", "answered_at"])
    attempt.current_position = item.position
    attempt.save(update_fields=["current_position"])


@_submitting_when_expired
@transaction.atomic
def attempt_answer(
    *, attempt: Attempt, position: int, choice_ids: Sequence[int], now=None
) -> AttemptQuestion:
    """Store the learner's choice for one question the moment it is made."""
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    _ensure_open(attempt, now=now)
    item = attempt.items.select_related("question").get(position=position)
    _store_answer(attempt=attempt, item=item, choice_ids=choice_ids, now=now)
    return item


@_submitting_when_expired
@transaction.atomic
def attempt_flag(
    *,
    attempt: Attempt,
    position: int,
    flagged: bool,
    choice_ids: Sequence[int] | None = None,
    now=None,
) -> AttemptQuestion:
    """Mark a question for review (or unmark it). Without JavaScript the flag button submits
    the whole question form: `choice_ids` is then the answer on screen, saved with the flag so
    an unsaved tick is not lost."""
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    _ensure_open(attempt, now=now)
    item = attempt.items.select_related("question").get(position=position)
    if choice_ids is not None:
        _store_answer(attempt=attempt, item=item, choice_ids=choice_ids, now=now)
    item.flagged = flagged
    item.save(update_fields=["flagged"])
    return item


@transaction.atomic
def attempt_submit(*, attempt: Attempt, auto: bool = False, now=None) -> Attempt:
    """Score every question (unanswered is wrong, multiple response all-or-nothing) and close."""
    now = now or timezone.now()
    attempt = Attempt.objects.select_for_update().select_related("certification").get(pk=attempt.pk)
    if attempt.status == Attempt.Status.SUBMITTED:
        return attempt
    items = list(attempt.items.all())
    correct_by_question: dict[int, set[int]] = defaultdict(set)
    for question_id, choice_id in Choice.objects.filter(
        question_id__in=[i.question_id for i in items], is_correct=True
    ).values_list("question_id", "pk"):
        correct_by_question[question_id].add(choice_id)
    for item in items:
        item.is_correct = is_answer_correct(
            selected=item.selected, correct=correct_by_question[item.question_id]
        )
    AttemptQuestion.objects.bulk_update(items, ["is_correct"])
    certification = attempt.certification
    attempt.correct_count = sum(item.is_correct for item in items)
    attempt.percent, attempt.scaled_score, attempt.passed = attempt_result(
        correct_count=attempt.correct_count,
        question_count=len(items),
        score_min=certification.score_min,
        score_max=certification.score_max,
        passing_score=certification.passing_score,
    )
    attempt.status = Attempt.Status.SUBMITTED
    # An auto-submitted attempt ends at its deadline, however late the request that noticed.
    attempt.submitted_at = min(now, attempt.deadline) if auto and attempt.deadline else now
    attempt.auto_submitted = auto
    attempt.full_clean()
    attempt.save()
    # Only the items of this attempt gain an answer: refresh their statistics in the background.
    question_ids = [item.question_id for item in items]
    transaction.on_commit(lambda: item_statistics_refresh_task.enqueue(question_ids=question_ids))
    return attempt


def attempts_close_expired(*, now=None) -> int:
    """Submit every attempt whose deadline has passed (run by `close_expired_attempts`)."""
    now = now or timezone.now()
    closed = 0
    for attempt in Attempt.objects.expired(now).only("pk"):
        attempt_submit(attempt=attempt, auto=True, now=now)
        closed += 1
    return closed


# --- Question bank import ----------------------------------------------------------------------


@dataclass
class BankImportReport:
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: bool = False


@dataclass(frozen=True, slots=True)
class _ResolvedEntry:
    entry: BankEntry
    fields: dict[str, Any]
    choices: list[ChoiceData]
    services: list[Service]
    facts: list[Fact]


def _resolve_bank_entries(
    entries: Sequence[BankEntry], report: BankImportReport
) -> list[_ResolvedEntry]:
    certifications = {c.code: c for c in Certification.objects.all()}
    domains = {
        (d.certification.code, d.number): d for d in Domain.objects.select_related("certification")
    }
    statements = {
        (t.domain.certification.code, t.code): t
        for t in TaskStatement.objects.select_related("domain__certification")
    }
    services = {s.short_name: s for s in Service.objects.all()}
    hashes = {source.fact for entry in entries for source in entry.sources}
    facts = {f.content_hash: f for f in Fact.objects.filter(content_hash__in=hashes)}
    resolved = []
    for entry in entries:
        problems = []
        certification = certifications.get(entry.certification)
        domain = domains.get((entry.certification, entry.domain))
        statement = statements.get((entry.certification, entry.task_statement))
        if certification is None:
            problems.append(f"unknown certification {entry.certification!r}")
        elif domain is None:
            problems.append(f"{entry.certification} has no domain {entry.domain}")
        if entry.task_statement and statement is None:
            problems.append(f"unknown task statement {entry.task_statement!r}")
        unknown_services = [s for s in entry.services if s not in services]
        if unknown_services:
            problems.append(f"unknown service(s): {', '.join(unknown_services)}")
        fields = {
            "key": entry.key,
            "certification": certification,
            "domain": domain,
            "task_statement": statement,
            "kind": entry.kind,
            "select_count": entry.select,
            "stem": entry.stem,
            "explanation": entry.explanation,
            "template": entry.template,
            "origin": entry.origin,
            "status": entry.status,
        }
        choices = [ChoiceData(c.text, c.correct, c.rationale) for c in entry.choices]
        if not problems:
            candidate = Question(**fields)
            try:
                # Related rows were just looked up: skip their per-row existence queries. The
                # key's uniqueness is decided by bank_import (new keys create, known ones update),
                # and Question.clean checks the kind/choose rule its one check constraint holds
                # (validating constraints would cost a query per entry).
                candidate.full_clean(
                    exclude=["certification", "domain", "task_statement"],
                    validate_unique=False,
                    validate_constraints=False,
                )
                validate_choice_set(
                    kind=entry.kind,
                    select_count=entry.select,
                    choices=[ChoiceSpec(c.text, c.is_correct) for c in choices],
                )
            except ValidationError as exc:
                problems.extend(exc.messages)
        if problems:
            report.errors.append(f"{entry.key}: {'; '.join(problems)}")
            continue
        missing = [s.fact[:12] for s in entry.sources if s.fact not in facts]
        if missing:
            report.warnings.append(
                f"{entry.key}: source fact(s) {', '.join(missing)} not ingested; "
                "run ingest_notes to link them"
            )
        resolved.append(
            _ResolvedEntry(
                entry=entry,
                fields=fields,
                choices=choices,
                services=[services[s] for s in entry.services],
                facts=[facts[s.fact] for s in entry.sources if s.fact in facts],
            )
        )
    return resolved


def _questions_bulk_create(items: Sequence[_ResolvedEntry]) -> list[Question]:
    """Create many new questions in a handful of queries. Each was validated whole (fields and
    choice set) by `_resolve_bank_entries`, and its key checked to be new, before this runs."""
    questions = [Question(**item.fields) for item in items]
    Question.objects.bulk_create(questions, batch_size=500)
    Choice.objects.bulk_create(
        [
            Choice(
                question=question,
                position=position,
                text=choice.text,
                is_correct=choice.is_correct,
                rationale=choice.rationale,
            )
            for question, item in zip(questions, items, strict=True)
            for position, choice in enumerate(item.choices, start=1)
        ],
        batch_size=1000,
    )
    for relation, target, related in (
        (Question.services, "service", lambda item: item.services),
        (Question.source_facts, "fact", lambda item: item.facts),
    ):
        relation.through.objects.bulk_create(
            [
                relation.through(question=question, **{target: row})
                for question, item in zip(questions, items, strict=True)
                for row in dict.fromkeys(related(item))
            ],
            batch_size=1000,
        )
    return questions


@transaction.atomic
def bank_import(
    *,
    entries: Sequence[BankEntry],
    dry_run: bool = False,
    changed_by=None,
    change_source: str = QuestionRevision.Source.IMPORT,
) -> BankImportReport:
    """Create or update questions from bank entries, matched by key. All or nothing: if any
    entry is invalid, nothing is written and every problem is reported with its key.

    Each changed question gets a revision (`change_source`, `changed_by`). New questions are
    bulk-created; when a person imports them (`changed_by`), each gets a "question created"
    revision, otherwise none (their first later change records their state as a baseline)."""
    report = BankImportReport()
    resolved = _resolve_bank_entries(entries, report)
    if report.errors:
        return report
    existing = {q.key: q for q in Question.objects.filter(key__in=[r.entry.key for r in resolved])}
    current = {e.key: e for e in bank_entries_for(list(existing.values()))}
    new = [item for item in resolved if item.entry.key not in existing]
    created = _questions_bulk_create(new)
    report.created = [item.entry.key for item in new]
    if changed_by is not None and created:
        # A person's import starts each new question's history (who added it, when); the
        # generator's and `make run`'s bulk loads do not, to stay fast.
        snapshots = _snapshots(created)
        _revisions_record(
            changes=[_Change(q, None, snapshots[q.pk]) for q in created],
            source=change_source,
            changed_by=changed_by,
        )
    for item in resolved:
        question = existing.get(item.entry.key)
        if question is None:
            continue
        if current[item.entry.key] == item.entry:
            report.unchanged.append(item.entry.key)
        else:
            fields = {k: v for k, v in item.fields.items() if k != "key"}
            try:
                with transaction.atomic():
                    question_update(
                        question=question,
                        choices=item.choices,
                        services=item.services,
                        source_facts=item.facts,
                        changed_by=changed_by,
                        change_source=change_source,
                        **fields,
                    )
            except ValidationError as exc:  # e.g. it drops a choice learners chose
                report.errors.append(f"{item.entry.key}: {' '.join(exc.messages)}")
                continue
            report.changed.append(item.entry.key)
    if report.errors:
        # All or nothing, as for invalid entries.
        report.created, report.changed, report.unchanged = [], [], []
        transaction.set_rollback(True)
        return report
    if dry_run:
        transaction.set_rollback(True)
    else:
        report.written = True
    return report


# --- Generation ---------------------------------------------------------------------------------


@dataclass
class GenerationReport:
    created: int = 0
    created_keys: list[str] = field(default_factory=list)
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    entries: list[BankEntry] = field(default_factory=list)


def draft_to_entry(draft, *, status: str, facts_by_hash: dict[str, Fact]) -> BankEntry:
    return BankEntry(
        key=draft.key,
        certification=draft.certification,
        domain=draft.domain,
        task_statement=draft.task_statement,
        services=tuple(draft.services),  # the answer's service first
        kind=draft.kind,
        select=draft.select,
        template=draft.template,
        origin=Question.Origin.GENERATED,
        status=status,
        stem=draft.stem,
        choices=tuple(BankChoice(c.text, c.correct, c.rationale) for c in draft.choices),
        explanation=draft.explanation,
        sources=tuple(
            BankSource(
                file=facts_by_hash[h].section.source.name,
                heading=facts_by_hash[h].section.heading,
                lines=(facts_by_hash[h].line_start, facts_by_hash[h].line_end),
                fact=h,
            )
            for h in draft.source_hashes  # the keyed fact first
            if h in facts_by_hash
        ),
    )


@transaction.atomic
def bank_generate(
    *,
    certification: str | None = None,
    service: str | None = None,
    seed: int | None = None,
    new_status: str = Question.Status.PUBLISHED,
    only_new: bool = False,
    dry_run: bool = False,
) -> GenerationReport:
    """Generate questions from the fact base and bring the bank in line with them.

    New questions get `new_status` (published, or draft for review after a notes upload); a
    regenerated question keeps its key (and so learners'
    history) and an instructor's draft/retired status; generated questions that are no longer
    produced become stale, never deleted. Authored questions are not touched.

    With `only_new`, only questions whose keys are not in the bank yet are created: existing
    questions are neither updated nor marked stale (a notes upload adds drafts for review and
    must not silently change what learners already see). They count as unchanged.
    """
    facts, services, blueprints = generation_inputs()
    result = generate(
        facts,
        services,
        blueprints=blueprints,
        seed=DEFAULT_SEED if seed is None else seed,
        certification=certification,
        service=service,
    )
    report = GenerationReport(rejected=dict(sorted(result.rejected.items())))
    hashes = {h for draft in result.questions for h in draft.source_hashes}
    facts_by_hash = {
        f.content_hash: f
        for f in Fact.objects.filter(content_hash__in=hashes).select_related("section__source")
    }
    existing_status = dict(
        Question.objects.filter(key__in=[d.key for d in result.questions]).values_list(
            "key", "status"
        )
    )
    keep = {Question.Status.DRAFT, Question.Status.RETIRED}
    entries = [
        draft_to_entry(
            draft,
            status=existing_status[draft.key]
            if existing_status.get(draft.key) in keep
            else new_status
            if draft.key not in existing_status
            else Question.Status.PUBLISHED,
            facts_by_hash=facts_by_hash,
        )
        for draft in result.questions
    ]
    to_import = (
        [entry for entry in entries if entry.key not in existing_status] if only_new else entries
    )
    imported = bank_import(entries=to_import, change_source=QuestionRevision.Source.GENERATOR)
    if imported.errors:
        raise ValidationError(imported.errors)
    report.created, report.updated = len(imported.created), len(imported.changed)
    report.created_keys = list(imported.created)
    report.unchanged = len(imported.unchanged) + len(entries) - len(to_import)
    report.entries = entries
    if not only_new:
        in_scope = Question.objects.filter(origin=Question.Origin.GENERATED)
        if certification:
            in_scope = in_scope.filter(certification__code=certification)
        if service:
            in_scope = in_scope.filter(services__short_name=service)
        report.stale = _questions_stale_recorded(in_scope.exclude(key__in=[e.key for e in entries]))
    if dry_run:
        transaction.set_rollback(True)
    return report


# --- Accounts -----------------------------------------------------------------------------------


@transaction.atomic
def learner_sign_up(*, username: str, email: str, password: str):
    """Create a learner account (no staff rights). The form has validated the password."""
    user = get_user_model()(username=username, email=email)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user

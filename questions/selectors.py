"""Reads that span models, for views and commands.

Everything an exam page shows goes through here. Pages for an attempt still in progress are built
from plain dataclasses that never carry the keyed answer, rationales or explanations, so a
template cannot leak them by accident; only instant-feedback practice items the learner has
already answered get a `Feedback` (and the answer review is for submitted attempts).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Avg, Count, OuterRef, Prefetch, Q, Subquery, Sum
from django.http import Http404
from django.utils import timezone

from notes.models import Certification, Domain, Section
from notes.rendering import render_markdown_safe
from questions.models import (
    Attempt,
    AttemptQuestion,
    Choice,
    ItemStatistic,
    Question,
    QuestionReport,
)
from questions.scoring import DEFAULT_PASSING_PERCENT, is_answer_correct

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
HISTORY_LENGTH = 10
PAST_ATTEMPTS_SHOWN = 50


def certification_list_with_blueprints() -> list[Certification]:
    """Every certification with its domains, task statements and published question count."""
    return list(
        Certification.objects.with_blueprint().annotate(
            published_questions=Count(
                "questions", filter=Q(questions__status=Question.Status.PUBLISHED)
            )
        )
    )


# --- Attempts ----------------------------------------------------------------------------------


def attempt_for_learner(user, attempt_id: int) -> Attempt:
    """The learner's own attempt (with its certification), or 404: another learner's attempt
    is indistinguishable from one that does not exist."""
    if not getattr(user, "is_authenticated", False):
        raise Http404("No such attempt.")
    try:
        return Attempt.objects.select_related("certification").get(pk=attempt_id, learner=user)
    except Attempt.DoesNotExist:
        raise Http404("No such attempt.") from None


def attempt_is_expired(attempt: Attempt, *, now: datetime | None = None) -> bool:
    """In progress with its deadline passed: the next GET submits it."""
    now = now or timezone.now()
    return (
        attempt.status == Attempt.Status.IN_PROGRESS
        and attempt.deadline is not None
        and now >= attempt.deadline
    )


def is_complete(selected: Sequence[int], select_count: int) -> bool:
    """Answered as the question asks: one option, or exactly `select_count` of them."""
    return len(selected) == select_count


def key_shown(attempt: Attempt, *, selected: Sequence[int] | None, select_count: int) -> bool:
    """May the learner see this item's key (and so report a problem with it)? Once the attempt
    is submitted; in instant-feedback practice, once the item is answered as it asks. The one
    rule for the answer review, the report form and the report service."""
    if attempt.status == Attempt.Status.SUBMITTED:
        return True
    return attempt.instant_feedback and is_complete(selected or [], select_count)


@dataclass(frozen=True, slots=True)
class NavCell:
    """One square of the question navigator."""

    position: int
    selected_count: int
    select_count: int
    flagged: bool
    current: bool = False

    @property
    def answered(self) -> bool:
        return self.selected_count == self.select_count

    @property
    def partial(self) -> bool:
        return 0 < self.selected_count < self.select_count


@dataclass(frozen=True, slots=True)
class Progress:
    answered: int
    total: int
    flagged: int

    @property
    def unanswered(self) -> int:
        return self.total - self.answered


@dataclass(frozen=True, slots=True)
class ItemForAnswer:
    """What validating an answer to one position needs (no key)."""

    position: int
    kind: str
    select_count: int
    choice_ids: tuple[int, ...]


def attempt_item_for_answer(attempt: Attempt, position: int) -> ItemForAnswer:
    row = (
        AttemptQuestion.objects.filter(attempt=attempt, position=position)
        .values_list("choice_order", "question__kind", "question__select_count")
        .first()
    )
    if row is None:
        raise Http404("No such question in this attempt.")
    choice_order, kind, select_count = row
    return ItemForAnswer(
        position=position, kind=kind, select_count=select_count, choice_ids=tuple(choice_order)
    )


def _nav_cells(attempt: Attempt, *, current: int | None = None) -> list[NavCell]:
    rows = (
        AttemptQuestion.objects.filter(attempt=attempt)
        .order_by("position")
        .values_list("position", "selected", "flagged", "question__select_count")
    )
    return [
        NavCell(
            position=position,
            selected_count=len(selected or []),
            select_count=select_count,
            flagged=flagged,
            current=position == current,
        )
        for position, selected, flagged, select_count in rows
    ]


def _progress(cells: Sequence[NavCell]) -> Progress:
    return Progress(
        answered=sum(cell.answered for cell in cells),
        total=len(cells),
        flagged=sum(cell.flagged for cell in cells),
    )


def attempt_progress(attempt: Attempt, *, position: int | None = None) -> tuple[Progress, NavCell]:
    """The attempt's progress and one navigator square (after an answer or a flag), in one
    query."""
    cells = _nav_cells(attempt, current=position)
    cell = next((c for c in cells if c.position == position), None)
    if cell is None:
        raise Http404("No such question in this attempt.")
    return _progress(cells), cell


@dataclass(frozen=True, slots=True)
class OptionView:
    id: int
    letter: str
    text: str
    selected: bool


@dataclass(frozen=True, slots=True)
class FeedbackOption:
    letter: str
    text: str
    selected: bool
    is_correct: bool
    rationale: str


@dataclass(frozen=True, slots=True)
class Feedback:
    """Shown under an instant-feedback practice question once it is answered."""

    correct: bool
    explanation: str
    options: list[FeedbackOption]

    @property
    def keyed_letters(self) -> list[str]:
        return [option.letter for option in self.options if option.is_correct]


@dataclass(frozen=True, slots=True)
class ExamPage:
    """One question of an attempt in progress, as the exam player shows it."""

    attempt: Attempt
    position: int
    total: int
    stem: str
    kind: str
    select_count: int
    options: list[OptionView]
    flagged: bool
    saved_count: int
    cells: list[NavCell]
    progress: Progress
    feedback: Feedback | None
    now: datetime

    @property
    def is_multiple(self) -> bool:
        return self.kind == Question.Kind.MULTIPLE

    @property
    def is_first(self) -> bool:
        return self.position == 1

    @property
    def is_last(self) -> bool:
        return self.position == self.total

    @property
    def answered(self) -> bool:
        return self.saved_count == self.select_count

    @property
    def cell(self) -> NavCell:
        return self.cells[self.position - 1]


def exam_page(
    attempt: Attempt,
    position: int,
    *,
    shown_selection: Sequence[int] | None = None,
    now: datetime | None = None,
) -> ExamPage:
    """The question at `position` in the attempt's order, its options in the attempt's order,
    and the navigator. Three queries whatever the exam's length. `shown_selection` overrides
    which options are shown ticked (a refused submission shows what the learner sent)."""
    now = now or timezone.now()
    rows = list(
        AttemptQuestion.objects.filter(attempt=attempt)
        .order_by("position")
        .values_list(
            "position", "selected", "flagged", "question__select_count", "question_id",
            "choice_order",
        )
    )  # fmt: skip
    cells = [
        NavCell(
            position=pos,
            selected_count=len(selected or []),
            select_count=select_count,
            flagged=flagged,
            current=pos == position,
        )
        for pos, selected, flagged, select_count, _, _ in rows
    ]
    current = next((row for row in rows if row[0] == position), None)
    if current is None:
        raise Http404("No such question in this attempt.")
    _, saved, flagged, select_count, question_id, choice_order = current
    saved = list(saved or [])
    feedback_due = attempt.instant_feedback and is_complete(saved, select_count)
    if feedback_due:
        question = Question.objects.only("stem", "kind", "select_count", "explanation").get(
            pk=question_id
        )
        choices = {
            c.pk: c
            for c in Choice.objects.filter(question_id=question_id).only(
                "text", "is_correct", "rationale"
            )
        }
    else:
        question = Question.objects.only("stem", "kind", "select_count").get(pk=question_id)
        choices = {c.pk: c for c in Choice.objects.filter(question_id=question_id).only("text")}
    shown = set(saved if shown_selection is None else shown_selection)
    ordered = [choices[pk] for pk in choice_order if pk in choices]
    options = [
        OptionView(id=c.pk, letter=LETTERS[i], text=c.text, selected=c.pk in shown)
        for i, c in enumerate(ordered)
    ]
    feedback = None
    if feedback_due:
        keyed = [c.pk for c in ordered if c.is_correct]
        feedback = Feedback(
            correct=is_answer_correct(selected=saved, correct=keyed),
            explanation=question.explanation,
            options=[
                FeedbackOption(
                    letter=LETTERS[i],
                    text=c.text,
                    selected=c.pk in saved,
                    is_correct=c.is_correct,
                    rationale=c.rationale,
                )
                for i, c in enumerate(ordered)
            ],
        )
    return ExamPage(
        attempt=attempt,
        position=position,
        total=len(cells),
        stem=question.stem,
        kind=question.kind,
        select_count=question.select_count,
        options=options,
        flagged=flagged,
        saved_count=len(saved),
        cells=cells,
        progress=_progress(cells),
        feedback=feedback,
        now=now,
    )


@dataclass(frozen=True, slots=True)
class ReviewEntry:
    position: int
    excerpt: str
    flagged: bool
    selected_count: int
    select_count: int

    @property
    def answered(self) -> bool:
        return self.selected_count == self.select_count


@dataclass(frozen=True, slots=True)
class ReviewScreen:
    """The review screen before submitting: what is answered, unanswered and flagged."""

    attempt: Attempt
    answered: list[ReviewEntry]
    unanswered: list[ReviewEntry]
    flagged: list[ReviewEntry]
    progress: Progress
    now: datetime


def _excerpt(markdown_text: str, length: int = 110) -> str:
    text = " ".join(markdown_text.replace("#", " ").replace("*", "").replace("`", "").split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def attempt_review_screen(attempt: Attempt, *, now: datetime | None = None) -> ReviewScreen:
    rows = (
        AttemptQuestion.objects.filter(attempt=attempt)
        .order_by("position")
        .values_list("position", "selected", "flagged", "question__select_count", "question__stem")
    )
    entries = [
        ReviewEntry(
            position=position,
            excerpt=_excerpt(stem),
            flagged=flagged,
            selected_count=len(selected or []),
            select_count=select_count,
        )
        for position, selected, flagged, select_count, stem in rows
    ]
    return ReviewScreen(
        attempt=attempt,
        answered=[e for e in entries if e.answered],
        unanswered=[e for e in entries if not e.answered],
        flagged=[e for e in entries if e.flagged],
        progress=Progress(
            answered=sum(e.answered for e in entries),
            total=len(entries),
            flagged=sum(e.flagged for e in entries),
        ),
        now=now or timezone.now(),
    )


# --- Dashboard ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttemptSummary:
    attempt: Attempt
    answered: int
    expired: bool


@dataclass(frozen=True, slots=True)
class Dashboard:
    certifications: list[Certification]
    in_progress: list[AttemptSummary]
    past: list[Attempt]
    more_past: bool


def certifications_for_practice() -> list[Certification]:
    """Certifications with their domains (each annotated with `published`, its published
    question count) and a `published_questions` total: two queries."""
    domains = Domain.objects.order_by("number").annotate(
        published=Count("questions", filter=Q(questions__status=Question.Status.PUBLISHED))
    )
    return list(
        Certification.objects.annotate(
            published_questions=Count(
                "questions", filter=Q(questions__status=Question.Status.PUBLISHED)
            )
        ).prefetch_related(Prefetch("domains", queryset=domains))
    )


def dashboard_for_learner(user, *, now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    running = list(
        Attempt.objects.for_learner(user)
        .in_progress()
        .select_related("certification")
        .annotate(answered=Count("items", filter=Q(items__answered_at__isnull=False)))
        .order_by("-started_at")
    )
    past = list(
        Attempt.objects.for_learner(user)
        .filter(status=Attempt.Status.SUBMITTED)
        .select_related("certification")
        .order_by("-submitted_at")[: PAST_ATTEMPTS_SHOWN + 1]
    )
    return Dashboard(
        certifications=certifications_for_practice(),
        in_progress=[
            AttemptSummary(attempt=a, answered=a.answered, expired=attempt_is_expired(a, now=now))
            for a in running
        ],
        past=past[:PAST_ATTEMPTS_SHOWN],
        more_past=len(past) > PAST_ATTEMPTS_SHOWN,
    )


# --- Score report ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BreakdownRow:
    key: str
    label: str
    correct: int
    total: int
    passing_percent: float = DEFAULT_PASSING_PERCENT

    @property
    def percent(self) -> float:
        return 100 * self.correct / self.total if self.total else 0.0

    @property
    def meets_passing(self) -> bool:
        return self.percent >= self.passing_percent


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    attempt_id: int
    submitted_at: datetime
    mode: str
    scaled_score: int
    percent: float
    passed: bool
    current: bool


@dataclass(frozen=True, slots=True)
class AttemptReport:
    attempt: Attempt
    certification: Certification
    correct: int
    total: int
    percent: float
    scaled_score: int
    passed: bool
    passing_percent: float
    time_used: timedelta
    time_allowed: timedelta | None
    domains: list[BreakdownRow]
    task_statements: list[BreakdownRow]
    services: list[BreakdownRow]
    history: list[HistoryPoint]
    wrong: int
    unanswered: int
    flagged: int


class _Tally:
    __slots__ = ("correct", "label", "total")

    def __init__(self, label: str) -> None:
        self.label, self.correct, self.total = label, 0, 0

    def add(self, correct: bool) -> None:
        self.total += 1
        self.correct += bool(correct)


def _rows(tallies: dict[str, _Tally], order: Iterable[str]) -> list[BreakdownRow]:
    return [
        BreakdownRow(key=key, label=tallies[key].label, correct=tallies[key].correct,
                     total=tallies[key].total)
        for key in order
    ]  # fmt: skip


def _version_key(code: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in code.split("."))


def attempt_report(attempt: Attempt) -> AttemptReport:
    """The score report of a submitted attempt: per domain, task statement and service, and
    the learner's history at this certification. Three queries whatever the exam's length."""
    if attempt.status != Attempt.Status.SUBMITTED:
        raise ValueError("Only a submitted attempt has a report.")
    rows = list(
        AttemptQuestion.objects.filter(attempt=attempt)
        .order_by("position")
        .values_list(
            "question_id",
            "is_correct",
            "selected",
            "flagged",
            "question__domain__number",
            "question__domain__name",
            "question__task_statement__code",
            "question__task_statement__text",
        )
    )
    domains: dict[str, _Tally] = {}
    statements: dict[str, _Tally] = {}
    by_question: dict[int, bool] = {}
    unanswered = flagged = 0
    for qid, correct, selected, is_flagged, d_num, d_name, ts_code, ts_text in rows:
        by_question[qid] = bool(correct)
        unanswered += not selected
        flagged += is_flagged
        domains.setdefault(str(d_num), _Tally(d_name)).add(correct)
        key = ts_code or "—"
        statements.setdefault(key, _Tally(ts_text or "Not mapped to a task statement")).add(correct)
    services: dict[str, _Tally] = {}
    links = Question.services.through.objects.filter(question_id__in=by_question).values_list(
        "question_id", "service__short_name", "service__name"
    )
    for qid, short_name, name in links:
        services.setdefault(short_name, _Tally(name)).add(by_question[qid])
    history_rows = list(
        Attempt.objects.filter(
            learner_id=attempt.learner_id,
            certification_id=attempt.certification_id,
            status=Attempt.Status.SUBMITTED,
        )
        .order_by("-submitted_at", "-pk")
        .values_list("pk", "submitted_at", "mode", "scaled_score", "percent", "passed")[
            :HISTORY_LENGTH
        ]
    )
    if attempt.pk not in {row[0] for row in history_rows}:
        this = (
            attempt.pk,
            attempt.submitted_at,
            attempt.mode,
            attempt.scaled_score,
            attempt.percent,
            attempt.passed,
        )
        history_rows = [*history_rows[: HISTORY_LENGTH - 1], this]
    modes = dict(Attempt.Mode.choices)
    history = [
        HistoryPoint(
            attempt_id=pk,
            submitted_at=submitted_at,
            mode=modes.get(mode, mode),
            scaled_score=scaled or 0,
            percent=percent or 0.0,
            passed=bool(passed),
            current=pk == attempt.pk,
        )
        for pk, submitted_at, mode, scaled, percent, passed in sorted(
            history_rows, key=lambda row: (row[1], row[0])
        )
    ]
    correct_total = sum(by_question.values())
    total = len(rows)
    return AttemptReport(
        attempt=attempt,
        certification=attempt.certification,
        correct=correct_total,
        total=total,
        percent=attempt.percent if attempt.percent is not None else 0.0,
        scaled_score=attempt.scaled_score or 0,
        passed=bool(attempt.passed),
        passing_percent=DEFAULT_PASSING_PERCENT,
        time_used=(attempt.submitted_at or attempt.started_at) - attempt.started_at,
        time_allowed=attempt.deadline - attempt.started_at if attempt.deadline else None,
        domains=_rows(domains, sorted(domains, key=int)),
        task_statements=_rows(statements, sorted(statements, key=_version_key)),
        services=_rows(
            services, sorted(services, key=lambda k: (-services[k].total, k.casefold()))
        ),
        history=history,
        wrong=total - correct_total - unanswered,
        unanswered=unanswered,
        flagged=flagged,
    )


# --- Answer review -----------------------------------------------------------------------------


class ReviewFilter:
    ALL = "all"
    WRONG = "wrong"
    FLAGGED = "flagged"
    CHOICES = (ALL, WRONG, FLAGGED)


@dataclass(frozen=True, slots=True)
class SourceNote:
    file_name: str
    heading: str
    line_start: int
    line_end: int
    html: str


@dataclass(frozen=True, slots=True)
class AnswerOption:
    letter: str
    text: str
    selected: bool
    is_correct: bool
    rationale: str


@dataclass(frozen=True, slots=True)
class AnsweredQuestion:
    position: int
    stem: str
    kind: str
    select_count: int
    domain: str
    flagged: bool
    answered: bool
    correct: bool
    options: list[AnswerOption]
    explanation: str
    sources: list[SourceNote]

    @property
    def is_multiple(self) -> bool:
        return self.kind == Question.Kind.MULTIPLE


@dataclass(frozen=True, slots=True)
class AnswerReview:
    attempt: Attempt
    show: str
    questions: list[AnsweredQuestion]
    counts: dict[str, int] = field(default_factory=dict)
    complete: bool = True  # False: an instant-feedback practice still in progress


def answer_review_allowed(attempt: Attempt) -> bool:
    """The key may be shown: the attempt is submitted, or it is instant-feedback practice."""
    return attempt.status == Attempt.Status.SUBMITTED or attempt.instant_feedback


def attempt_answer_review(attempt: Attempt, *, show: str = ReviewFilter.ALL) -> AnswerReview:
    """Every question with the learner's choice, the key, each option's rationale, the
    explanation and the note sections it came from. Submitted attempts show every question;
    an instant-feedback practice in progress shows only those already answered. Four queries
    whatever the exam's length."""
    if not answer_review_allowed(attempt):
        raise ValueError("The key of an attempt in progress is not shown.")
    submitted = attempt.status == Attempt.Status.SUBMITTED
    items = list(
        AttemptQuestion.objects.filter(attempt=attempt)
        .order_by("position")
        .select_related("question__domain")
        .only(
            "position", "choice_order", "selected", "flagged", "is_correct", "question__stem",
            "question__kind", "question__select_count", "question__explanation",
            "question__domain__number", "question__domain__name",
        )
    )  # fmt: skip
    if not submitted:
        items = [
            i
            for i in items
            if key_shown(attempt, selected=i.selected, select_count=i.question.select_count)
        ]
    question_ids = [i.question_id for i in items]
    choices: dict[int, Choice] = {
        c.pk: c
        for c in Choice.objects.filter(question_id__in=question_ids).only(
            "question_id", "text", "is_correct", "rationale"
        )
    }
    fact_links = (
        Question.source_facts.through.objects.filter(question_id__in=question_ids)
        .select_related("fact__section__source")
        .only(
            "question", "fact__line_start", "fact__section__heading_path",
            "fact__section__line_start", "fact__section__line_end",
            "fact__section__raw_markdown", "fact__section__source__name",
        )
        .order_by("fact__section__source__name", "fact__section__position", "fact_id")
    )  # fmt: skip
    sections_by_question: dict[int, dict[int, Section]] = defaultdict(dict)
    for link in fact_links:
        section = link.fact.section
        sections_by_question[link.question_id].setdefault(section.pk, section)
    rendered: dict[int, str] = {}

    def note(section: Section) -> SourceNote:
        if section.pk not in rendered:
            rendered[section.pk] = render_markdown_safe(section.raw_markdown)
        return SourceNote(
            file_name=section.source.name,
            heading=section.heading,
            line_start=section.line_start,
            line_end=section.line_end,
            html=rendered[section.pk],
        )

    questions = []
    for item in items:
        selected = set(item.selected or [])
        ordered = [choices[pk] for pk in item.choice_order if pk in choices]
        keyed = [c.pk for c in ordered if c.is_correct]
        correct = (
            bool(item.is_correct)
            if submitted and item.is_correct is not None
            else is_answer_correct(selected=selected, correct=keyed)
        )
        questions.append(
            AnsweredQuestion(
                position=item.position,
                stem=item.question.stem,
                kind=item.question.kind,
                select_count=item.question.select_count,
                domain=f"{item.question.domain.number}. {item.question.domain.name}",
                flagged=item.flagged,
                answered=bool(selected),
                correct=correct,
                options=[
                    AnswerOption(
                        letter=LETTERS[i],
                        text=c.text,
                        selected=c.pk in selected,
                        is_correct=c.is_correct,
                        rationale=c.rationale,
                    )
                    for i, c in enumerate(ordered)
                ],
                explanation=item.question.explanation,
                sources=[note(s) for s in sections_by_question[item.question_id].values()],
            )
        )
    counts = {
        ReviewFilter.ALL: len(questions),
        ReviewFilter.WRONG: sum(not q.correct for q in questions),
        ReviewFilter.FLAGGED: sum(q.flagged for q in questions),
    }
    if show == ReviewFilter.WRONG:
        questions = [q for q in questions if not q.correct]
    elif show == ReviewFilter.FLAGGED:
        questions = [q for q in questions if q.flagged]
    return AnswerReview(
        attempt=attempt, show=show, questions=questions, counts=counts, complete=submitted
    )


def attempt_wrong_question_ids(attempt: Attempt) -> list[int]:
    """The questions a submitted attempt got wrong (unanswered included), in exam order."""
    if attempt.status != Attempt.Status.SUBMITTED:
        return []
    return list(
        AttemptQuestion.objects.filter(attempt=attempt, is_correct=False)
        .order_by("position")
        .values_list("question_id", flat=True)
    )


# --- Item statistics (instructors) ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DifficultyRow:
    """How hard one domain's or service's questions are, from their item statistics."""

    key: str
    label: str
    certification: str
    items: int  # questions with a statistics row
    answered_items: int  # of those, questions answered at least once
    answers: int
    correct: int
    mean_facility: float | None  # mean of the answered items' facilities: each item counts once
    flagged: int

    @property
    def share_correct(self) -> float | None:
        """Correct answers over all answers: items answered more often weigh more."""
        return self.correct / self.answers if self.answers else None


@dataclass(frozen=True, slots=True)
class DifficultyOverview:
    certification: Certification | None
    domains: list[DifficultyRow]
    services: list[DifficultyRow]


def _difficulty_aggregates(prefix: str) -> dict:
    statistic = f"{prefix}statistic" if prefix else "pk"
    field_of = (lambda name: f"{prefix}statistic__{name}") if prefix else (lambda name: name)
    return {
        "items": Count(statistic),
        "answered_items": Count(statistic, filter=Q(**{field_of("answered__gt"): 0})),
        "answers": Sum(field_of("answered")),
        "correct_answers": Sum(field_of("correct")),
        # Avg skips nulls: items nobody answered have no facility and do not count.
        "mean_facility": Avg(field_of("facility")),
        "flagged": Count(statistic, filter=Q(**{field_of("flag_count__gt"): 0})),
    }


def difficulty_by_domain(certification: Certification | None = None) -> list[DifficultyRow]:
    """Every domain (of one certification, or all) with its items' difficulty; domains with no
    statistics yet are listed with zeros. One query."""
    domains = Domain.objects.select_related("certification")
    if certification is not None:
        domains = domains.filter(certification=certification)
    domains = domains.annotate(**_difficulty_aggregates("questions__")).order_by(
        "certification__code", "number"
    )
    return [
        DifficultyRow(
            key=f"{domain.certification.code} {domain.number}",
            label=domain.name,
            certification=domain.certification.code,
            items=domain.items,
            answered_items=domain.answered_items,
            answers=domain.answers or 0,
            correct=domain.correct_answers or 0,
            mean_facility=domain.mean_facility,
            flagged=domain.flagged,
        )
        for domain in domains
    ]


def difficulty_by_service(certification: Certification | None = None) -> list[DifficultyRow]:
    """Each AWS service the answered questions are tagged with, hardest (lowest mean facility)
    first. A question tagged with several services counts for each. One query."""
    statistics = ItemStatistic.objects.filter(answered__gt=0, question__services__isnull=False)
    if certification is not None:
        statistics = statistics.filter(question__certification=certification)
    rows = (
        statistics.values("question__services__short_name", "question__services__name")
        .annotate(**_difficulty_aggregates(""))
        .order_by("mean_facility", "question__services__short_name")
    )
    return [
        DifficultyRow(
            key=row["question__services__short_name"],
            label=row["question__services__name"],
            certification=certification.code if certification else "",
            items=row["items"],
            answered_items=row["answered_items"],
            answers=row["answers"] or 0,
            correct=row["correct_answers"] or 0,
            mean_facility=row["mean_facility"],
            flagged=row["flagged"],
        )
        for row in rows
    ]


def difficulty_overview(certification: Certification | None = None) -> DifficultyOverview:
    """The "difficulty by domain and service" page: two queries."""
    return DifficultyOverview(
        certification=certification,
        domains=difficulty_by_domain(certification),
        services=difficulty_by_service(certification),
    )


# --- Learners' problem reports --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportLine:
    """One of the learner's reports on a question, as the review page shows it."""

    reason: str
    reason_label: str
    status: str
    status_label: str
    note: str
    created_at: datetime
    resolved_at: datetime | None

    @property
    def accepted(self) -> bool:
        return self.status == QuestionReport.Status.ACCEPTED


@dataclass(slots=True)
class ReportPanel:
    """The learner's reports on one question of the review: the open one (if any) and the
    resolved ones, newest first."""

    open: ReportLine | None = None
    resolved: list[ReportLine] = field(default_factory=list)


def learner_report_panels(user, attempt: Attempt) -> dict[int, ReportPanel]:
    """The learner's reports on the questions of this attempt, by position. Reports filed from
    another attempt of the same question count too (one open report per question). One query."""
    items = AttemptQuestion.objects.filter(attempt=attempt).order_by()
    rows = (
        QuestionReport.objects.by_learner(user)
        .filter(question_id__in=items.values("question_id"))
        .annotate(
            position=Subquery(
                items.filter(question_id=OuterRef("question_id")).values("position")[:1]
            )
        )
        .order_by("-created_at", "-pk")
        .values_list("position", "reason", "status", "resolution_note", "created_at", "resolved_at")
    )
    reasons = dict(QuestionReport.Reason.choices)
    statuses = dict(QuestionReport.Status.choices)
    panels: dict[int, ReportPanel] = {}
    for position, reason, status, note, created_at, resolved_at in rows:
        line = ReportLine(
            reason=reason,
            reason_label=reasons.get(reason, reason),
            status=status,
            status_label=statuses.get(status, status),
            note=note,
            created_at=created_at,
            resolved_at=resolved_at,
        )
        panel = panels.setdefault(position, ReportPanel())
        if status == QuestionReport.Status.OPEN:
            panel.open = line
        else:
            panel.resolved.append(line)
    return panels


@dataclass(frozen=True, slots=True)
class ReviewCard:
    """One question of the answer review with the learner's reports on it and, unless one is
    open, the form to report a problem (built by the caller's `report_form(position)`)."""

    position: int
    question: AnsweredQuestion | None  # None when only the report region is rendered
    panel: ReportPanel
    report_form: object | None


@dataclass(frozen=True, slots=True)
class AnswerReviewPage:
    review: AnswerReview
    cards: list[ReviewCard]


ReportFormFactory = Callable[[int], object]


def _review_card(
    position: int,
    question: AnsweredQuestion | None,
    panel: ReportPanel | None,
    report_form: ReportFormFactory,
) -> ReviewCard:
    panel = panel or ReportPanel()
    form = report_form(position) if panel.open is None else None
    return ReviewCard(position=position, question=question, panel=panel, report_form=form)


def answer_review_cards(
    *, user, attempt: Attempt, show: str, report_form: ReportFormFactory
) -> AnswerReviewPage:
    """The answer review page: each question with the learner's reports on it and, where no
    report is open, a report form. Four queries whatever the exam's length."""
    review = attempt_answer_review(attempt, show=show)
    panels = learner_report_panels(user, attempt)
    return AnswerReviewPage(
        review=review,
        cards=[
            _review_card(q.position, q, panels.get(q.position), report_form)
            for q in review.questions
        ],
    )


def review_report_card(
    *, user, attempt: Attempt, position: int, report_form: ReportFormFactory
) -> ReviewCard:
    """Only the report region of one card of the review (what htmx swaps after a report)."""
    panels = learner_report_panels(user, attempt)
    return _review_card(position, None, panels.get(position), report_form)


def question_for_report(attempt: Attempt, position: int) -> Question | None:
    """The question at `position` if the learner may report on it now: the attempt is
    submitted, or it is instant-feedback practice and the question is answered. None if the
    position is not in the attempt or its answer is not shown yet."""
    item = (
        AttemptQuestion.objects.filter(attempt=attempt, position=position)
        .select_related("question")
        .first()
    )
    if item is None:
        return None
    if key_shown(attempt, selected=item.selected, select_count=item.question.select_count):
        return item.question
    return None


def question_rescore_count(question: Question) -> int:
    """Submitted attempts with this question: those a key fix would rescore."""
    return AttemptQuestion.objects.filter(
        question=question, attempt__status=Attempt.Status.SUBMITTED
    ).count()


@dataclass(frozen=True, slots=True)
class RescorePreview:
    """What rescoring a question would do, before it is done."""

    attempts: int  # submitted attempts with the question
    stale_attempts: int  # of those, attempts whose answer is marked against another key
    stale_answers: int


def question_rescore_preview(question: Question) -> RescorePreview:
    """Which submitted answers to the question are marked against another key than its
    current one (as `attempts_rescore` would find them). Two queries."""
    keyed = set(
        Choice.objects.filter(question=question, is_correct=True)
        .order_by()
        .values_list("pk", flat=True)
    )
    rows = list(
        AttemptQuestion.objects.filter(question=question, attempt__status=Attempt.Status.SUBMITTED)
        .order_by()
        .values_list("attempt_id", "selected", "is_correct")
    )
    stale = [
        attempt_id
        for attempt_id, selected, marked in rows
        if marked != is_answer_correct(selected=selected or [], correct=keyed)
    ]
    return RescorePreview(
        attempts=len({attempt_id for attempt_id, _, _ in rows}),
        stale_attempts=len(set(stale)),
        stale_answers=len(stale),
    )

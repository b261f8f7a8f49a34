"""bench/curation: instructor curation at scale, each step against a plain baseline.

Seeds a bank of published questions (default 5,000, both certifications, by domain weight, as
bench/exam does) plus 500 SAA-C03 drafts, and submitted attempts of 65 questions each (default
2,000, half SAA-C03 mock exams, half SAP-C02 practice sets: 130,000 answered items) whose answers
follow a simple item-response model (learner ability, item difficulty and discrimination, some
unpopular or unused distractors, a few unanswered items). Then times, each as the ratio of its
median to the median of a baseline measured in the same run (interleaved, so drift hits both):

1. `item_statistics_refresh()` of every question, and of one attempt's 65 questions (what runs
   after each submission), against reading the same submitted answers with `values_list()`.
2. The bulk actions publish (`questions_set_status`) and move (`questions_move`) on 500 drafts,
   against `QuerySet.update()` of the same rows; query counts for 50 and for 500 questions.
3. A dry-run import of fixtures/question_bank.yaml into a database that already holds it (all
   unchanged), against parsing the file (`load_bank_text`).

Run: bench/curation [--questions N] [--attempts M] [--reps R]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from _setup import ROOT, django_with_fresh_database
from exam import seed_bank

QUESTIONS_PER_ATTEMPT = 65
ATTEMPTS_PER_LEARNER = 8
BULK_SIZES = (50, 500)  # the bulk actions' query counts must not grow with the selection
UNANSWERED_SHARE = 0.02
BANK_FILE = ROOT / "fixtures" / "question_bank.yaml"


# --- Seeding ------------------------------------------------------------------------------------


def mark_drafts(count: int) -> list[int]:
    """Turn `count` SAA-C03 questions outside its first domain into drafts (spread over the other
    domains), so they can be published and moved to that first domain."""
    from questions.models import Question

    candidates = list(
        Question.objects.filter(certification__code="SAA-C03")
        .exclude(domain=first_domain())
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if len(candidates) < count:
        raise SystemExit(f"the bank has only {len(candidates)} SAA-C03 questions to draft")
    step = len(candidates) // count
    ids = candidates[::step][:count]
    Question.objects.filter(pk__in=ids).update(status=Question.Status.DRAFT)
    return ids


def first_domain():
    from notes.models import Domain

    return Domain.objects.filter(certification__code="SAA-C03").order_by("number").first()


@dataclass
class Item:
    """What the answer model needs about one question."""

    correct: list[int]
    distractors: list[int]
    weights: list[float]  # how attractive each distractor is; 0 = nobody picks it
    difficulty: float
    discrimination: float
    guessing: float


def answer_model(rng: random.Random) -> dict[int, Item]:
    """Every published question with a difficulty, a discrimination (a few negative) and
    distractors of uneven appeal (about one in 25 never chosen)."""
    from questions.models import Choice, Question

    items: dict[int, Item] = {}
    published = Question.objects.filter(status=Question.Status.PUBLISHED)
    for question_id, select_count in published.values_list("pk", "select_count"):
        items[question_id] = Item(
            correct=[],
            distractors=[],
            weights=[],
            difficulty=rng.gauss(-0.3, 1.1),
            discrimination=(
                -rng.uniform(0.3, 1.0) if rng.random() < 0.03 else rng.uniform(0.4, 2.0)
            ),
            guessing=0.25 if select_count == 1 else 0.08,
        )
    rows = Choice.objects.filter(question_id__in=items.keys()).order_by("question_id", "position")
    for question_id, choice_id, is_correct in rows.values_list("question_id", "pk", "is_correct"):
        item = items[question_id]
        if is_correct:
            item.correct.append(choice_id)
        else:
            item.distractors.append(choice_id)
            item.weights.append(0.0 if rng.random() < 0.04 else rng.uniform(0.5, 3.0))
    for item in items.values():
        if not any(item.weights):
            item.weights[0] = 1.0
    return items


def answer(item: Item, ability: float, rng: random.Random) -> list[int]:
    if rng.random() < UNANSWERED_SHARE:
        return []
    logistic = 1 / (1 + math.exp(-item.discrimination * (ability - item.difficulty)))
    if rng.random() < item.guessing + (1 - item.guessing) * logistic:
        return sorted(item.correct)
    distractor = rng.choices(item.distractors, weights=item.weights)[0]
    if len(item.correct) == 1:
        return [distractor]
    # Multiple response: all but one of the keyed options, plus a distractor.
    kept = rng.sample(item.correct, len(item.correct) - 1)
    return sorted([*kept, distractor])


def seed_attempts(total: int, rng: random.Random) -> int:
    """`total` submitted attempts of 65 questions, built directly (no services): alternately a
    timed SAA-C03 mock exam and an untimed SAP-C02 practice set, by learners of varied ability."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from notes.models import Certification
    from questions.models import Attempt, AttemptQuestion
    from questions.scoring import attempt_result

    items = answer_model(rng)
    certifications = list(Certification.objects.order_by("code"))
    pools = {
        c.pk: sorted(q for q in c.questions.filter(status="published").values_list("pk", flat=True))
        for c in certifications
    }
    for certification in certifications:
        if len(pools[certification.pk]) < QUESTIONS_PER_ATTEMPT:
            raise SystemExit(f"{certification.code} has too few published questions")
    learner_count = math.ceil(total / ATTEMPTS_PER_LEARNER)
    User = get_user_model()
    now = timezone.now()
    with transaction.atomic():
        learners = User.objects.bulk_create(
            [User(username=f"bench-learner-{n}", password="!") for n in range(learner_count)]
        )
        abilities = {learner.pk: rng.gauss(0, 1) for learner in learners}
        attempts: list[Attempt] = []
        answers: list[list[tuple[int, list[int], list[int], bool]]] = []
        for n in range(total):
            certification = certifications[n % len(certifications)]
            mock = certification.code == "SAA-C03"
            learner = learners[n % learner_count]
            started = now - timedelta(days=rng.uniform(1, 90))
            sheet = []
            for question_id in rng.sample(pools[certification.pk], QUESTIONS_PER_ATTEMPT):
                item = items[question_id]
                order = [*item.correct, *item.distractors]
                rng.shuffle(order)
                selected = answer(item, abilities[learner.pk], rng)
                sheet.append((question_id, order, selected, selected == sorted(item.correct)))
            correct = sum(is_correct for *_, is_correct in sheet)
            percent, scaled, passed = attempt_result(
                correct_count=correct,
                question_count=QUESTIONS_PER_ATTEMPT,
                score_min=certification.score_min,
                score_max=certification.score_max,
                passing_score=certification.passing_score,
            )
            attempts.append(
                Attempt(
                    learner=learner,
                    certification=certification,
                    mode=Attempt.Mode.MOCK if mock else Attempt.Mode.PRACTICE,
                    status=Attempt.Status.SUBMITTED,
                    started_at=started,
                    deadline=started + timedelta(minutes=130) if mock else None,
                    submitted_at=started + timedelta(minutes=rng.uniform(40, 125)),
                    current_position=QUESTIONS_PER_ATTEMPT,
                    correct_count=correct,
                    question_count=QUESTIONS_PER_ATTEMPT,
                    percent=percent,
                    scaled_score=scaled,
                    passed=passed,
                )
            )
            answers.append(sheet)
        Attempt.objects.bulk_create(attempts, batch_size=1000)
        AttemptQuestion.objects.bulk_create(
            (
                AttemptQuestion(
                    attempt_id=attempt.pk,
                    question_id=question_id,
                    position=position,
                    choice_order=order,
                    selected=selected,
                    answered_at=attempt.submitted_at if selected else None,
                    is_correct=is_correct,
                )
                for attempt, sheet in zip(attempts, answers, strict=True)
                for position, (question_id, order, selected, is_correct) in enumerate(
                    sheet, start=1
                )
            ),
            batch_size=5000,
        )
    return total * QUESTIONS_PER_ATTEMPT


# --- Measuring ----------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    times: list[float] = field(default_factory=list)
    queries: dict[int | str, int] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def timed(call: Callable) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def rolled_back(call: Callable) -> tuple[float, object]:
    """Time `call` inside a transaction that is then rolled back, so every repetition starts
    from the same rows (both the measured writes and their baseline run this way)."""
    from django.db import transaction

    with transaction.atomic():
        elapsed, result = timed(call)
        transaction.set_rollback(True)
    return elapsed, result


def query_count(call: Callable, *, rollback: bool = False) -> int:
    """SQL statements `call` runs; with `rollback`, inside a rolled-back transaction whose own
    statements (those of an empty call) are not counted."""
    from django.db import connection, reset_queries, transaction
    from django.test.utils import CaptureQueriesContext

    def run(call: Callable) -> int:
        reset_queries()  # the log keeps 9,000 queries at most: start each count empty
        with CaptureQueriesContext(connection) as captured:
            if rollback:
                with transaction.atomic():
                    call()
                    transaction.set_rollback(True)
            else:
                call()
        return len(captured)

    return run(call) - (run(lambda: None) if rollback else 0)


def measure_statistics(reps: int, rng: random.Random) -> list[Row]:
    from questions.models import Attempt, AttemptQuestion, ItemStatistic
    from questions.services.statistics import item_statistics_refresh

    def read_answers() -> list:
        return list(
            AttemptQuestion.objects.filter(attempt__status=Attempt.Status.SUBMITTED).values_list(
                "attempt_id", "question_id", "selected", "is_correct"
            )
        )

    attempt_ids = list(Attempt.objects.values_list("pk", flat=True))
    sheets = [
        list(AttemptQuestion.objects.filter(attempt_id=pk).values_list("question_id", flat=True))
        for pk in rng.sample(attempt_ids, min(len(attempt_ids), reps * 4))
    ]
    baseline = Row("read answers (baseline)")
    everything = Row("refresh all questions")
    one_attempt = Row(f"refresh one attempt ({QUESTIONS_PER_ATTEMPT} q)")
    item_statistics_refresh()  # warm-up; the first run inserts, the timed ones update
    read_answers()
    for sheet in sheets:
        baseline.times.append(timed(read_answers)[0])
        one_attempt.times.append(
            timed(lambda sheet=sheet: item_statistics_refresh(question_ids=sheet))[0]
        )
    for _ in range(reps):
        baseline.times.append(timed(read_answers)[0])
        everything.times.append(timed(item_statistics_refresh)[0])
    baseline.queries["n"] = query_count(read_answers)
    everything.queries["n"] = query_count(item_statistics_refresh)
    one_attempt.queries["n"] = query_count(lambda: item_statistics_refresh(question_ids=sheets[0]))
    stored = ItemStatistic.objects.all()
    print(
        f"statistics: {stored.count()} questions, {len(read_answers())} answers; "
        f"{stored.filter(answered__gte=30).count()} questions with 30+ answers, "
        f"{stored.filter(flag_count__gt=0).count()} flagged"
    )
    return [baseline, everything, one_attempt]


def measure_bulk(draft_ids: list[int], reps: int) -> list[Row]:
    from django.contrib.auth import get_user_model

    from questions.models import Question
    from questions.services import questions_move, questions_set_status

    instructor = get_user_model().objects.create_user(username="bench-instructor", is_staff=True)
    domain = first_domain()
    statement = domain.task_statements.order_by("code").first()

    def baseline(ids):
        return Question.objects.filter(pk__in=ids).update(status=Question.Status.PUBLISHED)

    def publish(ids):
        result = questions_set_status(
            questions=Question.objects.filter(pk__in=ids),
            status=Question.Status.PUBLISHED,
            changed_by=instructor,
        )
        if len(result.changed) != len(ids) or result.refused:
            raise SystemExit(f"publish changed {len(result.changed)}: {result.refused[:3]}")

    def move(ids):
        result = questions_move(
            questions=Question.objects.filter(pk__in=ids),
            domain=domain,
            task_statement=statement,
            changed_by=instructor,
        )
        if len(result.changed) != len(ids) or result.refused:
            raise SystemExit(f"move changed {len(result.changed)}: {result.refused[:3]}")

    size = max(BULK_SIZES)
    ids = draft_ids[:size]
    rows = [
        (Row(f"update() {size} rows (baseline)"), baseline),
        (Row(f"publish {size} drafts"), publish),
        (Row(f"move {size} questions"), move),
    ]
    for _, call in rows:
        rolled_back(lambda call=call: call(ids))  # warm-up
    for _ in range(reps):
        for row, call in rows:
            row.times.append(rolled_back(lambda call=call: call(ids))[0])
    for row, call in rows:
        for count in BULK_SIZES:
            row.queries[count] = query_count(
                lambda call=call, count=count: call(draft_ids[:count]), rollback=True
            )
    return [row for row, _ in rows]


def measure_bank_import(reps: int) -> tuple[list[Row], str]:
    from django.conf import settings

    from notes.services import notes_ingest
    from questions.bank import load_bank_text
    from questions.services.bank_files import bank_text_import

    if not settings.NOTES_DIR.is_dir():
        raise SystemExit(f"the study notes are expected at {settings.NOTES_DIR} (set NOTES_DIR)")
    started = time.perf_counter()
    notes_ingest(paths=[settings.NOTES_DIR])  # the bank cites these facts
    text = BANK_FILE.read_text(encoding="utf-8-sig")
    loaded = bank_text_import(text=text)
    if not loaded.ok or not loaded.written:
        raise SystemExit(f"loading {BANK_FILE.name} failed: {loaded.problem or loaded.errors[:3]}")
    setup = time.perf_counter() - started

    def dry_run():
        report = bank_text_import(text=text, dry_run=True)
        if len(report.unchanged) != report.total or report.written:
            raise SystemExit(f"the dry run of an unchanged bank says: {report.summary()}")
        return report

    baseline = Row("parse YAML (baseline)")
    measured = Row("import dry run")
    load_bank_text(text)  # warm-up
    dry_run()
    for _ in range(reps):
        baseline.times.append(timed(lambda: load_bank_text(text))[0])
        measured.times.append(timed(dry_run)[0])
    baseline.queries["n"] = query_count(lambda: load_bank_text(text))
    measured.queries["n"] = query_count(dry_run)
    summary = (
        f"bank: {BANK_FILE.name} ({loaded.total} questions) ingested notes and loaded in "
        f"{setup:.1f} s; dry run: {dry_run().summary()}"
    )
    return [baseline, measured], summary


def print_table(title: str, rows: list[Row], query_columns: list[int | str]) -> None:
    """The first row is the baseline; ratio = median / the baseline's median."""
    baseline = rows[0].median
    labels = {"n": "queries"} | {c: f"q({c})" for c in query_columns if c != "n"}
    print(title)
    print(
        f"  {'operation':<30}{'n':>4}{'median ms':>11}{'ratio':>8}"
        + "".join(f"{labels[c]:>9}" for c in query_columns)
    )
    for row in rows:
        print(
            f"  {row.name:<30}{len(row.times):>4}{row.median * 1000:>11.2f}"
            f"{row.median / baseline:>8.2f}"
            + "".join(f"{row.queries.get(c, 0):>9}" for c in query_columns)
        )


# --- Main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=5_000, help="published questions")
    parser.add_argument("--attempts", type=int, default=2_000, help="submitted attempts")
    parser.add_argument("--reps", type=int, default=5, help="repetitions of each timing")
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    if args.questions < 1_000:
        parser.error("the bank needs at least 1,000 questions (500 SAA-C03 drafts come on top)")
    if args.attempts < 1 or args.reps < 1:
        parser.error("--attempts and --reps must be at least 1")

    # Production-like: with DEBUG on, Django would also log every query the timings run.
    os.environ.update(DEBUG="0", LOG_LEVEL="ERROR")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    workdir = django_with_fresh_database()
    try:
        setup_seconds = time.perf_counter() - started
        started = time.perf_counter()
        drafts = max(BULK_SIZES)
        choice_count = seed_bank(args.questions + drafts)
        draft_ids = mark_drafts(drafts)
        answered = seed_attempts(args.attempts, rng)
        print(
            f"bank: {args.questions} published questions and {drafts} SAA-C03 drafts "
            f"({choice_count} choices); {args.attempts} submitted attempts of "
            f"{QUESTIONS_PER_ATTEMPT} questions ({answered} items); seeded in "
            f"{time.perf_counter() - started:.1f} s (migrate + catalog {setup_seconds:.1f} s)"
        )
        statistics_rows = measure_statistics(args.reps, rng)
        bulk_rows = measure_bulk(draft_ids, args.reps)
        bank_rows, bank_summary = measure_bank_import(max(3, args.reps // 2))
        print(bank_summary)
        print()
        print_table("item statistics (ratio to reading the answers)", statistics_rows, ["n"])
        print_table("bulk actions (ratio to QuerySet.update)", bulk_rows, list(BULK_SIZES))
        print_table("bank import (ratio to parsing the YAML)", bank_rows, ["n"])
        print(
            "ratio = median / median of the section's first row (its baseline), measured "
            "interleaved in this run; queries counted once in-process, BEGIN/SAVEPOINT/COMMIT "
            "included; q(50)/q(500) = queries for a selection of 50 and of 500"
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

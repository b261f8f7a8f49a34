"""Classical item analysis: the maths behind the item statistics, over plain data.

No database here: `questions.services.statistics.item_statistics_refresh` reads the answers and
stores what these functions compute. Definitions (the admin's statistics pages repeat them):

- **Data.** The questions of *submitted* attempts only. A question counts as **answered** when
  the learner chose at least one option. Questions left unanswered (time ran out, skipped) are
  left out of every statistic: they say something about the learner's time, not about the item.
- **Unit: one submitted attempt is one learner response.** Every statistic counts attempts, not
  people: a learner who sits an exam twice counts twice, each time with that sitting's own
  rest-of-attempt score. Why: the score an answer is compared with must come from the same
  sitting (learners improve between sittings, and practice sets differ, so a learner has no
  single total to rank by), and an item's quality is how it behaves each time it is sat. The
  cost: a learner who repeats a question weighs more, and may remember it, which pushes
  facility up; with many learners this matters little, and the admin says so next to the
  numbers.
- **Facility** = correct answers / answers: the share answered correctly (0 to 1; high is easy).
- **Discrimination** = the point-biserial correlation (Pearson's r between a 1/0 variable and
  a score) between the item score (1 correct, 0 wrong) and the learner's score on the *rest* of
  the same attempt: the percent correct of the attempt's other questions,
  100 × (attempt correct − this item) / (attempt questions − 1). This is the *corrected*
  point-biserial: using the whole attempt score would let the item correlate with itself, which
  inflates the value (most on short practice sets). Answers from one-question attempts (no
  rest) count towards facility but not towards discrimination. None with fewer than two usable
  answers or when either variable does not vary (everyone right, or every rest score equal).
  Positive: learners who do well elsewhere get it right more often. Negative: they get it wrong
  more often, which usually means a wrong key or a misleading option.
- **Option counts**: how many answers chose each of the question's current options (every
  option appears, chosen or not). For multiple response an answer chooses several options.
  Chosen ids that are no longer options of the question (removed in an edit) are not counted.
- **Flags**, only once an item has at least `MIN_ANSWERS_FOR_FLAGS` (30) answers, fewer being
  too noisy to judge: too hard (facility below 0.2), too easy (above 0.95), negative
  discrimination (below 0), dead distractor (a wrong option nobody chose).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

MIN_ANSWERS_FOR_FLAGS = 30
TOO_HARD_BELOW = 0.2
TOO_EASY_ABOVE = 0.95

# Flag codes; the same values as `questions.models.ItemStatistic.Flag` (a test checks), kept
# here so this module needs no Django. Flags are always listed in this order.
TOO_HARD = "too_hard"
TOO_EASY = "too_easy"
NEGATIVE_DISCRIMINATION = "negative_discrimination"
DEAD_DISTRACTOR = "dead_distractor"
FLAG_ORDER = (TOO_HARD, TOO_EASY, NEGATIVE_DISCRIMINATION, DEAD_DISTRACTOR)


@dataclass(frozen=True, slots=True)
class ItemChoice:
    """One of the question's options."""

    id: int
    is_correct: bool


@dataclass(frozen=True, slots=True)
class ItemResponse:
    """One attempt's answer to the question, with that attempt's totals."""

    selected: tuple[int, ...]
    is_correct: bool
    attempt_correct: int
    attempt_questions: int

    @property
    def answered(self) -> bool:
        return bool(self.selected)

    @property
    def item_score(self) -> int:
        return 1 if self.is_correct else 0

    @property
    def rest_percent(self) -> float | None:
        """Percent correct of the attempt's other questions; None when there are none."""
        others = self.attempt_questions - 1
        if others <= 0:
            return None
        return 100 * (self.attempt_correct - self.item_score) / others


@dataclass(frozen=True, slots=True)
class ItemAnalysis:
    answered: int
    correct: int
    facility: float | None
    discrimination: float | None
    option_counts: dict[str, int] = field(default_factory=dict)
    flags: tuple[str, ...] = ()


def facility(*, correct: int, answered: int) -> float | None:
    return correct / answered if answered else None


def pearson(pairs: Sequence[tuple[float, float]]) -> float | None:
    """Pearson's correlation of (x, y) pairs; with x 1/0 this is the point-biserial. None for
    fewer than two pairs or when x or y is constant (the correlation is undefined)."""
    n = len(pairs)
    if n < 2:
        return None
    mean_x = sum(x for x, _ in pairs) / n
    mean_y = sum(y for _, y in pairs) / n
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in pairs)
    sxx = sum((x - mean_x) ** 2 for x, _ in pairs)
    syy = sum((y - mean_y) ** 2 for _, y in pairs)
    # Exactly equal values still leave float dust in the sums of squares.
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return sxy / math.sqrt(sxx * syy)


def corrected_point_biserial(responses: Iterable[ItemResponse]) -> float | None:
    """Item score against the rest-of-attempt percent, over answered responses."""
    pairs = [
        (float(r.item_score), r.rest_percent)
        for r in responses
        if r.answered and r.rest_percent is not None
    ]
    return pearson(pairs)


def option_counts(
    choices: Sequence[ItemChoice], responses: Iterable[ItemResponse]
) -> dict[str, int]:
    """Times each option was chosen, keyed by the choice id as a string (JSON keys are)."""
    counts = {choice.id: 0 for choice in choices}
    for response in responses:
        for choice_id in set(response.selected):
            if choice_id in counts:
                counts[choice_id] += 1
    return {str(choice_id): count for choice_id, count in counts.items()}


def item_flags(
    *,
    answered: int,
    facility: float | None,
    discrimination: float | None,
    counts: dict[str, int],
    choices: Sequence[ItemChoice],
) -> tuple[str, ...]:
    if answered < MIN_ANSWERS_FOR_FLAGS:
        return ()
    flags = set()
    if facility is not None and facility < TOO_HARD_BELOW:
        flags.add(TOO_HARD)
    if facility is not None and facility > TOO_EASY_ABOVE:
        flags.add(TOO_EASY)
    if discrimination is not None and discrimination < 0:
        flags.add(NEGATIVE_DISCRIMINATION)
    if any(not c.is_correct and counts.get(str(c.id), 0) == 0 for c in choices):
        flags.add(DEAD_DISTRACTOR)
    return tuple(code for code in FLAG_ORDER if code in flags)


def analyse_item(choices: Sequence[ItemChoice], responses: Iterable[ItemResponse]) -> ItemAnalysis:
    """Every statistic of one question from its responses (unanswered ones are dropped)."""
    answered = [r for r in responses if r.answered]
    correct = sum(r.item_score for r in answered)
    item_facility = facility(correct=correct, answered=len(answered))
    discrimination = corrected_point_biserial(answered)
    counts = option_counts(choices, answered)
    return ItemAnalysis(
        answered=len(answered),
        correct=correct,
        facility=item_facility,
        discrimination=discrimination,
        option_counts=counts,
        flags=item_flags(
            answered=len(answered),
            facility=item_facility,
            discrimination=discrimination,
            counts=counts,
            choices=choices,
        ),
    )

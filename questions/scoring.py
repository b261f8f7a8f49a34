"""Exam arithmetic with no database: blueprint apportionment, answer checking, scaled scores."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from math import floor

# AWS reports a scaled score and does not publish the raw cut score. We assume the commonly
# quoted ~72% raw for the passing score and map linearly on each side of it, so 0% → the bottom
# of the scale, the cut → the passing score, 100% → the top.
DEFAULT_PASSING_PERCENT = 72.0


def apportion(total: int, weights: Mapping[int, float]) -> dict[int, int]:
    """Split `total` questions across domains by weight, by largest remainder (Hamilton).

    Each domain gets the floor of its exact share; the questions left over go to the largest
    fractional remainders, ties to the heavier domain, then the lower domain number. The result
    sums to `total` exactly and no domain is more than one question from its exact share.
    """
    if total < 0:
        raise ValueError("total must be >= 0")
    weight_sum = sum(weights.values())
    if weight_sum <= 0:
        raise ValueError("weights must add up to more than 0")
    exact = {key: total * weight / weight_sum for key, weight in weights.items()}
    counts = {key: floor(share) for key, share in exact.items()}
    left = total - sum(counts.values())
    by_remainder = sorted(exact, key=lambda key: (-(exact[key] - counts[key]), -weights[key], key))
    for key in by_remainder[:left]:
        counts[key] += 1
    return counts


def is_answer_correct(*, selected: Collection[int], correct: Collection[int]) -> bool:
    """Exactly the keyed set: no partial credit for multiple response, as on the real exam.
    An unanswered question (nothing selected) is wrong."""
    return bool(selected) and set(selected) == set(correct)


def scaled_score(
    *,
    percent: float,
    score_min: int,
    score_max: int,
    passing_score: int,
    passing_percent: float = DEFAULT_PASSING_PERCENT,
) -> int:
    """Map a raw percentage (0–100) onto the exam's scale, piecewise linear through the cut."""
    if not 0 <= percent <= 100:
        raise ValueError(f"percent must be between 0 and 100, not {percent}")
    if not 0 < passing_percent < 100:
        raise ValueError("passing_percent must be strictly between 0 and 100")
    if percent <= passing_percent:
        value = score_min + (passing_score - score_min) * percent / passing_percent
    else:
        value = passing_score + (score_max - passing_score) * (percent - passing_percent) / (
            100 - passing_percent
        )
    return round(value)


def attempt_result(
    *, correct_count: int, question_count: int, score_min: int, score_max: int, passing_score: int
) -> tuple[float, int, bool]:
    """An attempt's percent, scaled score and pass/fail from its count of correct answers; the
    one computation shared by submission and rescoring."""
    percent = 100 * correct_count / question_count if question_count else 0.0
    scaled = scaled_score(
        percent=percent, score_min=score_min, score_max=score_max, passing_score=passing_score
    )
    return percent, scaled, scaled >= passing_score

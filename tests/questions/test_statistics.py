"""The item-analysis maths (questions.statistics) on plain data, against hand-worked values."""

import pytest

from questions import statistics
from questions.models import ItemStatistic
from questions.statistics import (
    DEAD_DISTRACTOR,
    NEGATIVE_DISCRIMINATION,
    TOO_EASY,
    TOO_HARD,
    ItemChoice,
    ItemResponse,
    analyse_item,
    corrected_point_biserial,
    item_flags,
    option_counts,
    pearson,
)

CHOICES = [ItemChoice(1, True), ItemChoice(2, False), ItemChoice(3, False), ItemChoice(4, False)]


def response(selected, correct, total, questions=5) -> ItemResponse:
    return ItemResponse(
        selected=tuple(selected),
        is_correct=correct,
        attempt_correct=total,
        attempt_questions=questions,
    )


def test_flag_codes_are_the_models_codes():
    assert tuple(ItemStatistic.Flag.values) == statistics.FLAG_ORDER


def test_rest_percent_leaves_the_item_out():
    assert response([1], True, 4).rest_percent == 75.0  # (4 - 1) / 4
    assert response([2], False, 4).rest_percent == 100.0  # (4 - 0) / 4
    assert response([1], True, 1, questions=1).rest_percent is None  # no other question


def test_pearson_on_a_small_worked_example():
    # x = 0, 1, 1; y = 10, 20, 60: means 2/3 and 30
    # Sxy = (-2/3)(-20) + (1/3)(-10) + (1/3)(30) = 13.333 - 3.333 + 10 = 20
    # Sxx = 4/9 + 1/9 + 1/9 = 2/3;  Syy = 400 + 100 + 900 = 1400
    # r = 20 / sqrt(2/3 * 1400) = 20 / 30.5505 = 0.654654
    assert pearson([(0, 10), (1, 20), (1, 60)]) == pytest.approx(0.654654, abs=1e-6)


def test_pearson_is_undefined_without_two_points_or_without_variance():
    assert pearson([]) is None
    assert pearson([(1, 50)]) is None
    assert pearson([(1, 50), (1, 70)]) is None  # everyone right
    assert pearson([(0, 50), (1, 50)]) is None  # every rest score equal


def test_corrected_point_biserial_differs_from_the_uncorrected_one():
    # Totals 5, 4, 3, 2, 1 of 5; item right for the 1st, 2nd and 4th (see the service test).
    responses = [
        response([1], True, 5),
        response([1], True, 4),
        response([2], False, 3),
        response([1], True, 2),
        response([3], False, 1),
    ]
    # Against the rest (100, 75, 75, 25, 25): 20 / sqrt(1.2 * 4500)
    assert corrected_point_biserial(responses) == pytest.approx(0.272166, abs=1e-6)
    # Against the whole percent (100, 80, 60, 40, 20) it would be 40 / sqrt(1.2 * 4000).
    whole = [(float(r.is_correct), 100 * r.attempt_correct / 5) for r in responses]
    assert pearson(whole) == pytest.approx(0.577350, abs=1e-6)


def test_corrected_point_biserial_skips_unanswered_and_one_question_attempts():
    responses = [
        response([1], True, 5),
        response([2], False, 1),
        response([], False, 0),  # unanswered: left out
        response([1], True, 1, questions=1),  # no rest score: left out
    ]
    # Two usable pairs, (1, 100) and (0, 25): a perfect positive correlation.
    assert corrected_point_biserial(responses) == pytest.approx(1.0)


def test_option_counts_list_every_choice_and_count_each_answer_once():
    responses = [response([1], True, 3), response([2, 2], False, 2), response([2, 99], False, 1)]
    # 99 is not an option any more (removed in an edit): not counted; duplicates count once.
    assert option_counts(CHOICES, responses) == {"1": 1, "2": 2, "3": 0, "4": 0}


def test_analyse_item_drops_unanswered_responses():
    analysis = analyse_item(
        CHOICES,
        [response([1], True, 4), response([3], False, 2), response([], False, 1)],
    )
    assert (analysis.answered, analysis.correct, analysis.facility) == (2, 1, 0.5)
    assert analysis.option_counts == {"1": 1, "2": 0, "3": 1, "4": 0}
    assert analysis.flags == ()  # 2 answers: far too few to flag


def test_analyse_item_with_no_answers():
    analysis = analyse_item(CHOICES, [])
    assert (analysis.answered, analysis.facility, analysis.discrimination) == (0, None, None)
    assert analysis.option_counts == {"1": 0, "2": 0, "3": 0, "4": 0}


ALL_CHOSEN = {"1": 10, "2": 10, "3": 5, "4": 5}


@pytest.mark.parametrize(
    ("facility", "discrimination", "counts", "expected"),
    [
        (0.5, 0.3, ALL_CHOSEN, ()),
        (0.19, 0.3, ALL_CHOSEN, (TOO_HARD,)),
        (0.2, 0.3, ALL_CHOSEN, ()),  # "below 0.2": 0.2 itself is fine
        (0.96, 0.3, ALL_CHOSEN, (TOO_EASY,)),
        (0.95, 0.3, ALL_CHOSEN, ()),  # "above 0.95": 0.95 itself is fine
        (0.5, -0.01, ALL_CHOSEN, (NEGATIVE_DISCRIMINATION,)),
        (0.5, 0.0, ALL_CHOSEN, ()),
        (0.5, None, ALL_CHOSEN, ()),
        (0.5, 0.3, {**ALL_CHOSEN, "3": 0}, (DEAD_DISTRACTOR,)),
        (0.5, 0.3, {**ALL_CHOSEN, "1": 0}, ()),  # an unchosen keyed option is no distractor
        (0.1, -0.2, {**ALL_CHOSEN, "4": 0}, (TOO_HARD, NEGATIVE_DISCRIMINATION, DEAD_DISTRACTOR)),
    ],
)
def test_flags_with_enough_answers(facility, discrimination, counts, expected):
    flags = item_flags(
        answered=30,
        facility=facility,
        discrimination=discrimination,
        counts=counts,
        choices=CHOICES,
    )
    assert flags == expected


def test_no_flags_below_thirty_answers():
    flags = item_flags(
        answered=29,
        facility=0.05,
        discrimination=-0.5,
        counts={**ALL_CHOSEN, "4": 0},
        choices=CHOICES,
    )
    assert flags == ()


def test_the_definitions_name_the_attempt_as_the_unit():
    definitions = statistics.__doc__
    assert "one submitted attempt is one learner response" in definitions
    assert "a learner who sits an exam twice counts twice" in definitions

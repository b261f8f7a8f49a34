import pytest
from hypothesis import given
from hypothesis import strategies as st

from questions.scoring import DEFAULT_PASSING_PERCENT, apportion, is_answer_correct, scaled_score

SAA = {1: 30, 2: 26, 3: 24, 4: 20}
SAP = {1: 26, 2: 29, 3: 25, 4: 20}


def test_apportion_saa_full_mock():
    # Exact shares 19.5, 16.9, 15.6, 13.0: floors 63, the two left go to .9 and .6.
    assert apportion(65, SAA) == {1: 19, 2: 17, 3: 16, 4: 13}


def test_apportion_sap_full_mock():
    # Exact shares 19.5, 21.75, 18.75, 15.0: floors 73; .75 ties go to the heavier domain 2 first.
    assert apportion(75, SAP) == {1: 19, 2: 22, 3: 19, 4: 15}


def test_apportion_small_practice_set():
    assert apportion(10, SAA) == {1: 3, 2: 3, 3: 2, 4: 2}
    assert apportion(1, SAA) == {1: 1, 2: 0, 3: 0, 4: 0}


@given(
    total=st.integers(min_value=0, max_value=500),
    weights=st.dictionaries(st.integers(1, 8), st.integers(1, 100), min_size=1, max_size=8),
)
def test_apportion_sums_exactly_and_stays_within_one_of_the_share(total, weights):
    counts = apportion(total, weights)
    assert sum(counts.values()) == total
    weight_sum = sum(weights.values())
    for key, count in counts.items():
        assert abs(count - total * weights[key] / weight_sum) < 1


@pytest.mark.parametrize(
    ("selected", "correct", "expected"),
    [
        ({3}, {3}, True),
        ({2}, {3}, False),
        (set(), {3}, False),  # unanswered counts as wrong
        ({1, 4}, {1, 4}, True),
        ({1}, {1, 4}, False),  # no partial credit
        ({1, 4, 5}, {1, 4}, False),
    ],
)
def test_is_answer_correct(selected, correct, expected):
    assert is_answer_correct(selected=selected, correct=correct) is expected


@pytest.mark.parametrize(
    ("percent", "expected_saa", "expected_sap"),
    [(0, 100, 100), (DEFAULT_PASSING_PERCENT, 720, 750), (100, 1000, 1000)],
)
def test_scaled_score_anchor_points(percent, expected_saa, expected_sap):
    assert scaled_score(percent=percent, score_min=100, score_max=1000, passing_score=720) == (
        expected_saa
    )
    assert scaled_score(percent=percent, score_min=100, score_max=1000, passing_score=750) == (
        expected_sap
    )


def test_scaled_score_just_below_the_cut_fails():
    below = scaled_score(percent=71.9, score_min=100, score_max=1000, passing_score=720)
    assert below < 720


@given(st.floats(0, 100), st.floats(0, 100))
def test_scaled_score_is_monotonic(a, b):
    low, high = sorted((a, b))
    args = dict(score_min=100, score_max=1000, passing_score=720)
    assert scaled_score(percent=low, **args) <= scaled_score(percent=high, **args)


def test_scaled_score_rejects_impossible_percentages():
    with pytest.raises(ValueError):
        scaled_score(percent=101, score_min=100, score_max=1000, passing_score=720)

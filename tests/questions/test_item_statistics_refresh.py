"""The item statistics service: hand-worked values on real attempts, the automatic flags, the
refresh after a submission, and a query count that does not grow with the questions."""

from io import StringIO

import factory
import pytest
from django.core.management import call_command

from questions.models import Attempt, ItemStatistic, Question
from questions.services import (
    attempt_answer,
    attempt_start_practice,
    attempt_submit,
)
from questions.services.statistics import item_statistics_refresh
from tests.notes.factories import CertificationFactory, DomainFactory
from tests.questions.factories import (
    QuestionFactory,
    SubmittedAnswerFactory,
    SubmittedAttemptFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# --- A hand-built set: six learners, five questions -------------------------------------------
#
# Q1 single answer (A keyed), Q2 choose two of five (A and B keyed), Q3-Q5 single answer (A).
# Letters are the bank's positions. "-" is unanswered (scored wrong, left out of statistics).
#
#         Q1  Q2    Q3  Q4  Q5   correct   percent
#   L1    A   A+B   A   A   A    5 of 5    100
#   L2    A   A+C   A   A   A    4 of 5     80
#   L3    B   A+B   A   A   B    3 of 5     60
#   L4    A   B+D   A   B   B    2 of 5     40
#   L5    C   C+D   A   B   B    1 of 5     20
#   L6    -   A+B   A   A   B    3 of 5     60
#
# A seventh learner answers Q1 with B but never submits: in-progress attempts do not count.
HAND_BUILT = {
    "L1": {"q1": "A", "q2": "AB", "q3": "A", "q4": "A", "q5": "A"},
    "L2": {"q1": "A", "q2": "AC", "q3": "A", "q4": "A", "q5": "A"},
    "L3": {"q1": "B", "q2": "AB", "q3": "A", "q4": "A", "q5": "B"},
    "L4": {"q1": "A", "q2": "BD", "q3": "A", "q4": "B", "q5": "B"},
    "L5": {"q1": "C", "q2": "CD", "q3": "A", "q4": "B", "q5": "B"},
    "L6": {"q1": "", "q2": "AB", "q3": "A", "q4": "A", "q5": "B"},
}
EXPECTED_TOTALS = {"L1": 5, "L2": 4, "L3": 3, "L4": 2, "L5": 1, "L6": 3}


@pytest.fixture
def hand_built():
    domain = DomainFactory()
    questions = {
        "q1": QuestionFactory(domain=domain, key="q1"),
        "q2": QuestionFactory(
            domain=domain, key="q2", kind=Question.Kind.MULTIPLE, select_count=2, choices=5
        ),
        "q3": QuestionFactory(domain=domain, key="q3"),
        "q4": QuestionFactory(domain=domain, key="q4"),
        "q5": QuestionFactory(domain=domain, key="q5"),
    }
    letters = {
        name: {"ABCDE"[i]: c.pk for i, c in enumerate(q.choices.order_by("position"))}
        for name, q in questions.items()
    }
    ids = [q.pk for q in questions.values()]

    def sit(learner_answers: dict[str, str], *, submit: bool = True) -> Attempt:
        attempt = attempt_start_practice(
            learner=UserFactory(password=factory.Transformer.Force("!")),
            certification=domain.certification,
            question_ids=ids,
        )
        position_of = {item.question_id: item.position for item in attempt.items.all()}
        for name, picked in learner_answers.items():
            if picked:
                attempt_answer(
                    attempt=attempt,
                    position=position_of[questions[name].pk],
                    choice_ids=[letters[name][letter] for letter in picked],
                )
        return attempt_submit(attempt=attempt) if submit else attempt

    attempts = {learner: sit(answers) for learner, answers in HAND_BUILT.items()}
    sit({"q1": "B"}, submit=False)
    return questions, letters, attempts


def test_the_hand_built_attempts_score_as_the_table_says(hand_built):
    _, _, attempts = hand_built
    assert {name: a.correct_count for name, a in attempts.items()} == EXPECTED_TOTALS


def test_statistics_match_values_worked_out_by_hand(hand_built):
    questions, letters, _ = hand_built
    assert item_statistics_refresh(question_ids=[q.pk for q in questions.values()]) == 5
    stats = {s.question.key: s for s in ItemStatistic.objects.select_related("question")}

    # Q1: L6 left it unanswered, L7 never submitted: five answers (L1-L5), three correct.
    # facility = 3 / 5 = 0.6
    # Rest score = percent correct of the other 4 questions = 100 * (total - item) / 4:
    #   L1 (5-1)/4 = 100, L2 (4-1)/4 = 75, L3 (3-0)/4 = 75, L4 (2-1)/4 = 25, L5 (1-0)/4 = 25
    # item x = 1, 1, 0, 1, 0 (mean 0.6); rest y = 100, 75, 75, 25, 25 (mean 60)
    # dx = .4, .4, -.6, .4, -.6;  dy = 40, 15, 15, -35, -35
    # Sxy = 16 + 6 - 9 - 14 + 21 = 20;  Sxx = 3(.16) + 2(.36) = 1.2
    # Syy = 1600 + 225 + 225 + 1225 + 1225 = 4500
    # r = 20 / sqrt(1.2 * 4500) = 20 / sqrt(5400) = 0.27217
    # (The uncorrected version, against the whole percent 100, 80, 60, 40, 20, would give
    # 40 / sqrt(1.2 * 4000) = 0.57735: the item correlating with itself.)
    q1 = stats["q1"]
    assert (q1.answered, q1.correct) == (5, 3)
    assert q1.facility == pytest.approx(0.6)
    assert q1.discrimination == pytest.approx(20 / 5400**0.5)
    assert q1.discrimination == pytest.approx(0.27217, abs=1e-5)
    # Chosen: A by L1, L2, L4; B by L3; C by L5; D by nobody (still listed).
    assert q1.option_counts == {
        str(letters["q1"]["A"]): 3,
        str(letters["q1"]["B"]): 1,
        str(letters["q1"]["C"]): 1,
        str(letters["q1"]["D"]): 0,
    }

    # Q2: six answers; correct (A+B) for L1, L3, L6 -> facility 3 / 6 = 0.5
    # Rest: L1 (5-1)/4 = 100, L2 (4-0)/4 = 100, L3 (3-1)/4 = 50, L4 (2-0)/4 = 50,
    #       L5 (1-0)/4 = 25, L6 (3-1)/4 = 50
    # x = 1, 0, 1, 0, 0, 1 (mean .5); y = 100, 100, 50, 50, 25, 50 (mean 62.5)
    # dx = ±.5;  dy = 37.5, 37.5, -12.5, -12.5, -37.5, -12.5
    # Sxy = 18.75 - 18.75 - 6.25 + 6.25 + 18.75 - 6.25 = 12.5;  Sxx = 6(.25) = 1.5
    # Syy = 2(1406.25) + 3(156.25) + 1406.25 = 4687.5
    # r = 12.5 / sqrt(1.5 * 4687.5) = 12.5 / sqrt(7031.25) = 0.14907
    q2 = stats["q2"]
    assert (q2.answered, q2.correct) == (6, 3)
    assert q2.facility == pytest.approx(0.5)
    assert q2.discrimination == pytest.approx(0.14907, abs=1e-5)
    # A: L1 L2 L3 L6 = 4; B: L1 L3 L4 L6 = 4; C: L2 L5 = 2; D: L4 L5 = 2; E: 0
    assert q2.option_counts == {
        str(letters["q2"][letter]): count
        for letter, count in {"A": 4, "B": 4, "C": 2, "D": 2, "E": 0}.items()
    }

    # Q3: everyone right: facility 1, and no variance in the item score -> no correlation.
    q3 = stats["q3"]
    assert (q3.answered, q3.correct, q3.facility, q3.discrimination) == (6, 6, 1.0, None)

    # Q5: right only for L1 and L2, the two best rest scores: (5-1)/4 = 100, (4-1)/4 = 75;
    # the rest: L3 3/4 = 75, L4 2/4 = 50, L5 1/4 = 25, L6 3/4 = 75 -> strongly positive.
    assert stats["q5"].facility == pytest.approx(2 / 6)
    assert stats["q5"].discrimination > 0.5

    # Fewer than 30 answers: a dead distractor (Q1's D, Q2's E) raises no flag yet.
    assert all(s.flags == [] and s.flag_count == 0 for s in stats.values())


def test_refresh_again_updates_the_rows_in_place(hand_built):
    questions, letters, _ = hand_built
    ids = [q.pk for q in questions.values()]
    item_statistics_refresh(question_ids=ids)
    first = ItemStatistic.objects.get(question=questions["q1"]).computed_at
    # One more learner answers Q1 with D (wrong): 6 answers, 3 correct.
    SubmittedAnswerFactory(
        question=questions["q1"], selected=[letters["q1"]["D"]], is_correct=False
    )
    assert item_statistics_refresh(question_ids=ids) == 5
    assert ItemStatistic.objects.count() == 5
    q1 = ItemStatistic.objects.get(question=questions["q1"])
    assert (q1.answered, q1.correct, q1.facility) == (6, 3, 0.5)
    assert q1.option_counts[str(letters["q1"]["D"])] == 1
    assert q1.computed_at >= first


def test_a_question_nobody_answered_gets_an_empty_row():
    question = QuestionFactory()
    SubmittedAnswerFactory(question=question, selected=[])  # time ran out
    assert item_statistics_refresh(question_ids=[question.pk, 999_999]) == 1
    statistic = ItemStatistic.objects.get(question=question)
    assert (statistic.answered, statistic.correct) == (0, 0)
    assert statistic.facility is None and statistic.discrimination is None
    assert sorted(statistic.option_counts.values()) == [0, 0, 0, 0]
    assert statistic.flags == []


def test_refresh_of_no_questions_writes_nothing():
    QuestionFactory()
    assert item_statistics_refresh(question_ids=[]) == 0
    assert not ItemStatistic.objects.exists()


# --- The automatic flags -----------------------------------------------------------------------


def answers(question: Question, rows: list[tuple[str, bool, int]]) -> None:
    """One submitted 10-question attempt per row: (letters chosen, correct?, attempt correct)."""
    by_letter = {"ABCD"[i]: c.pk for i, c in enumerate(question.choices.order_by("position"))}
    attempts = SubmittedAttemptFactory.create_batch(
        len(rows),
        certification=question.certification,
        question_count=10,
        correct_count=factory.Iterator([total for _, _, total in rows], cycle=False),
    )
    for attempt, (picked, correct, _) in zip(attempts, rows, strict=True):
        SubmittedAnswerFactory(
            attempt=attempt,
            question=question,
            selected=[by_letter[letter] for letter in picked],
            is_correct=correct,
        )


def flags_of(question: Question) -> list[str]:
    item_statistics_refresh(question_ids=[question.pk])
    return ItemStatistic.objects.get(question=question).flags


def wrong_spread(count: int, letters: str = "BCD") -> list[str]:
    return [letters[i % len(letters)] for i in range(count)]


def test_too_hard_at_facility_one_tenth():
    question = QuestionFactory()
    # 3 of 30 right (facility 0.1), the right ones from strong attempts (positive
    # discrimination), the 27 wrong ones spread over B, C and D.
    rows = [("A", True, 9)] * 3 + [(w, False, 2 + i % 5) for i, w in enumerate(wrong_spread(27))]
    answers(question, rows)
    assert flags_of(question) == [ItemStatistic.Flag.TOO_HARD]
    statistic = ItemStatistic.objects.get(question=question)
    assert statistic.facility == pytest.approx(0.1)
    assert statistic.flag_count == 1


def test_too_easy_at_facility_097():
    question = QuestionFactory()
    # 97 of 100 right (0.97); the three wrong answers pick B, C and D once each.
    rows = [("A", True, 6 + i % 4) for i in range(97)] + [(w, False, 3) for w in "BCD"]
    answers(question, rows)
    assert flags_of(question) == [ItemStatistic.Flag.TOO_EASY]
    assert ItemStatistic.objects.get(question=question).facility == pytest.approx(0.97)


def test_negative_discrimination_when_the_strong_get_it_wrong():
    question = QuestionFactory()
    # Half right (15 of 30), but the right answers come from weak attempts (2 of 10 correct)
    # and the wrong ones from strong attempts (9 of 10).
    rows = [("A", True, 2)] * 15 + [(w, False, 9) for w in wrong_spread(15)]
    answers(question, rows)
    assert flags_of(question) == [ItemStatistic.Flag.NEGATIVE_DISCRIMINATION]
    # Every right answer has rest (2-1)/9, every wrong one 9/9: a perfect negative correlation.
    assert ItemStatistic.objects.get(question=question).discrimination == pytest.approx(-1.0)


def test_dead_distractor_when_nobody_picks_an_option():
    question = QuestionFactory()
    rows = [("A", True, 8)] * 15 + [(w, False, 3) for w in wrong_spread(15, "BC")]
    answers(question, rows)
    assert flags_of(question) == [ItemStatistic.Flag.DEAD_DISTRACTOR]
    d_id = str(question.choices.get(position=4).pk)
    assert ItemStatistic.objects.get(question=question).option_counts[d_id] == 0


def test_no_flag_below_thirty_answers_then_all_at_thirty():
    question = QuestionFactory()
    # Everything wrong with this item: hardly anyone right (2 of 29), those from the weakest
    # attempts, and nobody ever picks D. With 29 answers it is still too early to say.
    rows = [("A", True, 1)] * 2 + [(w, False, 8) for w in wrong_spread(27, "BC")]
    answers(question, rows)
    assert flags_of(question) == []
    assert ItemStatistic.objects.get(question=question).flag_count == 0
    assert not ItemStatistic.objects.flagged().exists()

    answers(question, [("B", False, 7)])  # the thirtieth answer
    assert flags_of(question) == [
        ItemStatistic.Flag.TOO_HARD,
        ItemStatistic.Flag.NEGATIVE_DISCRIMINATION,
        ItemStatistic.Flag.DEAD_DISTRACTOR,
    ]
    assert ItemStatistic.objects.get(question=question).flag_count == 3
    assert list(ItemStatistic.objects.flagged()) == [ItemStatistic.objects.get()]


def test_unanswered_items_do_not_count_towards_the_thirty():
    question = QuestionFactory()
    rows = [("A", True, 1)] * 2 + [(w, False, 8) for w in wrong_spread(27, "BC")]
    answers(question, rows)
    answers(question, [("", False, 0)] * 5)  # five learners ran out of time on it
    assert flags_of(question) == []
    assert ItemStatistic.objects.get(question=question).answered == 29


# --- Triggering and cost -----------------------------------------------------------------------


def test_submitting_an_attempt_refreshes_its_questions(django_capture_on_commit_callbacks):
    certification = CertificationFactory()
    domain = DomainFactory(certification=certification)
    asked = QuestionFactory.create_batch(3, domain=domain)
    other = QuestionFactory(domain=domain, status=Question.Status.DRAFT)
    attempt = attempt_start_practice(
        learner=UserFactory(), certification=certification, question_ids=[q.pk for q in asked]
    )
    first = attempt.items.order_by("position").first()
    keyed = first.question.choices.get(is_correct=True)
    attempt_answer(attempt=attempt, position=first.position, choice_ids=[keyed.pk])
    assert not ItemStatistic.objects.exists()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        attempt_submit(attempt=attempt)
    assert len(callbacks) == 1

    stats = {s.question_id: s for s in ItemStatistic.objects.all()}
    assert set(stats) == {q.pk for q in asked}
    assert other.pk not in stats
    assert (stats[first.question_id].answered, stats[first.question_id].facility) == (1, 1.0)
    assert stats[first.question_id].option_counts[str(keyed.pk)] == 1
    unanswered = [s for pk, s in stats.items() if pk != first.question_id]
    assert all(s.answered == 0 and s.facility is None for s in unanswered)


def test_refresh_query_count_does_not_grow_with_questions(django_assert_max_num_queries):
    domain = DomainFactory()
    questions = QuestionFactory.create_batch(20, domain=domain)
    for question in questions:
        answers(question, [("A", True, 7), ("B", False, 3), ("C", False, 5)])
    # Questions, choices, answers, one upsert (and the savepoint around them).
    with django_assert_max_num_queries(6):
        assert item_statistics_refresh(question_ids=[q.pk for q in questions]) == 20
    assert ItemStatistic.objects.filter(answered=3).count() == 20


def test_command_recomputes_every_question():
    answered = QuestionFactory()
    answers(answered, [("A", True, 7), ("B", False, 3)])
    never = QuestionFactory()
    out = StringIO()
    call_command("refresh_item_statistics", stdout=out)
    assert "Refreshed the statistics of 2 question(s)." in out.getvalue()
    assert "0 question(s) flagged" in out.getvalue()
    assert ItemStatistic.objects.get(question=answered).answered == 2
    assert ItemStatistic.objects.get(question=never).answered == 0


def test_a_learner_who_sits_twice_counts_as_two_responses():
    """Each submitted attempt is one response, compared with that sitting's own score."""
    question = QuestionFactory()
    wrong, keyed = question.choices.get(position=2), question.choices.get(is_correct=True)
    repeater = UserFactory(password=factory.Transformer.Force("!"))
    sittings = [
        (repeater, wrong, False, 2),  # first sitting: wrong, 2 of 10 in all
        (repeater, keyed, True, 8),  # second sitting: right, 8 of 10
        (UserFactory(password=factory.Transformer.Force("!")), keyed, True, 6),
    ]
    for learner, choice, correct, total in sittings:
        attempt = SubmittedAttemptFactory(
            learner=learner, certification=question.certification, correct_count=total
        )
        SubmittedAnswerFactory(
            attempt=attempt, question=question, selected=[choice.pk], is_correct=correct
        )

    item_statistics_refresh(question_ids=[question.pk])

    statistic = ItemStatistic.objects.get(question=question)
    assert (statistic.answered, statistic.correct) == (3, 2)
    assert statistic.facility == pytest.approx(2 / 3)
    # Rest-of-attempt scores in ninths: 2 (wrong), 7 and 5 (right). Deviations from the means
    # (2/3 and 14/3): x -2/3, 1/3, 1/3; y -8/3, 7/3, 1/3. Sxy = 24/9, Sxx = 6/9, Syy = 114/9,
    # so r = 24 / sqrt(6 × 114) = 12 / sqrt(171). Counting the learner once would leave only
    # right answers, and no discrimination at all.
    assert statistic.discrimination == pytest.approx(12 / 171**0.5)
    assert statistic.option_counts[str(wrong.pk)] == 1
    assert statistic.option_counts[str(keyed.pk)] == 2

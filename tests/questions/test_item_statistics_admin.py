"""The instructors' statistics pages in the admin: worst items first, read-only, filters, and
the difficulty by domain and service page."""

import factory
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from questions.models import ItemStatistic, Question
from questions.selectors import difficulty_by_domain, difficulty_by_service
from tests.notes.factories import CertificationFactory, DomainFactory, ServiceFactory
from tests.questions.factories import QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:questions_itemstatistic_changelist"
DIFFICULTY = "admin:questions_itemstatistic_difficulty"
NO_HASH = factory.Transformer.Force("!")


def statistic(question: Question, *, answered=40, correct=None, discrimination=0.3,
              flags=(), counts=None) -> ItemStatistic:  # fmt: skip
    """A stored statistic (as the refresh would write it) with option counts by position."""
    correct = answered // 2 if correct is None else correct
    choices = list(question.choices.order_by("position"))
    counts = counts or [answered // len(choices)] * len(choices)
    return ItemStatistic.objects.create(
        question=question,
        answered=answered,
        correct=correct,
        facility=correct / answered if answered else None,
        discrimination=discrimination if answered else None,
        option_counts={str(c.pk): n for c, n in zip(choices, counts, strict=True)},
        flags=list(flags),
        flag_count=len(flags),
        computed_at=timezone.now(),
    )


@pytest.fixture
def ranked():
    """Five items whose worst-first order is: two flags, one flag, hardest unflagged, easier
    unflagged, not answered yet."""
    domain = DomainFactory(name="Design Resilient Architectures")
    make = lambda key: QuestionFactory(key=key, domain=domain)  # noqa: E731
    statistic(
        make("worst-two-flags"),
        correct=4,
        discrimination=-0.2,
        flags=[ItemStatistic.Flag.TOO_HARD, ItemStatistic.Flag.NEGATIVE_DISCRIMINATION],
        counts=[4, 20, 16, 0],
    )
    statistic(make("second-too-easy"), correct=39, flags=[ItemStatistic.Flag.TOO_EASY],
              counts=[39, 1, 0, 0])  # fmt: skip
    statistic(make("third-hard-unflagged"), correct=12)
    statistic(make("fourth-easy-unflagged"), correct=32)
    statistic(make("last-no-answers"), answered=0, correct=0)
    return domain


def keys_in_order(html: str, keys: list[str]) -> list[str]:
    return sorted(keys, key=html.index)


RANKED_KEYS = [
    "worst-two-flags",
    "second-too-easy",
    "third-hard-unflagged",
    "fourth-easy-unflagged",
    "last-no-answers",
]


def test_changelist_lists_the_worst_items_first(instructor_client, ranked):
    response = instructor_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    html = response.content.decode()
    assert keys_in_order(html, RANKED_KEYS) == RANKED_KEYS
    assert "Item statistics: worst items first" in html
    # Human flag labels, facility and signed discrimination, the option summary.
    assert "Too hard (facility below 0.2)" in html
    assert "Negative discrimination" in html
    assert "0.10" in html and "−0.20" in html
    assert "A ✓ 4 · B 20 · C 16 · D 0" in html
    # The question links to its admin page; the difficulty page is one click away.
    worst = Question.objects.get(key="worst-two-flags")
    assert reverse("admin:questions_question_change", args=[worst.pk]) in html
    assert reverse(DIFFICULTY) in html
    # The option summary opens the item's own page with its full option table.
    assert reverse("admin:questions_itemstatistic_change", args=[worst.pk]) in html
    assert "corrected point-biserial" in html


def test_changelist_filters_by_flag(instructor_client, ranked):
    url = reverse(CHANGELIST)
    html = instructor_client.get(url, {"flag": "too_easy"}).content.decode()
    assert "second-too-easy" in html and "worst-two-flags" not in html
    html = instructor_client.get(url, {"flag": "negative_discrimination"}).content.decode()
    assert "worst-two-flags" in html and "second-too-easy" not in html
    html = instructor_client.get(url, {"flag": "any"}).content.decode()
    assert "worst-two-flags" in html and "second-too-easy" in html
    assert "third-hard-unflagged" not in html


def test_changelist_filters_by_answers_and_certification(instructor_client, ranked):
    url = reverse(CHANGELIST)
    html = instructor_client.get(url, {"answers": "none"}).content.decode()
    assert "last-no-answers" in html and "worst-two-flags" not in html
    other = QuestionFactory(key="other-certification-item")
    statistic(other)
    html = instructor_client.get(
        url, {"question__certification__id__exact": other.certification_id}
    ).content.decode()
    assert "other-certification-item" in html and "worst-two-flags" not in html


def test_changelist_query_count_does_not_grow_with_rows(
    instructor_client, ranked, django_assert_max_num_queries
):
    for _ in range(40):
        statistic(QuestionFactory(domain=ranked))
    with django_assert_max_num_queries(14):
        response = instructor_client.get(reverse(CHANGELIST))
    assert response.content.decode().count("test-question-") >= 40


def test_statistics_are_read_only_for_instructors(instructor_client, ranked):
    item = ItemStatistic.objects.get(question__key="worst-two-flags")
    assert instructor_client.get(reverse("admin:questions_itemstatistic_add")).status_code == 403
    delete_url = reverse("admin:questions_itemstatistic_delete", args=[item.pk])
    assert instructor_client.post(delete_url, {"post": "yes"}).status_code == 403
    change_url = reverse("admin:questions_itemstatistic_change", args=[item.pk])
    response = instructor_client.post(change_url, {"answered": 0})
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.answered == 40
    # Viewing one item shows its option table, without a save button.
    html = instructor_client.get(change_url).content.decode()
    assert "distractor" in html and 'name="_save"' not in html


def test_learners_cannot_reach_the_statistics(client, ranked):
    client.force_login(UserFactory(password=NO_HASH))
    for name in (CHANGELIST, DIFFICULTY):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]


def test_staff_without_the_permission_cannot_see_difficulty(client, ranked):
    client.force_login(UserFactory(username="staff-only", is_staff=True, password=NO_HASH))
    assert client.get(reverse(DIFFICULTY)).status_code == 403
    assert client.get(reverse(CHANGELIST)).status_code == 403


# --- Difficulty by domain and service ----------------------------------------------------------


@pytest.fixture
def two_domains():
    """Domain 1: facilities 0.2 (10 answers) and 0.6 (5 answers); domain 2: one item nobody
    answered. S3 tags both domain-1 items, EC2 only the second."""
    certification = CertificationFactory(code="TST-STATS")
    d1 = DomainFactory(certification=certification, number=1, name="Security")
    d2 = DomainFactory(certification=certification, number=2, name="Resilience")
    s3 = ServiceFactory(short_name="S3", name="Amazon S3")
    ec2 = ServiceFactory(short_name="EC2", name="Amazon EC2")
    hard = QuestionFactory(domain=d1, key="hard")
    hard.services.add(s3)
    easier = QuestionFactory(domain=d1, key="easier")
    easier.services.add(s3, ec2)
    statistic(hard, answered=10, correct=2, flags=[], counts=[2, 4, 2, 2])
    statistic(easier, answered=5, correct=3, counts=[3, 1, 1, 0])
    statistic(QuestionFactory(domain=d2, key="unanswered"), answered=0, correct=0)
    return certification


def test_difficulty_by_domain_worked_by_hand(two_domains):
    rows = difficulty_by_domain(two_domains)
    assert [(r.key, r.label) for r in rows] == [("TST-STATS 1", "Security"),
                                                ("TST-STATS 2", "Resilience")]  # fmt: skip
    security, resilience = rows
    # Mean of the item facilities (0.2 + 0.6) / 2 = 0.4; pooled share (2 + 3) / (10 + 5) = 1/3.
    assert security.mean_facility == pytest.approx(0.4)
    assert security.share_correct == pytest.approx(1 / 3)
    assert (security.items, security.answered_items, security.answers) == (2, 2, 15)
    # An item nobody answered counts as an item, not towards the mean.
    assert (resilience.items, resilience.answered_items, resilience.answers) == (1, 0, 0)
    assert resilience.mean_facility is None and resilience.share_correct is None


def test_difficulty_by_service_hardest_first(two_domains):
    rows = difficulty_by_service(two_domains)
    # S3: items 0.2 and 0.6 -> mean 0.4, 15 answers; EC2: the 0.6 item only, 5 answers.
    assert [(r.key, r.answers) for r in rows] == [("S3", 15), ("EC2", 5)]
    assert [r.mean_facility for r in rows] == [pytest.approx(0.4), pytest.approx(0.6)]
    assert difficulty_by_service(CertificationFactory(code="TST-EMPTY")) == []


def test_difficulty_page_renders_chart_and_tables(
    instructor_client, two_domains, django_assert_max_num_queries
):
    url = reverse(DIFFICULTY)
    with django_assert_max_num_queries(10):
        response = instructor_client.get(url, {"certification": "TST-STATS"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-labelledby="domains-chart-title domains-chart-desc"' in html
    assert 'aria-labelledby="services-chart-title services-chart-desc"' in html
    # The text alternative of the domain chart and the tables carry the same numbers.
    assert "TST-STATS 1 · Security: mean facility 0.40 over 15 answers." in html
    assert "TST-STATS 2 · Resilience: no answers yet." in html
    assert '<abbr title="Amazon S3">S3</abbr>' in html
    assert "0.33" in html  # Security's share correct
    assert "2 of 2" in html and "0 of 1" in html


def test_difficulty_page_reports_an_unknown_certification(instructor_client, two_domains):
    response = instructor_client.get(reverse(DIFFICULTY), {"certification": "NOPE"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Select a valid choice" in html
    assert "Showing all certifications" in html
    assert "Security" in html


def test_difficulty_page_is_get_only(instructor_client):
    assert instructor_client.post(reverse(DIFFICULTY)).status_code == 405


def test_domain_filter_query_count_does_not_grow_with_domains(instructor_client, ranked):
    url = reverse(CHANGELIST)
    instructor_client.get(url)  # warm the caches (content types, permissions)
    with CaptureQueriesContext(connection) as few_domains:
        instructor_client.get(url)
    # Each domain under its own certification: naming one reads its certification's code.
    for _ in range(8):
        DomainFactory(certification=CertificationFactory())

    with CaptureQueriesContext(connection) as many_domains:
        response = instructor_client.get(url)

    assert len(many_domains) == len(few_domains)
    html = response.content.decode()
    assert f"question__domain__id__exact={ranked.pk}" in html
    assert str(ranked) in html  # listed as "<exam code> D<number> <name>"
    filtered = instructor_client.get(url, {"question__domain__id__exact": ranked.pk})
    assert filtered.context["cl"].result_count == 5


def test_definitions_say_each_attempt_is_one_learner_response(instructor_client, ranked):
    for url in (reverse(CHANGELIST), reverse(DIFFICULTY)):
        html = instructor_client.get(url).content.decode()
        assert "Each submitted attempt counts as one learner response" in html
        assert "a learner who sits an exam twice counts twice" in html

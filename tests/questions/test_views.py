import pytest
from django.urls import reverse

from questions.models import Question
from tests.questions.factories import QuestionFactory

pytestmark = pytest.mark.django_db


def test_home_page_shows_both_blueprints(client, catalog):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    for expected in [
        "SAA-C03",
        "SAP-C02",
        "130 minutes",
        "180 minutes",
        "720",
        "750",
        "Design Secure Architectures",
        "30%",
        "Accelerate Workload Migration and Modernization",
        "20%",
        "50 scored, 15 unscored",
        "65 scored, 10 unscored",
    ]:
        assert expected in html, expected


def test_home_page_counts_published_questions(client, catalog):
    from notes.models import Domain

    domain = Domain.objects.get(certification__code="SAA-C03", number=1)
    QuestionFactory.create_batch(3, domain=domain, status=Question.Status.PUBLISHED)
    QuestionFactory(domain=domain, status=Question.Status.DRAFT)
    response = client.get(reverse("home"))
    assert "3 published" in response.content.decode()


def test_home_page_query_count_does_not_grow_with_certifications(
    client, catalog, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        client.get(reverse("home"))


def test_home_page_rejects_post(client):
    assert client.post(reverse("home")).status_code == 405


def test_home_page_with_nothing_loaded_says_how_to_load(client):
    response = client.get(reverse("home"))
    assert "make run" in response.content.decode()


def test_home_page_invites_newcomers_to_sign_up(client):
    html = client.get(reverse("home")).content.decode()
    assert reverse("signup") in html and reverse("login") in html
    assert reverse("dashboard") not in html


def test_home_page_sends_learners_to_their_dashboard(client):
    from tests.questions.factories import UserFactory

    client.force_login(UserFactory())
    html = client.get(reverse("home")).content.decode()
    assert "Go to your dashboard" in html
    assert f'<form method="post" action="{reverse("logout")}"' in html  # log out is a POST
    assert reverse("signup") not in html


def test_signed_in_learner_visiting_sign_up_goes_to_the_dashboard(client):
    from tests.questions.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(reverse("signup")).url == reverse("dashboard")


def test_every_page_has_a_favicon_so_browsers_do_not_ask_for_one(client):
    assert 'rel="icon" href="data:image/svg+xml' in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 s"), (45, "45 s"), (125, "2 min 5 s"), (600, "10 min"), (7830, "2 h 10 min")],
)
def test_duration_filter(seconds, text):
    from datetime import timedelta

    from questions.templatetags.exam import duration

    assert duration(timedelta(seconds=seconds)) == text


def test_markdown_filter_sanitises():
    from questions.templatetags.exam import markdown

    html = markdown("**bold** <script>alert(1)</script> <a href='javascript:x' onclick='y'>z</a>")
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "javascript:" not in html and "onclick" not in html


def test_minutes_left_rounds_up_and_never_goes_negative():
    from datetime import datetime, timedelta

    from questions.templatetags.exam import minutes_left

    now = datetime(2026, 1, 1, 12, 0)
    assert minutes_left(now + timedelta(seconds=61), now) == 2
    assert minutes_left(now + timedelta(seconds=1), now) == 1
    assert minutes_left(now - timedelta(minutes=3), now) == 0
    assert minutes_left(None, now) == 0

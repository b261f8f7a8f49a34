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

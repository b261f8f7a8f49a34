"""The shipped blueprints and service catalog load, are consistent, and reload idempotently."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from notes.models import Certification, Domain, Service, TaskStatement
from notes.services import blueprint_load

pytestmark = pytest.mark.django_db

EXPECTED = {
    "SAA-C03": dict(
        question_count=65,
        unscored_count=15,
        minutes=130,
        passing_score=720,
        weights=[30, 26, 24, 20],
        statements=[3, 2, 5, 4],
    ),
    "SAP-C02": dict(
        question_count=75,
        unscored_count=10,
        minutes=180,
        passing_score=750,
        weights=[26, 29, 25, 20],
        statements=[5, 6, 5, 4],
    ),
}


def test_blueprints_match_the_official_exam_guides(catalog):
    for code, expected in EXPECTED.items():
        certification = Certification.objects.get(code=code)
        assert certification.question_count == expected["question_count"]
        assert certification.unscored_count == expected["unscored_count"]
        assert certification.minutes == expected["minutes"]
        assert certification.passing_score == expected["passing_score"]
        assert (certification.score_min, certification.score_max) == (100, 1000)
        domains = list(certification.domains.order_by("number"))
        assert [d.weight for d in domains] == expected["weights"]
        assert [d.task_statements.count() for d in domains] == expected["statements"]


def test_every_certification_weights_sum_to_100(catalog):
    for certification in Certification.objects.all():
        certification.validate_weights()
        assert sum(d.weight for d in certification.domains.all()) == 100


def test_service_catalog_loads_with_features_under_services(catalog):
    assert Service.objects.count() >= 120
    features = Service.objects.filter(kind=Service.Kind.FEATURE)
    assert features.exists()
    assert not features.filter(parent__isnull=True).exists()
    s3 = Service.objects.get(short_name="S3")
    assert "Simple Storage Service" in " ".join([s3.name, *s3.aliases])


def test_load_catalog_is_idempotent(catalog):
    counts = (Domain.objects.count(), TaskStatement.objects.count(), Service.objects.count())
    out = StringIO()
    call_command("load_catalog", stdout=out)
    assert "0 created, 0 updated" in out.getvalue()
    assert (
        Domain.objects.count(),
        TaskStatement.objects.count(),
        Service.objects.count(),
    ) == counts


def test_load_catalog_dry_run_writes_nothing(db):
    out = StringIO()
    call_command("load_catalog", "--dry-run", stdout=out)
    assert "Dry run" in out.getvalue()
    assert not Certification.objects.exists()
    assert not Service.objects.exists()


def test_a_blueprint_whose_weights_do_not_sum_to_100_is_rejected(tmp_path: Path):
    bad = tmp_path / "certifications.yaml"
    bad.write_text(
        "certifications:\n"
        "  - {code: BAD-01, name: Bad, level: associate, question_count: 10, unscored_count: 0,\n"
        "     minutes: 10, passing_score: 700, score_min: 100, score_max: 1000,\n"
        "     domains: [{number: 1, name: One, weight: 60, task_statements: []},\n"
        "               {number: 2, name: Two, weight: 30, task_statements: []}]}\n"
    )
    with pytest.raises(Exception, match=r"add up to 90%"):
        blueprint_load(path=bad)
    assert not Certification.objects.filter(code="BAD-01").exists()


def test_load_catalog_reports_a_broken_file_clearly(settings, tmp_path: Path):
    (tmp_path / "certifications.yaml").write_text("certifications: [unclosed\n")
    settings.FIXTURES_DIR = tmp_path
    with pytest.raises(CommandError, match=r"certifications\.yaml: cannot read"):
        call_command("load_catalog", stdout=StringIO())

"""Blueprint and catalog rules: database constraints and model validation, bad row vs good row."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from notes.models import Certification, Domain, Service
from tests.notes.factories import (
    CertificationFactory,
    DomainFactory,
    FactFactory,
    SectionFactory,
    ServiceFactory,
    TaskStatementFactory,
)

pytestmark = pytest.mark.django_db


def assert_integrity_error(create) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_certification_code_is_unique():
    Certification.objects.create(
        code="X-01", name="X", level="associate", question_count=10, minutes=10, passing_score=700
    )
    assert_integrity_error(
        lambda: Certification.objects.create(
            code="X-01",
            name="Y",
            level="associate",
            question_count=10,
            minutes=10,
            passing_score=700,
        )
    )


@pytest.mark.parametrize(
    ("field", "bad_value"),
    [
        ("question_count", 0),
        ("unscored_count", 65),  # as many unscored as questions in all
        ("minutes", 0),
        ("passing_score", 50),  # below the score range
        ("passing_score", 1200),  # above it
    ],
)
def test_certification_constraints_reject_bad_rows(field, bad_value):
    assert_integrity_error(lambda: CertificationFactory(**{field: bad_value}))


def test_certification_constraints_accept_a_good_row():
    certification = CertificationFactory(question_count=65, unscored_count=15, passing_score=720)
    certification.full_clean()
    assert certification.scored_count == 50


@pytest.mark.parametrize("weight", [101, 150])
def test_domain_weight_above_100_is_rejected_by_the_database(weight):
    assert_integrity_error(lambda: DomainFactory(weight=weight))


@pytest.mark.parametrize("weight", [0, 26, 100])
def test_domain_weight_0_to_100_is_accepted(weight):
    domain = DomainFactory(weight=weight)
    domain.full_clean()


def test_domain_weight_over_100_fails_model_validation_before_the_database():
    domain = DomainFactory.build(certification=CertificationFactory(), weight=120)
    with pytest.raises(ValidationError) as excinfo:
        domain.full_clean()
    assert "weight" in excinfo.value.message_dict


def test_domain_number_is_unique_per_certification():
    domain = DomainFactory(number=1)
    assert_integrity_error(lambda: DomainFactory(certification=domain.certification, number=1))
    DomainFactory(number=1)  # the same number in another certification is fine


def test_weights_must_add_up_to_100():
    certification = CertificationFactory()
    DomainFactory(certification=certification, number=1, weight=60)
    DomainFactory(certification=certification, number=2, weight=30)
    with pytest.raises(ValidationError, match="add up to 90%"):
        certification.validate_weights()
    DomainFactory(certification=certification, number=3, weight=10)
    certification.validate_weights()


def test_task_statement_code_is_unique_within_its_domain():
    statement = TaskStatementFactory(code="1.1", domain__number=1)
    assert_integrity_error(lambda: TaskStatementFactory(domain=statement.domain, code="1.1"))


def test_task_statement_code_must_match_its_domain():
    domain = DomainFactory(number=2)
    bad = TaskStatementFactory.build(domain=domain, code="3.1")
    with pytest.raises(ValidationError) as excinfo:
        bad.full_clean()
    assert "code" in excinfo.value.message_dict
    TaskStatementFactory.build(domain=domain, code="2.4").full_clean()


def test_task_statement_code_has_the_dotted_form():
    with pytest.raises(ValidationError):
        TaskStatementFactory.build(domain=DomainFactory(number=1), code="1-2").full_clean()


def test_service_names_are_unique():
    ServiceFactory(short_name="S3", name="Amazon Simple Storage Service")
    assert_integrity_error(lambda: ServiceFactory(short_name="S3"))
    assert_integrity_error(lambda: ServiceFactory(name="Amazon Simple Storage Service"))


def test_a_feature_needs_a_parent_service():
    feature = ServiceFactory.build(kind=Service.Kind.FEATURE, parent=None)
    with pytest.raises(ValidationError) as excinfo:
        feature.full_clean()
    assert "parent" in excinfo.value.message_dict
    feature.parent = ServiceFactory(short_name="EC2")
    feature.full_clean()


def test_service_aliases_are_a_list_of_names():
    with pytest.raises(ValidationError):
        ServiceFactory.build(aliases="S3").full_clean()
    ServiceFactory.build(aliases=["Amazon S3"]).full_clean()


def test_section_and_fact_line_ranges_must_be_ordered():
    assert_integrity_error(lambda: SectionFactory(line_start=10, line_end=9))
    assert_integrity_error(lambda: SectionFactory(line_start=0, line_end=9))
    section = SectionFactory(line_start=5, line_end=9)
    assert_integrity_error(lambda: FactFactory(section=section, line_start=8, line_end=7))
    FactFactory(section=section, line_start=6, line_end=6)


def test_fact_tag_confidence_is_between_0_and_1():
    fact = FactFactory()
    statement = TaskStatementFactory()
    assert_integrity_error(lambda: fact.tags.create(task_statement=statement, confidence=1.5))
    assert_integrity_error(lambda: fact.tags.create(task_statement=statement, confidence=0))
    fact.tags.create(task_statement=statement, confidence=0.7)


def test_domain_str_names_its_certification():
    domain = DomainFactory(certification__code="SAA-C03", number=3, name="Perf")
    assert str(domain) == "SAA-C03 D3 Perf"
    assert isinstance(domain, Domain)

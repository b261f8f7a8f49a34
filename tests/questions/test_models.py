"""Question rules: the database constraint on select counts and the choice-set validation."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from questions.models import ChoiceSpec, Question, validate_choice_set
from tests.notes.factories import DomainFactory, TaskStatementFactory
from tests.questions.factories import ChoiceFactory, QuestionFactory

pytestmark = pytest.mark.django_db


def specs(*flags: bool) -> list[ChoiceSpec]:
    return [ChoiceSpec(f"Option {i}", flag) for i, flag in enumerate(flags)]


def test_single_answer_needs_exactly_one_correct_choice():
    with pytest.raises(ValidationError, match="exactly one correct"):
        validate_choice_set(kind="single", select_count=1, choices=specs(True, True, False, False))
    with pytest.raises(ValidationError, match="exactly one correct"):
        validate_choice_set(
            kind="single", select_count=1, choices=specs(False, False, False, False)
        )
    validate_choice_set(kind="single", select_count=1, choices=specs(True, False, False, False))


def test_single_answer_needs_at_least_four_choices():
    with pytest.raises(ValidationError, match="at least 4 choices"):
        validate_choice_set(kind="single", select_count=1, choices=specs(True, False, False))


def test_multiple_response_needs_exactly_select_count_correct():
    with pytest.raises(ValidationError, match="exactly 2 correct"):
        validate_choice_set(
            kind="multiple", select_count=2, choices=specs(True, True, True, False, False)
        )
    validate_choice_set(
        kind="multiple", select_count=2, choices=specs(True, True, False, False, False)
    )


def test_multiple_response_needs_select_count_plus_two_choices():
    with pytest.raises(ValidationError, match="at least 5 choices"):
        validate_choice_set(kind="multiple", select_count=3, choices=specs(True, True, True, False))
    validate_choice_set(
        kind="multiple", select_count=3, choices=specs(True, True, True, False, False)
    )


def test_choices_must_differ_and_have_text():
    with pytest.raises(ValidationError, match="same text"):
        validate_choice_set(
            kind="single",
            select_count=1,
            choices=[ChoiceSpec("S3", True), ChoiceSpec(" s3 ", False), *specs(False, False)],
        )
    with pytest.raises(ValidationError, match="has text"):
        validate_choice_set(
            kind="single",
            select_count=1,
            choices=[ChoiceSpec("  ", True), *specs(False, False, False)],
        )


def test_database_rejects_multiple_response_with_select_count_below_two():
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionFactory(kind=Question.Kind.MULTIPLE, select_count=1, choices=0)


def test_database_rejects_single_answer_with_select_count_two():
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionFactory(kind=Question.Kind.SINGLE, select_count=2, choices=0)


def test_database_accepts_valid_kinds():
    QuestionFactory(kind=Question.Kind.MULTIPLE, select_count=2)
    QuestionFactory(kind=Question.Kind.SINGLE, select_count=1)


def test_question_key_is_unique():
    QuestionFactory(key="s3-max-object")
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionFactory(key="s3-max-object", choices=0)


def test_choice_position_is_unique_per_question():
    question = QuestionFactory(choices=0)
    ChoiceFactory(question=question, position=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ChoiceFactory(question=question, position=1)


def test_question_domain_must_belong_to_its_certification():
    question = QuestionFactory()
    question.domain = DomainFactory()  # another certification
    with pytest.raises(ValidationError) as excinfo:
        question.full_clean()
    assert "domain" in excinfo.value.message_dict


def test_task_statement_must_belong_to_the_question_domain():
    question = QuestionFactory()
    question.task_statement = TaskStatementFactory()
    with pytest.raises(ValidationError) as excinfo:
        question.full_clean()
    assert "task_statement" in excinfo.value.message_dict
    question.task_statement = TaskStatementFactory(
        domain=question.domain, code=f"{question.domain.number}.3"
    )
    question.full_clean()


def test_validate_choices_reads_saved_rows():
    question = QuestionFactory(kind=Question.Kind.MULTIPLE, select_count=2)
    question.validate_choices()
    question.choices.filter(position=2).update(is_correct=False)
    with pytest.raises(ValidationError):
        question.validate_choices()


def test_published_queryset():
    published = QuestionFactory(status=Question.Status.PUBLISHED)
    QuestionFactory(status=Question.Status.DRAFT)
    QuestionFactory(status=Question.Status.STALE)
    assert list(Question.objects.published()) == [published]

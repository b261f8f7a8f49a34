"""Every quality gate of questions.generation: one question (or bank) it rejects, one it passes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from questions.generation import BANK_GATES, QUESTION_GATES, FactBase, check_question
from questions.generation.gates import (
    all_none_of_above,
    answer_in_stem,
    distractor_true,
    duplicate_options,
    length_bounds,
    longest_correct_bias,
    markup_leftover,
    mixed_option_types,
    near_duplicate_question,
    position_balance,
)
from questions.generation.types import ChoiceDraft, QuestionDraft
from tests.questions.test_generation import FACTS, SERVICES


@pytest.fixture(scope="module")
def kb() -> FactBase:
    return FactBase(FACTS, SERVICES)


def choices(correct: str, *wrong: str, answers: tuple[str, ...] = ()) -> tuple[ChoiceDraft, ...]:
    right = (correct, *answers)
    return tuple(
        ChoiceDraft(text, text in right, "Correct. Why." if text in right else "Incorrect. Why.")
        for text in (*right, *wrong)
    )


EFS = "Amazon Elastic File System (EFS)"
EBS = "Amazon Elastic Block Store (EBS)"
S3 = "Amazon Simple Storage Service (S3)"
GATEWAY = "AWS Storage Gateway"
BACKUP = "AWS Backup"

SCENARIO = QuestionDraft(
    key="saa-c03-scenario-service-efs-0000000000",
    certification="SAA-C03",
    domain=3,
    task_statement="3.1",
    template="scenario_service",
    kind="single",
    select=1,
    stem=(
        "A company needs a managed NFS file system that many EC2 instances across Availability "
        "Zones can mount at the same time. Which AWS service meets this requirement?"
    ),
    choices=choices(EFS, EBS, S3, BACKUP),
    explanation='Amazon EFS is the answer. Source: "Hand-made › EFS" (hand-made.md).',
    services=("EFS", "EBS", "S3", "AWS Backup"),
    source_hashes=(FACTS[0].content_hash,),
)
VALUE = replace(
    SCENARIO,
    key="saa-c03-attribute-value-s3-0000000000",
    template="attribute_value",
    stem='Which value correctly completes the following statement about Amazon S3? "S3: the '
    'largest object a single PUT can upload is ____."',
    choices=choices("5 GB", "10 GB", "50 GB", "500 MB"),
    services=("S3",),
    source_hashes=(FACTS[5].content_hash,),
)
STATEMENT = replace(
    SCENARIO,
    key="saa-c03-correct-statement-sqs-0000000000",
    template="correct_statement",
    stem="Which statement about Amazon SQS is correct?",
    choices=choices(
        "Amazon SQS keeps each message until a consumer deletes it from the queue.",
        "Amazon SQS speaks industry-standard protocols such as AMQP, MQTT, OpenWire and STOMP.",
        "Amazon SQS coordinates several AWS services into visual workflows built from states.",
        "Amazon SQS routes events from SaaS partner applications to targets through rules.",
    ),
    services=("SQS",),
)
TERM = replace(
    SCENARIO,
    key="saa-c03-term-definition-sct-0000000000",
    template="term_definition",
    stem="A solutions architect reads the abbreviation SCT in AWS documentation. What does SCT "
    "stand for?",
    choices=choices(
        "Schema Conversion Tool",
        "Server Capture Time",
        "Simple Control Template",
        "Schema Copy Tier",
    ),
    services=("SCT",),
)


def test_every_gate_has_a_name_in_the_registries():
    assert set(QUESTION_GATES) == {
        "markup_leftover",
        "length_bounds",
        "all_none_of_above",
        "duplicate_options",
        "mixed_option_types",
        "answer_in_stem",
        "distractor_true",
    }
    assert set(BANK_GATES) == {
        "near_duplicate_question",
        "longest_correct_bias",
        "position_balance",
    }


@pytest.mark.parametrize("question", [SCENARIO, VALUE, STATEMENT, TERM], ids=lambda q: q.template)
def test_well_formed_questions_pass_every_question_gate(question, kb):
    assert check_question(question, kb) == []


# ---- answer_in_stem ----


def test_answer_in_stem_rejects_the_service_name_in_a_scenario(kb):
    named = replace(
        SCENARIO, stem=SCENARIO.stem.replace("a managed NFS", "Amazon EFS, a managed NFS")
    )
    assert answer_in_stem(named, kb)
    alias = replace(SCENARIO, stem=SCENARIO.stem.replace("NFS file system", "Elastic File System"))
    assert answer_in_stem(alias, kb)
    assert answer_in_stem(SCENARIO, kb) is None


def test_answer_in_stem_rejects_the_value_and_the_expansion(kb):
    value = replace(VALUE, stem=VALUE.stem.replace("____", "5 GB (____)"))
    assert answer_in_stem(value, kb)
    assert answer_in_stem(VALUE, kb) is None
    term = replace(TERM, stem=TERM.stem.replace("AWS documentation", "Schema Conversion Tool docs"))
    assert answer_in_stem(term, kb)
    assert answer_in_stem(TERM, kb) is None


# ---- duplicate_options ----


def test_duplicate_options_rejects_equal_and_nearly_equal_options():
    same = replace(SCENARIO, choices=choices(EFS, EBS, "amazon elastic block store (ebs)", S3))
    assert duplicate_options(same)
    near = replace(
        STATEMENT,
        choices=choices(
            "Amazon SQS keeps each message until a consumer deletes it from the queue.",
            "Amazon SQS keeps each message until the consumer deletes it from the queue!",
            "Amazon SQS coordinates several AWS services into visual workflows built from states.",
            "Amazon SQS routes events from SaaS partner applications to targets through rules.",
        ),
    )
    assert duplicate_options(near)
    assert duplicate_options(replace(VALUE, choices=choices("5 GB", "5,000 MB", "50 GB", "500 MB")))
    assert duplicate_options(SCENARIO) is None
    assert duplicate_options(VALUE) is None  # "5 GB" and "50 GB" differ in value


# ---- mixed_option_types ----


def test_mixed_option_types_rejects_a_name_among_numbers_a_sentence_among_names_two_units(kb):
    assert mixed_option_types(replace(VALUE, choices=choices("5 GB", "10 GB", "50 GB", S3)), kb)
    sentence = "Amazon S3 keeps objects in buckets across several Availability Zones."
    assert mixed_option_types(replace(SCENARIO, choices=choices(EFS, EBS, S3, sentence)), kb)
    assert mixed_option_types(
        replace(VALUE, choices=choices("5 GB", "10 GB", "50 GB", "7 days")), kb
    )
    assert mixed_option_types(SCENARIO, kb) is None
    assert mixed_option_types(VALUE, kb) is None


# ---- distractor_true ----


def test_distractor_true_rejects_a_wrong_option_the_fact_base_states(kb):
    stated_value = replace(VALUE, choices=choices("5 GB", "5 TB", "50 GB", "500 MB"))
    assert distractor_true(stated_value, kb)  # the notes say S3 objects go up to 5 TB
    true_statement = replace(
        STATEMENT,
        choices=choices(
            "Amazon SQS delivers messages to consumers that poll the queue with long polling.",
            "Amazon SQS keeps each message until a consumer deletes it from the queue.",
            "Amazon SQS coordinates several AWS services into visual workflows built from states.",
            "Amazon SQS routes events from SaaS partner applications to targets through rules.",
        ),
    )
    assert distractor_true(true_statement, kb)
    related = replace(SCENARIO, choices=choices(EFS, EBS, S3, "Amazon Elastic File System"))
    assert distractor_true(related, kb)  # the answer itself, under another name
    assert distractor_true(SCENARIO, kb) is None
    assert distractor_true(VALUE, kb) is None
    assert distractor_true(STATEMENT, kb) is None


def test_distractor_true_rejects_a_stated_expansion(kb):
    stated = replace(
        TERM,
        stem=TERM.stem.replace("SCT", "SQS"),
        choices=choices(
            "Simple Quick Service", "Simple Queue Service", "Server Queue Store", "Secure Quota Set"
        ),
    )
    assert distractor_true(stated, kb)
    assert distractor_true(TERM, kb) is None


# ---- markup_leftover ----


@pytest.mark.parametrize(
    "leftover", ["**bold**", "[x](y)", "a<br>b", "<a href", "↖", "`code`", "a | b", "TODO"]
)
def test_markup_leftover_rejects_markup_anywhere(leftover):
    assert markup_leftover(replace(SCENARIO, stem=f"{SCENARIO.stem} {leftover}"))
    bad_rationale = (ChoiceDraft(EFS, True, f"Correct. {leftover}"), *SCENARIO.choices[1:])
    assert markup_leftover(replace(SCENARIO, choices=bad_rationale))


def test_markup_leftover_rejects_a_leading_hash_and_passes_clean_text():
    assert markup_leftover(replace(SCENARIO, explanation="# Heading"))
    assert markup_leftover(SCENARIO) is None


# ---- length_bounds ----


def test_length_bounds():
    assert length_bounds(replace(SCENARIO, stem="Which service?"))
    assert length_bounds(replace(SCENARIO, stem="A company needs " + "x" * 600))
    assert length_bounds(replace(SCENARIO, choices=choices(EFS, EBS, S3, " ")))
    assert length_bounds(replace(SCENARIO, choices=choices(EFS, EBS, S3, "y" * 201)))
    assert length_bounds(replace(SCENARIO, choices=choices(EFS, EBS)))  # too few options
    two_of_three = replace(
        SCENARIO, kind="multiple", select=2, choices=choices(EFS, S3, answers=(EBS,))
    )
    assert length_bounds(two_of_three)  # select 2 needs at least 4 options
    assert (
        length_bounds(replace(two_of_three, choices=choices(EFS, S3, BACKUP, answers=(EBS,))))
        is None
    )
    assert length_bounds(SCENARIO) is None


# ---- all_none_of_above ----


@pytest.mark.parametrize("text", ["All of the above", "None of the above", "Both of these", "none"])
def test_all_none_of_above_rejects(text):
    assert all_none_of_above(replace(SCENARIO, choices=choices(EFS, EBS, S3, text)))


def test_all_none_of_above_passes_ordinary_options():
    assert all_none_of_above(SCENARIO) is None
    assert (
        all_none_of_above(replace(SCENARIO, choices=choices(EFS, EBS, S3, "Nonexistent Tool")))
        is None
    )


# ---- bank gates ----


def _arranged(question: QuestionDraft, position: int) -> QuestionDraft:
    correct = [c for c in question.choices if c.correct]
    wrong = [c for c in question.choices if not c.correct]
    wrong.insert(position, correct[0])
    return replace(question, choices=tuple(wrong))


def _bank(count: int, position_of) -> list[QuestionDraft]:
    return [_arranged(replace(SCENARIO, key=f"k{i}"), position_of(i)) for i in range(count)]


def test_position_balance():
    assert position_balance(_bank(80, lambda i: 0))  # always first
    assert position_balance(_bank(80, lambda i: i % 2))  # never third or fourth
    assert position_balance(_bank(80, lambda i: i % 4)) is None
    assert position_balance(_bank(10, lambda i: 0)) is None  # too few to judge


def test_longest_correct_bias():
    longest = "Amazon Elastic File System (EFS) with lifecycle management enabled"
    biased = [
        replace(SCENARIO, key=f"k{i}", choices=choices(longest if i % 2 else EFS, EBS, S3, BACKUP))
        for i in range(40)
    ]
    # EFS (32) vs EBS (32) is a tie, so only the long variant counts: 50 % > 25 % + 10 %.
    assert longest_correct_bias(biased)
    balanced = [
        replace(
            SCENARIO, key=f"k{i}", choices=choices(longest if i % 5 == 0 else EFS, EBS, S3, BACKUP)
        )
        for i in range(40)
    ]
    assert longest_correct_bias(balanced) is None


def test_near_duplicate_question():
    same_fact = replace(SCENARIO, key="other", stem=SCENARIO.stem.replace("company", "startup"))
    assert near_duplicate_question([SCENARIO, same_fact]) == [1]
    reworded = replace(
        SCENARIO,
        key="reworded",
        source_hashes=("another-fact",),
        stem=SCENARIO.stem.replace("A company needs", "A company requires"),
    )
    assert near_duplicate_question([SCENARIO, reworded]) == [1]
    other_cert = replace(same_fact, certification="SAP-C02")
    assert near_duplicate_question([SCENARIO, other_cert]) == []
    different = replace(VALUE, source_hashes=("x",))
    assert near_duplicate_question([SCENARIO, different, STATEMENT]) == []

"""Quality gates. Each gate is a named function; a question gate returns None when the question
passes and a short reason when it fails. Bank gates look at a whole list of questions.

Question gates take the `FactBase` as a second argument (only some use it), so that a bank read
back from anywhere can be checked against the facts it was built from.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

from rapidfuzz import fuzz, process

from questions.generation.knowledge import FactBase
from questions.generation.templates import (
    ATTRIBUTE_VALUE,
    CORRECT_STATEMENT,
    MULTIPLE_RESPONSE,
    SCENARIO_SERVICE,
    TERM_DEFINITION,
    expansion_true,
)
from questions.generation.text import (
    MARKUP_TOKENS,
    content_tokens,
    has_markup,
    normalise,
    parse_value,
)
from questions.generation.types import QuestionDraft

__all__ = [
    "BANK_GATES",
    "QUESTION_GATES",
    "all_none_of_above",
    "answer_in_stem",
    "check_question",
    "distractor_true",
    "duplicate_options",
    "length_bounds",
    "longest_correct_bias",
    "markup_leftover",
    "mixed_option_types",
    "near_duplicate_question",
    "position_balance",
]

STEM_MIN, STEM_MAX = 40, 600
OPTION_MIN, OPTION_MAX = 1, 200
DUPLICATE_RATIO = 90.0
NEAR_DUPLICATE_RATIO = 92.0
LONGEST_SLACK = 0.10  # the correct option may be the strictly longest in 1/n + 10 % of questions
POSITION_SLACK = 0.05  # each position holds the answer in 1/n ± 5 % of questions
POSITION_MIN_QUESTIONS = 40  # fewer questions than this cannot be balanced meaningfully

# The openers and closing questions of scenario stems (see templates.STEM_OPENERS etc.).
_SCENARIO_OPENER_RE = re.compile(
    r"^(?:A company needs |A solutions architect must recommend |A company is designing a new "
    r"workload on AWS and needs |A company wants to use an AWS service for |A solutions "
    r"architect is designing a solution for |A company wants to |A solutions architect needs to )",
)
_QUESTION_TAIL_RE = re.compile(r"\s*Which [^.?]*\?\s*$")
_ACRONYM_STEM_RE = re.compile(r"What does (?P<acr>\S+) stand for\?")
_NONE_OF_ABOVE_RE = re.compile(
    r"\b(?:all|none|both|neither) of (?:the )?(?:above|these|them|the options)\b|^(?:all|none)$",
    re.IGNORECASE,
)


def _correct(question: QuestionDraft) -> list[str]:
    return [c.text for c in question.choices if c.correct]


def _wrong(question: QuestionDraft) -> list[str]:
    return [c.text for c in question.choices if not c.correct]


def requirement_text(stem: str) -> str:
    """The requirement part of a scenario stem (without opener and question)."""
    text = _QUESTION_TAIL_RE.sub("", stem)
    return _SCENARIO_OPENER_RE.sub("", text).rstrip(". ")


# --------------------------------------------------------------------------------------------
# Question gates
# --------------------------------------------------------------------------------------------


def answer_in_stem(question: QuestionDraft, kb: FactBase) -> str | None:
    """The answer, or the word that gives it away, is written in the stem."""
    stem = question.stem
    stem_normal = f" {normalise(stem)} "
    for text in _correct(question):
        normal = normalise(text)
        if len(normal) >= 2 and f" {normal} " in stem_normal:
            return f"the answer {text!r} is in the stem"
    if question.template == SCENARIO_SERVICE and question.services:
        answer = question.services[0]
        if answer in kb.services:
            hidden = [answer, *kb.descendants(answer)]
            if kb.services[answer].kind == "service":
                hidden += kb.ancestors(answer)
            for short_name in hidden:
                if kb.names_service(requirement_text(stem), short_name):
                    return f"the stem names {short_name}"
    elif question.template == ATTRIBUTE_VALUE:
        for text in _correct(question):
            number = re.match(r"[\d,.]+", text)
            if number and re.search(rf"(?<![\d,.]){re.escape(number.group(0))}(?![\d,])", stem):
                return f"the value {text!r} is in the stem"
    elif question.template in (CORRECT_STATEMENT, MULTIPLE_RESPONSE):
        for text in _correct(question):
            if len(text) > 25 and fuzz.partial_ratio(normalise(text), normalise(stem)) >= 90:
                return "a correct statement is quoted in the stem"
    elif question.template == TERM_DEFINITION:
        for text in _correct(question):
            words = [w for w in normalise(text).split() if len(w) > 3]
            if words and all(f" {w} " in stem_normal for w in words):
                return "the expansion is spelled out in the stem"
    return None


def duplicate_options(question: QuestionDraft, kb: FactBase | None = None) -> str | None:
    """Two options are the same once normalised (or rapidfuzz ratio ≥ 90)."""
    texts = [c.text for c in question.choices]
    for i, first in enumerate(texts):
        for second in texts[i + 1 :]:
            a, b = normalise(first), normalise(second)
            if a == b:
                return f"{first!r} and {second!r} are the same"
            va, vb = parse_value(first), parse_value(second)
            if va and vb and va[1] == vb[1]:
                if abs(va[0] - vb[0]) <= 1e-9 * max(abs(va[0]), abs(vb[0]), 1):
                    return f"{first!r} and {second!r} are the same value"
                continue
            if _is_number(first) and _is_number(second):
                continue
            if fuzz.ratio(a, b) >= DUPLICATE_RATIO:
                return f"{first!r} and {second!r} are nearly the same"
    return None


_NUMBER_RE = re.compile(r"^[\d][\d,.]*%?$")


def _is_number(text: str) -> bool:
    return bool(_NUMBER_RE.match(text.strip()))


def option_type(text: str, kb: FactBase | None) -> str:
    """number:<unit> | service | sentence | phrase."""
    stripped = text.strip()
    if _is_number(stripped):
        return "number:percent" if stripped.endswith("%") else "number:plain"
    value = parse_value(stripped)
    if value and len(stripped.split()) <= 3:
        return f"number:{value[1]}"
    known = kb is not None and kb.resolve_option(stripped)
    if known and len(stripped.split()) <= 8 and not stripped.endswith("."):
        return "service"
    if stripped.endswith(".") and len(stripped.split()) >= 4:
        return "sentence"
    return "phrase"


def mixed_option_types(question: QuestionDraft, kb: FactBase | None = None) -> str | None:
    """Options of different kinds: a service among numbers, a sentence among names, two units."""
    # A service name is a name like any other term ("Elastic Load Balancer" among expansions).
    kinds = {option_type(c.text, kb).replace("service", "phrase") for c in question.choices}
    if len(kinds) > 1:
        return f"mixed option types {sorted(kinds)}"
    return None


def distractor_true(question: QuestionDraft, kb: FactBase) -> str | None:
    """The fact base says a distractor is true as well."""
    subject = question.services[0] if question.services else None
    wrong = _wrong(question)
    if question.template == SCENARIO_SERVICE and subject in kb.services:
        requirement = requirement_text(question.stem)
        wanted = kb.requirement_tokens(requirement, ignore=[subject, *kb.ancestors(subject)])
        for text in wrong:
            other = kb.resolve_option(text)
            if other is None:
                return f"{text!r} is not a known service"
            if kb.related(other, subject):
                return f"{text!r} is part of the answer"
            if kb.meets(other, wanted, requirement):
                return f"{text!r} may also meet the requirement"
    elif question.template == ATTRIBUTE_VALUE and subject in kb.services:
        unit = _question_unit(question, kb)
        for text in wrong:
            number = _option_number(text, unit)
            if number is None:
                return f"{text!r} is not a value"
            if kb.value_stated(subject, number, unit):
                return f"{text!r} is stated for {subject}"
    elif question.template in (CORRECT_STATEMENT, MULTIPLE_RESPONSE) and subject in kb.services:
        for text in wrong:
            if kb.statement_true(subject, text):
                return f"{text!r} is stated for {subject}"
            if not text.endswith("."):  # a use-case phrase
                wanted = kb.requirement_tokens(text, ignore=[subject])
                if kb.meets(subject, wanted, text):
                    return f"{text!r} may be a use case of {subject}"
    elif question.template == TERM_DEFINITION:
        match = _ACRONYM_STEM_RE.search(question.stem)
        if match:
            for text in wrong:
                if expansion_true(kb, match.group("acr"), text):
                    return f"{text!r} is how the notes expand {match.group('acr')}"
    return None


def _question_unit(question: QuestionDraft, kb: FactBase) -> str:
    for fact_hash in question.source_hashes:
        fact = kb.fact_by_hash(fact_hash)
        if fact is not None and fact.unit:
            return fact.unit
    value = parse_value(_correct(question)[0]) if _correct(question) else None
    return value[1] if value else "count"


def _option_number(text: str, unit: str) -> float | None:
    if unit in ("count", "port") and _is_number(text):
        return float(text.replace(",", ""))
    if unit == "percent" and text.endswith("%"):
        return float(text[:-1].replace(",", ""))
    value = parse_value(text)
    return value[0] if value and value[1] == unit else None


def markup_leftover(question: QuestionDraft, kb: FactBase | None = None) -> str | None:
    """Markdown or HTML left in any text: `**`, `](`, `<br`, `<a `, arrows, backticks, `|`, `#`."""
    texts = [question.stem, question.explanation]
    for choice in question.choices:
        texts += [choice.text, choice.rationale]
    for text in texts:
        if has_markup(text):
            found = [t for t in MARKUP_TOKENS if t in text] or ["#"]
            return f"markup {found[0]!r} in {text[:60]!r}"
    return None


def length_bounds(question: QuestionDraft, kb: FactBase | None = None) -> str | None:
    """Stem 40–600 characters, options 1–200, enough options for the answers asked for."""
    if not STEM_MIN <= len(question.stem) <= STEM_MAX:
        return f"stem length {len(question.stem)}"
    for choice in question.choices:
        if not OPTION_MIN <= len(choice.text.strip()) <= OPTION_MAX:
            return f"option length {len(choice.text.strip())}"
    correct = len(_correct(question))
    if correct != question.select:
        return f"{correct} correct options for select {question.select}"
    needed = question.select + 2 if question.kind == "multiple" else 3
    if len(question.choices) < needed:
        return f"{len(question.choices)} options"
    if question.kind == "multiple" and question.select < 2:
        return "a multiple-response question selects at least two"
    return None


def all_none_of_above(question: QuestionDraft, kb: FactBase | None = None) -> str | None:
    """ "All of the above" / "None of the above" options."""
    for choice in question.choices:
        if _NONE_OF_ABOVE_RE.search(choice.text.strip()):
            return f"option {choice.text!r}"
    return None


QuestionGate = Callable[[QuestionDraft, FactBase], "str | None"]
QUESTION_GATES: dict[str, QuestionGate] = {
    "markup_leftover": markup_leftover,
    "length_bounds": length_bounds,
    "all_none_of_above": all_none_of_above,
    "duplicate_options": duplicate_options,
    "mixed_option_types": mixed_option_types,
    "answer_in_stem": answer_in_stem,
    "distractor_true": distractor_true,
}


def check_question(question: QuestionDraft, kb: FactBase) -> list[str]:
    """Names of the question gates the question fails (empty: it passes)."""
    return [name for name, gate in QUESTION_GATES.items() if gate(question, kb) is not None]


# --------------------------------------------------------------------------------------------
# Bank gates
# --------------------------------------------------------------------------------------------


def _identity(question: QuestionDraft) -> str:
    """What a question asks and answers, without the boilerplate its template shares."""
    text = f"{question.stem} {' '.join(sorted(_correct(question)))}"
    return " ".join(sorted(content_tokens(text) - _BOILERPLATE))


_BOILERPLATE = content_tokens(
    "Which value correctly completes the following statement about? A solutions architect is "
    "comparing reviewing a design that uses. A company plans to use. Which statement about is "
    "accurate true correct? Which TWO THREE statements are correct (Select TWO THREE). "
    "A company is evaluating for a new project. of the following are typical use cases for. "
    "reads the abbreviation in the documentation. What does stand for? designing a new "
    "workload on AWS and needs. Which AWS service meets this requirement should the choose "
    "is the BEST fit feature"
)


def near_duplicate_question(questions: Sequence[QuestionDraft]) -> list[int]:
    """Indices of questions that repeat an earlier one of the same certification: built from
    the same fact with the same template, or, within one template, whose stem and answer read
    the same (rapidfuzz token_set_ratio ≥ 92, on their content words without the template's
    boilerplate). Stems shared by design ("Which statement about Amazon S3 is correct?") are
    told apart by their answers."""
    drop: list[int] = []
    seen_sources: set[tuple[str, str, str]] = set()
    kept: dict[tuple[str, str], list[str]] = defaultdict(list)
    for index, question in enumerate(questions):
        source = (
            question.certification,
            question.template,
            question.source_hashes[0] if question.source_hashes else question.key,
        )
        identity = _identity(question)
        if source in seen_sources or process.extractOne(
            identity,
            kept[(question.certification, question.template)],
            scorer=fuzz.token_set_ratio,
            score_cutoff=NEAR_DUPLICATE_RATIO,
        ):
            drop.append(index)
            continue
        seen_sources.add(source)
        kept[(question.certification, question.template)].append(identity)
    return drop


def _strictly_longest(question: QuestionDraft) -> bool:
    lengths = [len(c.text) for c in question.choices]
    longest = max(lengths)
    if lengths.count(longest) > 1:
        return False
    return question.choices[lengths.index(longest)].correct


def longest_correct_bias(questions: Sequence[QuestionDraft]) -> str | None:
    """The correct option is the strictly longest more often than chance (+10 %) allows."""
    groups: dict[tuple[int, int], list[QuestionDraft]] = defaultdict(list)
    for question in questions:
        groups[(len(question.choices), question.select)].append(question)
    for (options, select), group in sorted(groups.items()):
        if len(group) < 20:
            continue
        share = sum(_strictly_longest(q) for q in group) / len(group)
        limit = select / options + LONGEST_SLACK
        if share > limit:
            return f"{share:.0%} of {len(group)} questions ({options} options) > {limit:.0%}"
    return None


def position_balance(questions: Sequence[QuestionDraft]) -> str | None:
    """The correct answers are not spread evenly over the option positions."""
    groups: dict[tuple[str, int, int], list[QuestionDraft]] = defaultdict(list)
    for question in questions:
        groups[(question.certification, len(question.choices), question.select)].append(question)
    for (cert, options, select), group in sorted(groups.items()):
        if len(group) < POSITION_MIN_QUESTIONS:
            continue
        counts: Counter[int] = Counter()
        for question in group:
            for position, choice in enumerate(question.choices):
                if choice.correct:
                    counts[position] += 1
        expected = select / options
        slack = POSITION_SLACK if select == 1 else POSITION_SLACK + 0.02
        for position in range(options):
            share = counts[position] / len(group)
            if abs(share - expected) > slack:
                return (
                    f"{cert}: position {position + 1} holds {share:.0%} (expected {expected:.0%})"
                )
    return None


BANK_GATES = {
    "near_duplicate_question": near_duplicate_question,
    "longest_correct_bias": longest_correct_bias,
    "position_balance": position_balance,
}

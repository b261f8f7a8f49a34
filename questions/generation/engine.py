"""`generate`: facts → a balanced, gated bank of question drafts.

Steps (all deterministic: inputs are sorted, every random choice comes from a
`random.Random` seeded from `seed` and the candidate's identity, nothing depends on set order or
time):

1. Build the `FactBase` (names, facts per service, word statistics).
2. Run every template over every fact; a template that cannot use a fact says why (`Skip`),
   counted as "skipped:<template>:<reason>". Each candidate is counted as "considered:<template>".
3. Place each candidate in each certification its fact is tagged for (highest confidence), pick
   its distractors, and run the question gates; a failing question is dropped and counted by
   gate name.
4. Bank level: near-duplicates, the term_definition share, task statements and domains short of
   their targets (filled from facts' secondary tags), the longest-correct-option bias, and
   finally the position of the correct options (round-robin over shuffled slots).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import combinations

from rapidfuzz import fuzz

from questions.generation.gates import (
    QUESTION_GATES,
    _strictly_longest,
    near_duplicate_question,
)
from questions.generation.knowledge import FactBase
from questions.generation.templates import (
    TEMPLATES,
    TERM_DEFINITION,
    Candidate,
    Option,
    Skip,
)
from questions.generation.text import normalise
from questions.generation.types import (
    Blueprint,
    ChoiceDraft,
    FactView,
    GenerationResult,
    QuestionDraft,
    ServiceView,
)
from questions.scoring import apportion

__all__ = ["DEFAULT_SEED", "generate"]

DEFAULT_SEED = 20261124
TERM_DEFINITION_SHARE = 0.10
TASK_STATEMENT_TARGET = 8  # secondary tags fill task statements below this
MIN_SECONDARY_CONFIDENCE = 0.45
DOMAIN_HEADROOM = 1.3
MULTIPLE_SHARE = 0.22  # a margin over the 20 % the bank must have
# Which single-answer questions go first when multiple response needs a larger share: trivia
# before exam-style scenarios.
DROP_ORDER = (
    TERM_DEFINITION,
    "correct_statement",
    "attribute_value",
    "scenario_service",
)  # domains are filled from secondary tags up to 1.3 × the mock minimum


@dataclass
class _Placed:
    candidate: Candidate
    certification: str
    task_statement: str
    domain: int
    confidence: float
    question: QuestionDraft  # options in provisional order (correct first)


def generate(
    facts: Sequence[FactView],
    services: Sequence[ServiceView],
    *,
    blueprints: Mapping[str, Blueprint],
    seed: int = DEFAULT_SEED,
    certification: str | None = None,
    service: str | None = None,
) -> GenerationResult:
    kb = FactBase(facts, services)
    rejected: Counter[str] = Counter()
    candidates = _candidates(kb, seed, rejected, service=service)
    certifications = sorted(
        code for code in blueprints if certification is None or code == certification
    )
    placed: list[_Placed] = []
    for candidate in candidates:
        for cert in certifications:
            tag = _best_tag(candidate.fact, cert, blueprints[cert])
            if tag is None:
                continue
            item = _place(kb, candidate, cert, tag, blueprints[cert], seed, rejected)
            if item is not None:
                placed.append(item)
    placed.sort(key=lambda p: (p.certification, p.question.key))
    placed = _drop_near_duplicates(placed, rejected)
    placed = _ensure_multiple_share(placed, blueprints, rejected)
    _fill_targets(placed, blueprints)
    placed = _cap_term_definitions(placed, rejected)
    placed = _limit_longest_bias(placed, rejected)
    questions = _assign_positions(placed, seed)
    questions.sort(key=lambda q: (q.certification, q.domain, _code_key(q.task_statement), q.key))
    return GenerationResult(questions=questions, rejected=rejected)


# --------------------------------------------------------------------------------------------
# Candidates
# --------------------------------------------------------------------------------------------


def _rng(seed: int, *parts: str) -> random.Random:
    return random.Random(f"{seed}|{'|'.join(parts)}")


def _candidates(
    kb: FactBase, seed: int, rejected: Counter[str], *, service: str | None
) -> list[Candidate]:
    found: list[Candidate] = []
    for fact in kb.facts:
        if fact.status == "conflict":
            rejected["skipped:conflict"] += 1
            continue
        if service is not None and fact.subject != service:
            continue
        if not fact.tags:
            continue
        for name, template in TEMPLATES.items():
            try:
                made = list(template(kb, fact, _rng(seed, name, fact.content_hash)))
            except Skip as skip:
                rejected[f"skipped:{name}:{skip}"] += 1
                continue
            for candidate in made:
                rejected[f"considered:{name}"] += 1
                found.append(candidate)
    return found


def _code_key(code: str) -> tuple[int, ...]:
    return tuple(int(part) for part in code.split(".") if part.isdigit())


def _best_tag(fact: FactView, cert: str, blueprint: Blueprint) -> tuple[str, float] | None:
    tags = [
        (code, conf)
        for c, code, conf in fact.tags
        if c == cert and code in blueprint.task_statements
    ]
    if not tags:
        return None
    return min(tags, key=lambda t: (-t[1], _code_key(t[0])))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def question_key(candidate: Candidate, certification: str) -> str:
    """Stable across runs and seeds: certification, template, service and source fact."""
    digest = hashlib.sha256(
        "|".join((candidate.template, *(f.content_hash for f in candidate.facts))).encode()
    ).hexdigest()[:10]
    service = _slug(candidate.services[0]) if candidate.services else "aws"
    return f"{_slug(certification)}-{candidate.template.replace('_', '-')}-{service}-{digest}"


def _pick_distractors(candidate: Candidate) -> list[Option] | None:
    """The wanted number of distractors, best first, none a near copy of another option, and,
    when the pool allows, at least one as long as the longest correct option."""
    chosen: list[Option] = []
    texts = [normalise(o.text) for o in candidate.correct]
    for option in candidate.distractors:
        normal = normalise(option.text)
        if any(normal == t or fuzz.ratio(normal, t) >= 85 for t in texts):
            continue
        chosen.append(option)
        texts.append(normal)
        if len(chosen) == candidate.wanted_distractors:
            break
    if len(chosen) < candidate.wanted_distractors:
        return None
    longest = max(len(o.text) for o in candidate.correct)
    if all(len(o.text) < longest for o in chosen):
        rest = [
            o
            for o in candidate.distractors
            if o not in chosen
            and len(o.text) >= longest
            and all(fuzz.ratio(normalise(o.text), t) < 85 for t in texts)
        ]
        if rest:
            chosen[-1] = rest[0]
    return chosen


def _place(
    kb: FactBase,
    candidate: Candidate,
    cert: str,
    tag: tuple[str, float],
    blueprint: Blueprint,
    seed: int,
    rejected: Counter[str],
) -> _Placed | None:
    distractors = _pick_distractors(candidate)
    if distractors is None:
        rejected["duplicate_options"] += 1
        return None
    choices = tuple(ChoiceDraft(o.text, True, o.rationale) for o in candidate.correct) + tuple(
        ChoiceDraft(o.text, False, o.rationale) for o in distractors
    )
    code, confidence = tag
    question = QuestionDraft(
        key=question_key(candidate, cert),
        certification=cert,
        domain=blueprint.domain_of(code),
        task_statement=code,
        template=candidate.template,
        kind=candidate.kind,
        select=candidate.select,
        stem=candidate.stem,
        choices=choices,
        explanation=candidate.explanation,
        services=tuple(dict.fromkeys(s for s in candidate.services if s)),
        source_hashes=tuple(dict.fromkeys(f.content_hash for f in candidate.facts)),
    )
    for name, gate in QUESTION_GATES.items():
        if gate(question, kb) is not None:
            rejected[name] += 1
            return None
    return _Placed(candidate, cert, code, question.domain, confidence, question)


# --------------------------------------------------------------------------------------------
# Bank level
# --------------------------------------------------------------------------------------------


def _drop_near_duplicates(placed: list[_Placed], rejected: Counter[str]) -> list[_Placed]:
    # Stronger candidates first: the one kept of two near-duplicates is the better tagged one.
    order = sorted(
        range(len(placed)), key=lambda i: (-placed[i].confidence, placed[i].question.key)
    )
    ranked = [placed[i] for i in order]
    drop = set(near_duplicate_question([p.question for p in ranked]))
    rejected["near_duplicate_question"] += len(drop)
    kept = [p for i, p in enumerate(ranked) if i not in drop]
    kept.sort(key=lambda p: (p.certification, p.question.key))
    return kept


def _cap_term_definitions(placed: list[_Placed], rejected: Counter[str]) -> list[_Placed]:
    kept: list[_Placed] = []
    by_cert: dict[str, list[_Placed]] = defaultdict(list)
    for item in placed:
        by_cert[item.certification].append(item)
    for cert in sorted(by_cert):
        items = by_cert[cert]
        others = [p for p in items if p.candidate.template != TERM_DEFINITION]
        terms = [p for p in items if p.candidate.template == TERM_DEFINITION]
        # term share ≤ 10 % of the final bank: t ≤ 0.1 (o + t) ⇔ t ≤ o / 9
        allowed = int(len(others) * TERM_DEFINITION_SHARE / (1 - TERM_DEFINITION_SHARE))
        terms.sort(key=lambda p: (-p.confidence, p.question.key))
        rejected["term_definition_share"] += max(0, len(terms) - allowed)
        kept += others + terms[:allowed]
    kept.sort(key=lambda p: (p.certification, p.question.key))
    return kept


def domain_targets(blueprint: Blueprint, mocks: int) -> dict[int, int]:
    """Questions per domain for `mocks` non-overlapping mock exams, split exactly as exam
    assembly splits one (questions.scoring.apportion)."""
    quota = apportion(blueprint.question_count, blueprint.domains)
    return {domain: count * mocks for domain, count in quota.items()}


def _fill_targets(placed: list[_Placed], blueprints: Mapping[str, Blueprint]) -> None:
    """Move questions to one of their fact's other tags where a task statement or a domain is
    short, taking only from task statements and domains that can spare them."""
    for cert in sorted({p.certification for p in placed}):
        blueprint = blueprints[cert]
        items = [p for p in placed if p.certification == cert]
        mocks = 6 if blueprint.question_count <= 65 else 4
        wanted = {d: int(n * DOMAIN_HEADROOM) for d, n in domain_targets(blueprint, mocks).items()}
        floor = domain_targets(blueprint, mocks)
        for _ in range(3):
            ts_count = Counter(p.task_statement for p in items)
            domain_count = Counter(p.domain for p in items)
            moved = False
            # Task statements first, then domains.
            needs = [
                ("ts", code)
                for code in blueprint.task_statements
                if ts_count[code] < TASK_STATEMENT_TARGET
            ] + [("domain", d) for d in sorted(wanted) if domain_count[d] < wanted[d]]
            for need_kind, need in needs:
                options = []
                for item in items:
                    for c, code, confidence in item.candidate.fact.tags:
                        if c != cert or code not in blueprint.task_statements:
                            continue
                        if confidence < MIN_SECONDARY_CONFIDENCE or code == item.task_statement:
                            continue
                        if need_kind == "ts" and code != need:
                            continue
                        if need_kind == "domain" and (
                            blueprint.domain_of(code) != need or item.domain == need
                        ):
                            continue
                        options.append((-confidence, item.question.key, code, item))
                options.sort(key=lambda o: (o[0], o[1]))
                for _, _, code, item in options:
                    if need_kind == "ts" and ts_count[need] >= TASK_STATEMENT_TARGET:
                        break
                    if need_kind == "domain" and domain_count[need] >= wanted[need]:
                        break
                    if ts_count[item.task_statement] <= TASK_STATEMENT_TARGET:
                        continue
                    source_domain = item.domain
                    new_domain = blueprint.domain_of(code)
                    if new_domain != source_domain and domain_count[source_domain] <= (
                        wanted[source_domain] if need_kind == "domain" else floor[source_domain]
                    ):
                        continue
                    ts_count[item.task_statement] -= 1
                    domain_count[source_domain] -= 1
                    ts_count[code] += 1
                    domain_count[new_domain] += 1
                    item.task_statement = code
                    item.domain = new_domain
                    item.question = replace(item.question, task_statement=code, domain=new_domain)
                    moved = True
            if not moved:
                break


def _ensure_multiple_share(
    placed: list[_Placed], blueprints: Mapping[str, Blueprint], rejected: Counter[str]
) -> list[_Placed]:
    """At least MULTIPLE_SHARE of each certification's bank is multiple response: drop single
    questions (least confident first, most common templates first) from task statements and
    domains that have more than they need."""
    kept: list[_Placed] = []
    for cert in sorted({p.certification for p in placed}):
        blueprint = blueprints[cert]
        items = [p for p in placed if p.certification == cert]
        multiple = sum(1 for p in items if p.question.kind == "multiple")
        mocks = 6 if blueprint.question_count <= 65 else 4
        wanted = {d: int(n * DOMAIN_HEADROOM) for d, n in domain_targets(blueprint, mocks).items()}
        ts_count = Counter(p.task_statement for p in items)
        domain_count = Counter(p.domain for p in items)
        # Questions that could fill a thin task statement (through a secondary tag) stay.
        tag_count = Counter(
            code for p in items for c, code, _ in p.candidate.fact.tags if c == cert
        )
        thin = {
            code
            for code in blueprint.task_statements
            if tag_count[code] <= 4 * TASK_STATEMENT_TARGET
        }
        excess = len(items) - int(multiple / MULTIPLE_SHARE)
        order = sorted(
            (p for p in items if p.question.kind == "single"),
            key=lambda p: (DROP_ORDER.index(p.candidate.template), p.confidence, p.question.key),
        )
        dropped: set[int] = set()
        for item in order:
            if excess <= 0:
                break
            if ts_count[item.task_statement] <= 2 * TASK_STATEMENT_TARGET:
                continue
            if any(c == cert and code in thin for c, code, _ in item.candidate.fact.tags):
                continue
            if domain_count[item.domain] <= wanted[item.domain]:
                continue
            dropped.add(id(item))
            ts_count[item.task_statement] -= 1
            domain_count[item.domain] -= 1
            excess -= 1
        rejected["multiple_response_share"] += len(dropped)
        kept += [p for p in items if id(p) not in dropped]
    return kept


def _limit_longest_bias(placed: list[_Placed], rejected: Counter[str]) -> list[_Placed]:
    """Keep the correct option from being the strictly longest more often than 1/n + 10 %."""
    groups: dict[tuple[int, int], list[_Placed]] = defaultdict(list)
    for item in placed:
        q = item.question
        groups[(len(q.choices), q.select)].append(item)
    drop: set[str] = set()
    for (options, select), group in sorted(groups.items()):
        limit = select / options + 0.08  # a margin under the gate's 10 %
        biased = [p for p in group if _strictly_longest(p.question)]
        excess = len(biased) - int(limit * len(group))
        if excess <= 0:
            continue
        # Drop the least confident biased questions (never below the smallest of groups).
        biased.sort(key=lambda p: (p.confidence, p.question.key))
        for item in biased:
            if excess <= 0:
                break
            drop.add(item.question.key + item.certification)
            excess -= 1
            # Dropping one question also lowers the group size.
            if (len(biased) - len([k for k in drop])) <= limit * (len(group) - len(drop)):
                break
    rejected["longest_correct_bias"] += len(drop)
    return [p for p in placed if p.question.key + p.certification not in drop]


def _assign_positions(placed: list[_Placed], seed: int) -> list[QuestionDraft]:
    groups: dict[tuple[str, int, int], list[_Placed]] = defaultdict(list)
    for item in placed:
        q = item.question
        groups[(q.certification, len(q.choices), q.select)].append(item)
    questions: list[QuestionDraft] = []
    for (cert, options, select), group in sorted(groups.items()):
        group.sort(key=lambda p: p.question.key)
        rng = _rng(seed, "positions", cert, str(options), str(select))
        patterns = list(combinations(range(options), select))
        slots: list[tuple[int, ...]] = []
        while len(slots) < len(group):
            block = patterns[:]
            rng.shuffle(block)
            slots += block
        for item, positions in zip(group, slots, strict=False):
            question = item.question
            correct = [c for c in question.choices if c.correct]
            wrong = [c for c in question.choices if not c.correct]
            rng.shuffle(wrong)
            arranged: list[ChoiceDraft] = []
            correct_iter, wrong_iter = iter(correct), iter(wrong)
            for index in range(options):
                arranged.append(next(correct_iter) if index in positions else next(wrong_iter))
            questions.append(replace(question, choices=tuple(arranged)))
    return questions

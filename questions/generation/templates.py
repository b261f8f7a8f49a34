"""The question templates: each turns facts into `Candidate`s (a question before its options
are ordered and before it is assigned to a certification).

Every template follows the same trust rules:

* A question is keyed only on an `active` fact, or on an `outdated` fact whose `correction`
  gives the current value (or, for a renamed service, the current name); the explanation then
  carries the fact's `correction_note`.
* A statement is only used when it names its subject itself (the statement starts with the
  service, its label names it, or it is a table row about it): a fact the linker attached to a
  service only through its heading is not trusted to be about that service.
* Every distractor is checked against the whole fact base (`FactBase`), whatever the status of
  the facts there, and dropped when anything says it is true.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

from questions.generation.knowledge import FactBase, Mention, same_value
from questions.generation.text import (
    QUESTION_UNITS,
    content_tokens,
    display_unit,
    format_quantity,
    has_markup,
    is_nice,
    log_distance,
    lower_first,
    normalise,
    parse_value,
    sentence,
    word_list,
)
from questions.generation.types import FactView

__all__ = [
    "TEMPLATES",
    "Candidate",
    "Option",
    "attribute_value",
    "correct_statement",
    "multiple_response",
    "scenario_service",
    "term_definition",
]

SCENARIO_SERVICE = "scenario_service"
ATTRIBUTE_VALUE = "attribute_value"
MULTIPLE_RESPONSE = "multiple_response"
CORRECT_STATEMENT = "correct_statement"
TERM_DEFINITION = "term_definition"


@dataclass(frozen=True)
class Option:
    text: str
    rationale: str
    ref: str = ""  # what the option stands for: a service short name, a value, a fact hash


@dataclass
class Candidate:
    template: str
    fact: FactView  # the fact the question is keyed on (its tags place the question)
    facts: tuple[FactView, ...]  # every fact the question was built from
    services: tuple[str, ...]  # the answer's service first
    stem: str
    correct: tuple[Option, ...]
    distractors: tuple[Option, ...]  # ranked, best first; more than needed when possible
    explanation: str
    select: int = 1
    options: int = 4
    notes: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "multiple" if self.select > 1 else "single"

    @property
    def wanted_distractors(self) -> int:
        return self.options - self.select


class Skip(Exception):
    """A fact a template cannot use; the message is the reason (counted, never shown)."""


# --------------------------------------------------------------------------------------------
# Shared vocabulary
# --------------------------------------------------------------------------------------------

CATEGORY_WORDS = {
    "compute": "compute",
    "containers": "container",
    "serverless": "serverless",
    "storage": "storage",
    "database": "database",
    "networking": "networking",
    "content_delivery": "content delivery",
    "security": "security",
    "identity": "identity and access management",
    "integration": "application integration",
    "analytics": "analytics",
    "machine_learning": "machine learning",
    "management": "management",
    "monitoring": "monitoring",
    "developer_tools": "developer tools",
    "migration": "migration and transfer",
    "cost_management": "cost management",
    "end_user_computing": "end-user computing",
    "iot": "IoT",
    "media": "media",
    "frontend_mobile": "front-end web and mobile",
    "governance": "governance",
}
SIBLING_CATEGORIES = {
    "compute": ("containers", "serverless", "end_user_computing"),
    "containers": ("compute", "serverless"),
    "serverless": ("containers", "compute", "integration"),
    "storage": ("database", "migration"),
    "database": ("storage", "analytics"),
    "networking": ("content_delivery",),
    "content_delivery": ("networking",),
    "security": ("identity", "governance"),
    "identity": ("security", "governance"),
    "governance": ("management", "security", "monitoring"),
    "integration": ("serverless", "analytics"),
    "analytics": ("database", "machine_learning", "integration"),
    "machine_learning": ("analytics", "media"),
    "management": ("governance", "monitoring", "developer_tools"),
    "monitoring": ("management", "governance"),
    "developer_tools": ("management",),
    "migration": ("storage",),
    "cost_management": ("management", "governance"),
    "end_user_computing": ("compute",),
    "iot": ("integration", "analytics"),
    "media": ("machine_learning", "storage"),
    "frontend_mobile": ("serverless", "integration"),
}

# Words that say a statement is note-taking, not a fact a learner can be asked about.
_NOISE_RE = re.compile(
    r"\?|\b(?:we|us|our|i|me|my)\b|\bTODO\b|\bTBD\b|\bmnemo|\bremember\b|\bexam\b|\btips?\b"
    r"|\bquestion\b|\banswer\b|\bsee (?:above|below)\b|\b(?:above|below)\b|\bfollowing\b"
    r"|\bthe former\b|\bthe latter\b|\bthis (?:one|service|feature|option)\b|\bsolution:|\bnote:"
    r"|\bex:|\bvs\b|\bversus\b|->|=>|\s=\s|\+\+|\.\.\.|…|\betc\b\.?$|\be\.?g\.?$|\bi\.e\.?$"
    r"|\b(?:it|they|this|these|those)\b(?= (?:is|are|can|will|has|have)\b)"
    r"|\b(?:except|but|and|or|with|for|to|of|the|a|an)\W*$"
    r"|^(?:know|understand|remember|learn|note|consider|recall)\b|\b(?:know|understand) the\b"
    r"|^\W|\bwhich\s*$|[:;,]\s*$",
    re.IGNORECASE,
)
_BAD_OPTION_RE = re.compile(r"\b(?:all|none|both|neither) of (?:the )?(?:above|these|them)\b", re.I)
_WORDS_RE = re.compile(r"[A-Za-z0-9][\w'/-]*")


def clean_enough(text: str, *, low: int = 25, high: int = 200) -> bool:
    """A statement a learner can read on its own: the right length, no markup or note noise."""
    return low <= len(text) <= high and _clean(text)


@lru_cache(maxsize=65536)
def _clean(text: str) -> bool:
    if has_markup(text) or _NOISE_RE.search(text):
        return False
    if text.count("(") != text.count(")") or text.count('"') % 2:
        return False
    if text.count(":") > 1 or text.count(";") > 1:
        return False
    return len(_WORDS_RE.findall(text)) >= 4


def keyable(fact: FactView, kb: FactBase) -> tuple[str, str] | None:
    """(statement to key on, correction note), or None when the fact must not key a question.

    Active facts key as written (former service names replaced by current ones). An outdated
    fact keys only through a rename: its statement names a service by a former name and its
    correction is the current name; value corrections are handled by `attribute_value`.
    """
    if fact.status == "active":
        return kb.current_names(fact.statement), ""
    if fact.status == "outdated" and fact.correction and fact.correction_note:
        former = kb.former_name_in(fact.statement)
        if former is None:
            return None
        renamed = [m for m in kb.mentions(fact.statement) if m.former]
        if any(
            kb.label(m.short_name).casefold() in fact.correction.casefold()
            or kb.services[m.short_name].name.casefold() in fact.correction.casefold()
            for m in renamed
        ):
            return kb.current_names(fact.statement), fact.correction_note
    return None


def source_line(fact: FactView) -> str:
    return f'Source: "{fact.heading or fact.source_file}" ({fact.source_file}).'


def explanation_for(answer: str, facts: tuple[FactView, ...], notes: list[str]) -> str:
    parts = [answer]
    parts += [note for note in dict.fromkeys(notes) if note]
    headings = list(
        dict.fromkeys(f'"{f.heading or f.source_file}" ({f.source_file})' for f in facts)
    )
    parts.append(f"Source: {', '.join(headings)}.")
    return " ".join(parts)


def leading_subject(kb: FactBase, text: str) -> tuple[Mention, int] | None:
    """The service a statement starts with, and where its subject phrase ends."""
    mentions = kb.mentions(text)
    if not mentions:
        return None
    first = mentions[0]
    prefix = text[: first.start].strip()
    if prefix not in ("", "The", "An", "A", "Amazon", "AWS"):
        return None
    end = first.end
    paren = re.match(r"\s*\(([^()]{1,60})\)", text[end:])
    if paren:
        inner = paren.group(1)
        inner_mentions = kb.mentions(inner)
        if all(m.short_name == first.short_name for m in inner_mentions):
            end += paren.end()
    rest = text[end:]
    # "Batch Translation …", "SQS, SNS are …", "SNS/SQS …": not a statement about the service.
    if re.match(r"\s*(?:[,/&+]|and\b|or\b|vs\b|[-–]\s)", rest) or re.match(r"\s+[A-Z][\w-]*", rest):
        return None
    return first, end


_AUXILIARIES = word_list(
    """is are was were can cannot could will must should may might has have does do only also now
    never always"""
)


def verb_starts(rest: str) -> bool:
    """Does the text after a subject start with a verb ("is …", "provides …")?"""
    return bool(_VERB_START.match(rest))


def statement_subject(kb: FactBase, fact: FactView, text: str) -> str | None:
    """The service a statement is about, when the statement itself says so."""
    lead = leading_subject(kb, text)
    if lead and lead[0].short_name == fact.subject:
        return fact.subject
    return None


# --------------------------------------------------------------------------------------------
# 1. scenario_service
# --------------------------------------------------------------------------------------------

_CAPABILITY_VERBS = word_list(
    """provides provide offers offer supports support allows allow enables enable lets let helps
    help makes can delivers stores encrypts replicates manages protects monitors detects
    analyzes analyses automates records tracks collects distributes routes caches scales runs
    uses gives simplifies discovers identifies converts transforms migrates moves copies streams
    ingests processes extracts translates transcribes recognizes queries centralizes centralises
    consolidates enforces evaluates creates connects hosts serves accelerates improves reduces
    sends publishes decouples orchestrates coordinates schedules captures audits inspects
    filters blocks prevents generates rotates retrieves launches deploys provisions builds
    compiles keeps retains archives backs automatically continuously securely assesses scans
    searches visualizes visualises indexes converts synchronizes synchronises shares"""
)
_CAPABILITY_RE = re.compile(rf"^\s*(?P<verb>{'|'.join(_CAPABILITY_VERBS)})\b(?P<rest>.+)$")
_VERB_START = re.compile(
    rf"^\s*(?:{'|'.join(sorted(set(_AUXILIARIES) | set(_CAPABILITY_VERBS)))})\b"
)
_DEFINITION_RE = re.compile(r"^\s*(?:is|are)\s+(?P<np>(?:a|an|the)\s.+)$")
_USED_RE = re.compile(
    r"^\s*(?:is|are)\s+(?:used|designed|built|ideal|best|great|good|meant|intended)\s+"
    r"(?P<prep>to|for)\s+(?P<rest>.+)$"
)
_IMPERATIVES = frozenset(
    word_list(
        """analyze analyse automate build capture centralize centralise collect connect consolidate
        convert create decouple deliver deploy detect discover distribute encrypt enforce extend
        extract generate host identify improve ingest integrate manage migrate monitor move
        orchestrate process protect provision query reduce replicate retain route run scale
        schedule search secure send serve share simplify store stream track transfer transform
        translate visualize visualise maintain keep implement enable establish gain get perform
        prevent provide deliver track audit record log detect automate accelerate backup back
        archive block filter inspect rotate scan recover restore replicate synchronize sync
        build"""
    )
)
_USE_CASE_LABEL_RE = re.compile(
    r"\s*(?:[-–]\s*)?(?:common\s+|typical\s+|key\s+|best\s+)?use[\s-]*cases?\s*$", re.IGNORECASE
)
_LABEL_RE = re.compile(
    r"^(?P<label>[^:()]{2,80}?)\s*(?:\((?P<ctx>[^()]*(?:\([^()]*\)[^()]*)?)\))?\s*:\s*(?P<body>.+)$"
)
_ROW_RE = re.compile(
    r"^For (?P<row>[^,]{1,80}), the (?P<col>[A-Za-z /&-]{2,40}?) (?:is|are) (?P<value>.+)$"
)
_USE_COLUMNS = frozenset(
    {
        "use case",
        "use cases",
        "common use cases",
        "typical use cases",
        "when to choose",
        "purpose",
        "best for",
        "ideal for",
        "best use case",
        "primary use case",
    }
)
_FOR_PHRASE_RE = re.compile(
    r"^(?:(?:choose|use|pick)\s+(?:(?:it|this|[A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,3})\s+)?(?:for|when)"
    r"|(?:(?:commonly|often|typically|mainly|mostly|primarily|widely)\s+)?"
    r"(?:ideal|best|great|good|used|designed|suited|useful)\s+for|for)\s+",
    re.IGNORECASE,
)
_PRONOUNS = (
    (re.compile(r"\byou're\b", re.I), "users are"),
    (re.compile(r"\byourself\b", re.I), "themselves"),
    (re.compile(r"\byours\b", re.I), "theirs"),
    (re.compile(r"\byour\b", re.I), "their"),
    (re.compile(r"\byou\b", re.I), "users"),
)
_COMPANY_PRONOUNS = (
    (re.compile(r"\byour\b", re.I), "its"),
    (re.compile(r"\byou\b", re.I), "it"),
)

STEM_OPENERS = (
    "A company needs {req}.",
    "A solutions architect must recommend {req}.",
    "A company is designing a new workload on AWS and needs {req}.",
)
USE_CASE_OPENERS = (
    "A company wants to use an AWS service for {req}.",
    "A solutions architect is designing a solution for {req}.",
)
IMPERATIVE_OPENERS = (
    "A company wants to {req}.",
    "A solutions architect needs to {req}.",
)


_VAGUE_RE = re.compile(
    r"\b(?:crucial|essential|powerful|important|looking to|these benefits|many benefits"
    r"|various|variety of|wide range|lots? of|everything|anything|any kind"
    r"|good (?:option|choice)|great (?:option|choice)|best (?:option|choice)|web-scale"
    r"|cloud computing|easier for developers|^can be used|^be used)\b",
    re.IGNORECASE,
)


# Stemmed words that any managed service can claim: a requirement needs more than these.
_GENERIC_TOKEN_RE = re.compile(
    r"^(?:scal|automat|manag|serverless|cost|secur|availab|perform|latenc|eas|traffic|load"
    r"|request|unpredictabl|pattern|grow|handl|increas|reduc|fast|quick|high|low|reliabl"
    r"|durabl|flexibl|effici|simpl|infrastructur|workload|applicat|resourc|dat|cloud|aws"
    r"|server|minimal|without|effort|operat|overhead|ideal|make|build|run|deploy|coupl|decoupl"
    r"|asynchron|isolat|design|improv|enabl)",
)


@dataclass(frozen=True)
class Requirement:
    text: str  # the requirement, ready for the stem
    style: str  # "need" | "use_case" | "action"


def _fix_pronouns(text: str, table=_PRONOUNS) -> str:
    for pattern, replacement in table:
        text = pattern.sub(replacement, text)
    return text


def _strip_end(text: str) -> str:
    return text.strip().rstrip(" .;:,")


def _gerund_start(text: str) -> bool:
    words = text.split(" ", 2)
    first = words[0]
    if len(words) > 1 and words[1].casefold() in ("is", "are", "was", "were", "can", "will", "has"):
        return False  # "routing is performed …": a noun, not a use case
    return first.casefold().endswith("ing") and first.isalpha() and len(first) > 4


def _noun(kb: FactBase, subject: str) -> str:
    return "a capability" if kb.services[subject].kind == "feature" else "a service"


def _body_requirement(
    kb: FactBase, subject: str, body: str, *, use_case: bool
) -> Requirement | None:
    body = _strip_end(body)
    if not body:
        return None
    lead = leading_subject(kb, body)
    if lead and lead[0].short_name == subject:
        return _after_subject(body[lead[1] :], _noun(kb, subject))
    pronoun = re.match(r"^(?:the|this) service\s+", body, re.IGNORECASE)
    if pronoun:  # the label names the service: "GuardDuty: the service uses …"
        return _after_subject(body[pronoun.end() - 1 :], _noun(kb, subject))
    first = body.split(" ", 1)[0]
    if first.casefold() in _IMPERATIVES and first[0].isupper():
        return Requirement(_fix_pronouns(lower_first(body), _COMPANY_PRONOUNS), "action")
    phrase = _FOR_PHRASE_RE.sub("", body, count=1) if _FOR_PHRASE_RE.match(body) else None
    if phrase:
        return _phrase_requirement(phrase)
    if _gerund_start(body):
        return Requirement(_fix_pronouns(lower_first(body)), "use_case")
    if use_case and not re.search(r"\b(?:is|are|was|were|can|will)\b", body):
        return _phrase_requirement(body)
    return None


def _phrase_requirement(phrase: str) -> Requirement:
    """A use-case phrase; one that starts with a verb ("track changes") is an action."""
    first = phrase.split(" ", 1)[0].casefold()
    if first in _IMPERATIVES:
        return Requirement(_fix_pronouns(lower_first(phrase), _COMPANY_PRONOUNS), "action")
    return Requirement(_fix_pronouns(lower_first(phrase)), "use_case")


def _after_subject(rest: str, noun: str = "a service") -> Requirement | None:
    rest = _strip_end(rest)
    match = _DEFINITION_RE.match(rest)
    if match:
        np = match.group("np")
        if not re.search(
            r"\b(?:service|tool|storage|database|system|engine|platform|solution|way|"
            r"feature|store|network|firewall|queue|cache|repository|warehouse|registry|"
            r"capability|option|library|interface|framework|catalog|connection)\b",
            np,
        ):
            return None
        return Requirement(_fix_pronouns(lower_first(np), _COMPANY_PRONOUNS), "need")
    match = _USED_RE.match(rest)
    if match:
        if match.group("prep") == "to":
            return Requirement(_fix_pronouns(match.group("rest"), _COMPANY_PRONOUNS), "action")
        return Requirement(_fix_pronouns(match.group("rest")), "use_case")
    match = _CAPABILITY_RE.match(rest)
    if match and re.match(
        r"\s+(?:is|are|was|were|have|has|can|of|in|and|it|you)\b", match.group("rest")
    ):
        return None  # "streams are divided …", "provides you: …": the verb is a noun
    if match:
        verb = match.group("verb")
        clause = f"{verb}{match.group('rest')}"
        if verb in ("provide", "offer", "support", "allow", "enable", "let", "help"):
            return None  # a plural subject ("Roles allow…"): not about the service itself
        return Requirement(f"{noun} that {_fix_pronouns(clause, _COMPANY_PRONOUNS)}", "need")
    return None


def requirement_of(kb: FactBase, fact: FactView, statement: str) -> Requirement | None:
    subject = fact.subject
    if subject is None:
        return None
    text = _strip_end(statement)
    row = _ROW_RE.match(text)
    if row:
        if kb.matcher.resolve(row.group("row")) != subject:
            return None
        column = row.group("col").casefold()
        if column not in _USE_COLUMNS:
            return None
        value = _strip_end(row.group("value"))
        value = _FOR_PHRASE_RE.sub("", value, count=1)
        if re.search(r"\b(?:is|are)\b", value) and not _gerund_start(value):
            return None
        return _phrase_requirement(value)
    lead = leading_subject(kb, text)
    if lead and lead[0].short_name == subject:
        rest = text[lead[1] :]
        if rest.lstrip().startswith(":"):
            body = rest.lstrip()[1:]
            return _body_requirement(kb, subject, body, use_case=fact.kind == "use_case")
        label_rest = re.match(r"^\s*(?:common\s+)?use[\s-]*cases?\s*:\s*(?P<body>.+)$", rest, re.I)
        if label_rest:
            return _body_requirement(kb, subject, label_rest.group("body"), use_case=True)
        return _after_subject(rest, _noun(kb, subject))
    label = _LABEL_RE.match(text)
    if label:
        name = label.group("label")
        context = label.group("ctx") or ""
        use_case = bool(_USE_CASE_LABEL_RE.search(name)) or fact.kind == "use_case"
        stripped = _USE_CASE_LABEL_RE.sub("", name).strip()
        if kb.matcher.resolve(stripped) == subject:
            return _body_requirement(kb, subject, label.group("body"), use_case=use_case)
        context_mentions = kb.mentions(context)
        if context_mentions and all(m.short_name == subject for m in context_mentions):
            if kb.mentions(name):
                return None
            return _body_requirement(kb, subject, label.group("body"), use_case=False)
    return None


def _category_pool(kb: FactBase, subject: str) -> list[tuple[int, str]]:
    """Possible distractor entries for a service answer, with a rank (lower is closer)."""
    answer = kb.services[subject]
    ranked: list[tuple[int, str]] = []
    siblings = SIBLING_CATEGORIES.get(answer.category, ())
    for short_name, service in kb.services.items():
        if short_name == subject or service.retired or kb.related(short_name, subject):
            continue
        if answer.kind == "feature":
            if service.kind != "feature":
                continue
            if service.parent == answer.parent:
                rank = 0
            elif service.category == answer.category:
                rank = 1
            else:
                continue
        else:
            if service.kind != "service":
                continue
            if service.category == answer.category:
                rank = 0
            elif service.category in siblings:
                rank = 1 + siblings.index(service.category)
            else:
                continue
        ranked.append((rank, short_name))
    return ranked


def defining_fact(kb: FactBase, short_name: str) -> FactView | None:
    """The service's own definition, for a distractor's rationale."""
    cached = kb.__dict__.setdefault("_definitions", {})
    if short_name not in cached:
        cached[short_name] = _defining_fact(kb, short_name)
    return cached[short_name]


def _defining_fact(kb: FactBase, short_name: str) -> FactView | None:
    best: tuple[int, int, str, FactView] | None = None
    for fact in kb.by_subject.get(short_name, ()):
        if fact.status != "active":
            continue
        text = kb.current_names(fact.statement)
        if not clean_enough(text, low=20, high=220):
            continue
        lead = leading_subject(kb, text)
        if not lead or lead[0].short_name != short_name:
            continue
        after = text[lead[1] :]
        if not _DEFINITION_RE.match(after):
            continue
        if fact.kind == "definition":
            rank = 0
        elif re.search(r"\b(?:service|tool|database|storage|system|platform)\b", after):
            rank = 1
        else:
            continue
        key = (rank, len(text), fact.content_hash, fact)
        if best is None or key[:3] < best[:3]:
            best = key
    return best[3] if best else None


def service_rationale(kb: FactBase, short_name: str, *, why: str) -> str:
    fact = defining_fact(kb, short_name)
    if fact is not None:
        return f"Incorrect. {sentence(kb.current_names(fact.statement))} {why}"
    service = kb.services[short_name]
    what = CATEGORY_WORDS.get(service.category, service.category.replace("_", " "))
    if service.kind == "feature" and service.parent:
        parent = kb.label(service.parent)
        return f"Incorrect. {kb.display(short_name)} is a {what} feature of {parent}. {why}"
    return f"Incorrect. {kb.display(short_name)} is an AWS {what} service. {why}"


def scenario_service(kb: FactBase, fact: FactView, rng: random.Random) -> Iterator[Candidate]:
    if fact.kind not in ("definition", "use_case", "feature", "comparison"):
        raise Skip("kind")
    answer = kb.service(fact.subject)
    if answer is None or answer.retired:
        raise Skip("no_subject")
    keyed = keyable(fact, kb)
    if keyed is None:
        raise Skip("untrusted")
    statement, note = keyed
    if not clean_enough(statement, low=20, high=400):
        raise Skip("noisy")
    requirement = requirement_of(kb, fact, statement)
    if requirement is None:
        raise Skip("no_requirement")
    req = _strip_end(kb.current_names(requirement.text))
    if re.search(r"[.!?]\s+\S", req):
        raise Skip("several_sentences")
    if not 15 <= len(req) <= 380 or has_markup(req) or _NOISE_RE.search(req) or ":" in req:
        raise Skip("noisy_requirement")
    if _VAGUE_RE.search(req):
        raise Skip("vague")
    hidden = [fact.subject, *kb.descendants(fact.subject)]
    if answer.kind == "service":
        hidden += kb.ancestors(fact.subject)
    if any(kb.names_service(req, s) for s in hidden):
        raise Skip("names_answer")
    ignore = [fact.subject, *kb.ancestors(fact.subject)]
    wanted = kb.requirement_tokens(req, ignore=ignore)
    specific = frozenset(w for w in wanted if not _GENERIC_TOKEN_RE.match(w))
    if (
        len(wanted) < 3
        or kb.weight(wanted) < 12.0
        or len(specific) < 3
        or kb.weight(specific) < 10.0
    ):
        raise Skip("vague")
    mentioned = {m.short_name for m in kb.mentions(req)}
    pool: list[tuple[int, int, str, Option]] = []
    for rank, other in _category_pool(kb, fact.subject):
        if other in mentioned or any(kb.related(other, m) for m in mentioned):
            continue
        if kb.meets(other, wanted, req):
            continue
        has_definition = defining_fact(kb, other) is not None
        option = Option(
            kb.display(other),
            service_rationale(kb, other, why="It does not meet this requirement."),
            ref=other,
        )
        pool.append((rank, 0 if has_definition else 1, other, option))
    if len(pool) < 3:
        raise Skip("too_few_distractors")
    pool.sort(key=lambda item: (item[0], item[1], item[2]))
    # Keep the closest ranks, shuffled within a rank so the same neighbours do not always show.
    ordered: list[Option] = []
    for rank in sorted({item[0] for item in pool}):
        tier = [item for item in pool if item[0] == rank]
        rng.shuffle(tier)
        tier.sort(key=lambda item: item[1])
        ordered += [item[3] for item in tier]
    if requirement.style == "use_case" and answer.kind == "feature" and answer.parent:
        opener = f"A company wants to use {kb.label(answer.parent)} for {{req}}."
    elif requirement.style == "use_case":
        opener = rng.choice(USE_CASE_OPENERS)
    elif requirement.style == "action":
        opener = rng.choice(IMPERATIVE_OPENERS)
    else:
        opener = rng.choice(STEM_OPENERS)
    scenario = opener.format(req=req)
    if answer.kind == "feature" and answer.parent:
        same_parent = sum(1 for o in ordered[:5] if kb.services[o.ref].parent == answer.parent)
        noun = f"{kb.label(answer.parent)} feature" if same_parent >= 3 else "AWS feature"
        question = f"Which {noun} meets this requirement?"
    else:
        question = rng.choice(
            (
                "Which AWS service meets this requirement?",
                "Which AWS service should the solutions architect choose?",
                "Which AWS service is the BEST fit?",
            )
        )
    stem = f"{scenario[0].upper()}{scenario[1:]} {question}"
    display = kb.display(fact.subject)
    correct = Option(display, f"Correct. {sentence(statement)}", ref=fact.subject)
    yield Candidate(
        template=SCENARIO_SERVICE,
        fact=fact,
        facts=(fact,),
        services=(fact.subject, *(o.ref for o in ordered[:3])),
        stem=stem,
        correct=(correct,),
        distractors=tuple(ordered),
        explanation=explanation_for(
            f"{display} is the answer: {sentence(statement)}", (fact,), [note]
        ),
    )


# --------------------------------------------------------------------------------------------
# 2. attribute_value
# --------------------------------------------------------------------------------------------

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_RANGE_RE = re.compile(r"\d\s*(?:[a-z%]+\s*)?(?:to|-|–|&|and|/)\s*\d", re.IGNORECASE)
_COUNT_NUMBER_RE = re.compile(
    r"(?<![\w.,])(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s*[kKmM]\b)?|\b(?:"
    + "|".join(w for w in _NUMBER_WORDS if w != "one")
    + r")\b",
    re.IGNORECASE,
)
WELL_KNOWN_PORTS = (
    20, 21, 22, 23, 25, 53, 80, 110, 123, 143, 389, 443, 445, 465, 587, 636, 993, 995, 1433,
    1521, 2049, 3306, 3389, 5432, 5439, 6379, 8080, 8443, 9092, 11211, 27017,
)  # fmt: skip
_NINES = (90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99, 99.999, 99.9999, 99.99999, 99.999999999)
_EXAMPLE_RE = re.compile(
    r"\be\.?g\b|\bexample|\bfor instance\b|\bsuppose\b|\blet'?s say\b|\bif you\b"
    r"|\d\s*[ap]\.?m\b|\+|=|[<>]",
    re.IGNORECASE,
)
_MULTIPLIERS = (2.0, 0.5, 10.0, 0.1, 4.0, 0.25, 5.0, 0.2, 3.0, 1.5, 20.0, 0.05)


@dataclass(frozen=True)
class ValueKey:
    subject: str
    number: float
    unit: str
    style: tuple[str, float] | None
    text: str  # the correct option


def value_distractors(
    kb: FactBase, key: ValueKey, rng: random.Random, *, limit: int = 8
) -> list[float]:
    """Wrong values of the same unit near the right one, none stated for the subject."""
    number, unit, style = key.number, key.unit, key.style
    real: list[float] = []
    if unit == "port":
        real = [float(p) for p in WELL_KNOWN_PORTS]
        made: list[float] = []
    elif unit == "percent" and number >= 90:
        real = list(_NINES)
        made = []
    else:
        for fact in kb.facts:
            if fact.unit == unit and fact.value_number is not None and fact.value_number > 0:
                real.append(fact.value_number)
        made = [number * m for m in _MULTIPLIERS]
        if unit == "count" and number <= 12:
            made = [number + d for d in (1, -1, 2, -2, 3, 4)] + made
        if unit == "count" and number < 1000:
            made = [round(v) for v in made]
        if unit == "seconds" and style is not None:
            made += [n * style[1] for n in _DURATIONS.get(style[0], ())]
    texts = {key.text}
    chosen: list[tuple[int, float, str, float]] = []
    seen: set[float] = set()
    for source, values in ((0, real), (1, made)):
        for value in sorted(set(values)):
            if value in seen or value <= 0:
                continue
            seen.add(value)
            if unit == "percent" and value > 100:
                continue
            distance = log_distance(value, number)
            if unit not in ("port",) and not 0.12 <= distance <= 1.35:
                continue
            if unit == "percent" and number >= 90 and not (value >= 90):
                continue
            if not is_nice(value, unit, style) or not _round(value, unit, style):
                continue
            if same_value(value, number) or kb.value_stated(key.subject, value, unit):
                continue
            text = format_quantity(value, unit, style)
            if text in texts:
                continue
            texts.add(text)
            chosen.append((source, distance, text, value))
    rng.shuffle(chosen)
    if unit == "port":
        chosen.sort(key=lambda item: item[0])
    else:
        chosen.sort(key=lambda item: (item[0], round(item[1], 1)))
    return [item[3] for item in chosen[:limit]]


_DURATIONS = {
    "millisecond": (1, 5, 10, 20, 50, 100, 200, 500),
    "second": (1, 2, 3, 5, 10, 15, 20, 30, 45, 60, 90, 120, 300, 600, 900),
    "minute": (1, 2, 3, 5, 10, 15, 20, 30, 45, 60, 90, 120),
    "hour": (1, 2, 3, 4, 6, 8, 12, 24, 36, 48, 72),
    "day": (1, 2, 3, 4, 5, 7, 10, 14, 15, 30, 35, 45, 60, 90, 120, 180, 365),
    "year": (1, 2, 3, 5, 7, 10),
}


def _round(value: float, unit: str, style: tuple[str, float] | None) -> bool:
    """Distractors read like real limits: two significant digits, or a power of two."""
    if unit == "port":
        return True
    scaled = value / style[1] if style else value
    if unit == "percent":
        return True
    if unit == "seconds" and style is not None:
        return any(abs(scaled - n) < 1e-9 for n in _DURATIONS.get(style[0], ()))
    if unit == "count" and abs(scaled - round(scaled)) > 1e-9:
        return False
    rounded = float(f"{scaled:.2g}")
    if abs(rounded - scaled) <= 1e-9 * max(scaled, 1):
        return True
    integer = round(scaled)
    return abs(integer - scaled) < 1e-9 and integer > 0 and integer & (integer - 1) == 0


def _value_span(statement: str, fact: FactView) -> tuple[int, int] | None:
    """Where the fact's value (its number, for counts) stands in the statement (exactly once)."""
    value = fact.value.strip()
    if not value or statement.count(value) != 1:
        return None
    start = statement.index(value)
    end = start + len(value)
    if fact.unit in ("count", "port"):
        numbers = list(_COUNT_NUMBER_RE.finditer(value))
        if len(numbers) != 1:
            return None
        return start + numbers[0].start(), start + numbers[0].end()
    return start, end


def _number_of(text: str, unit: str) -> float | None:
    if unit in ("count", "port"):
        word = text.strip().casefold()
        if word in _NUMBER_WORDS:
            return float(_NUMBER_WORDS[word])
        digits = text.replace(",", "").strip()
        multiplier = 1.0
        if digits[-1:] in "kK":
            multiplier, digits = 1e3, digits[:-1].strip()
        elif digits[-1:] in "mM":
            multiplier, digits = 1e6, digits[:-1].strip()
        try:
            return float(digits) * multiplier
        except ValueError:
            return None
    parsed = parse_value(text)
    return parsed[0] if parsed and parsed[1] == unit else None


_ATTRIBUTE_QUESTION_RE = re.compile(
    r"^For (?P<row>[^,]{1,60}), the (?P<attr>[A-Za-z][A-Za-z0-9 ()/-]{1,50}?) (?:is|are) "
    r"(?P<pre>(?:up to |upto |max(?:imum)? |min(?:imum)? |~ ?|about |around )?)(?P<value>.+)$",
    re.IGNORECASE,
)


def attribute_value(kb: FactBase, fact: FactView, rng: random.Random) -> Iterator[Candidate]:
    if fact.kind not in ("attribute", "comparison"):
        raise Skip("kind")
    if fact.unit not in QUESTION_UNITS or fact.value_number is None or not fact.subject:
        raise Skip("no_value")
    subject = kb.service(fact.subject)
    if subject is None or subject.retired:
        raise Skip("no_subject")
    if _RANGE_RE.search(fact.value) or fact.value_number <= 0:
        raise Skip("range")
    statement = kb.current_names(fact.statement)
    number = fact.value_number
    note = ""
    span = _value_span(statement, fact)
    if span is None:
        raise Skip("value_not_found")
    start, end = span
    if fact.status == "outdated":
        if not (fact.correction and fact.correction_note):
            raise Skip("untrusted")
        corrected = _first_quantity(fact.correction, fact.unit)
        if corrected is None:
            raise Skip("untrusted")
        same_unit = [q for q in _all_quantities(statement) if q.unit_family == fact.unit]
        if len(same_unit) != 1 or re.search(r"\d", statement[:start] + statement[end:]):
            raise Skip("untrusted")  # the erratum may be about another number
        outdated = re.match(r"Older notes say (.+?);", fact.correction_note)
        old_value = _number_of(outdated.group(1), fact.unit) if outdated else None
        if old_value is None or not same_value(old_value, fact.value_number):
            raise Skip("untrusted")  # the correction is not about this value
        number, corrected_text = corrected
        statement = statement[:start] + corrected_text + statement[end:]
        end = start + len(corrected_text)
        note = fact.correction_note
    elif fact.status != "active":
        raise Skip("untrusted")
    if not clean_enough(statement, low=20, high=260) or _EXAMPLE_RE.search(statement):
        raise Skip("noisy")
    value_text = statement[start:end]
    if fact.unit == "count" and re.search(
        r"\b(?:layer|level|tier|version|type|gen|generation|step|phase|class|v|l)\s*$",
        statement[:start],
        re.IGNORECASE,
    ):
        raise Skip("identifier")  # "layer 4", "version 2": a name, not a quantity
    check = _number_of(value_text, fact.unit)
    if check is None or not same_value(check, number):
        raise Skip("value_mismatch")
    others = [q for q in _all_quantities(statement) if q.unit_family in QUESTION_UNITS]
    if len(others) > 2:
        raise Skip("too_many_numbers")
    if (
        sum(
            1
            for q in others
            if q.unit_family == fact.unit and same_value(q.number_in_base_unit, number)
        )
        > 1
    ):
        raise Skip("value_repeated")
    style = display_unit(value_text, number, fact.unit)
    answer_text = format_quantity(number, fact.unit, style)
    if not is_nice(number, fact.unit, style) and fact.unit != "percent":
        raise Skip("odd_value")
    key = ValueKey(fact.subject, number, fact.unit, style, answer_text)
    wrong = value_distractors(kb, key, rng)
    if len(wrong) < 3:
        raise Skip("too_few_distractors")
    blanked = statement[:start] + "____" + statement[end:]
    if "(____)" in blanked or re.search(r"\b[A-Z]{6,}\b", statement):
        raise Skip("noisy")  # "variables: (4 KB)", "ENVIRONMENT …": a fragment of notes
    if re.search(re.escape(value_text), blanked) or _strip_end(blanked).endswith("____:"):
        raise Skip("value_repeated")
    question = _attribute_question(kb, fact.subject, statement, blanked, value_text)
    if question is None:
        raise Skip("no_question")
    correct_statement_text = sentence(statement)
    correct = Option(answer_text, f"Correct. {correct_statement_text}", ref=str(number))
    distractors = tuple(
        Option(
            format_quantity(value, fact.unit, style),
            f"Incorrect. {format_quantity(value, fact.unit, style)} is not the documented value: "
            f"{correct_statement_text}",
            ref=str(value),
        )
        for value in wrong
    )
    yield Candidate(
        template=ATTRIBUTE_VALUE,
        fact=fact,
        facts=(fact,),
        services=(fact.subject,),
        stem=question,
        correct=(correct,),
        distractors=distractors,
        explanation=explanation_for(f"{correct_statement_text}", (fact,), [note]),
    )


def _all_quantities(text: str):
    from notes.extract import parse_quantity

    return parse_quantity(text)


def _first_quantity(correction: str, unit: str) -> tuple[float, str] | None:
    from notes.extract import parse_quantity

    for quantity in parse_quantity(correction.split("(")[0].split(";")[0]):
        if quantity.unit_family == unit and quantity.low_in_base_unit is None:
            return quantity.number_in_base_unit, quantity.value_text
        break
    if unit == "count":
        match = _COUNT_NUMBER_RE.search(correction)
        if match and match.start() == 0:
            value = _number_of(match.group(0), unit)
            if value is not None:
                return value, match.group(0)
    return None


def _attribute_question(
    kb: FactBase, subject: str, statement: str, blanked: str, value_text: str
) -> str | None:
    text = _strip_end(statement)
    row = _ATTRIBUTE_QUESTION_RE.match(text)
    if (
        row
        and row.group("value").startswith(value_text)
        and len(row.group("value")) <= len(value_text) + 12
    ):
        attr = row.group("attr").strip()
        qualifier = row.group("pre").strip().rstrip("~").strip()
        if qualifier and qualifier.casefold().startswith("up"):
            qualifier = "maximum"
        entity = row.group("row").strip()
        where = entity if kb.mentions(entity) else f"{entity} in {kb.label(subject)}"
        attribute = f"{qualifier} {attr}".strip()
        return f"A solutions architect is comparing options. What is the {attribute} for {where}?"
    label = kb.label(subject)
    blanked_sentence = sentence(blanked)
    if len(re.findall(r"[A-Za-z]{3,}", blanked)) < 3:
        return None
    return (
        f"Which value correctly completes the following statement about {label}? "
        f'"{blanked_sentence}"'
    )


# --------------------------------------------------------------------------------------------
# Statements about a service (correct_statement, multiple_response)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrueStatement:
    fact: FactView
    text: str  # display text (a sentence), starting with the subject's label
    note: str
    rest: str  # the text after the subject ("is a …", "provides …")
    plural: bool  # the notes named the subject in the plural ("Security Groups are …")


_NEGATION_RE = re.compile(
    r"\b(?:not|no|never|cannot|can't|doesn't|don't|isn't|aren't|won't|without|only|unlike)\b",
    re.IGNORECASE,
)
_GENERIC_CLAIM_RE = re.compile(
    r"free|no (?:additional )?(?:cost|charge)|pay(?:s)? (?:only|as)|regional|global|managed"
    r"|serverless|highly available|multi[- ]?az|scal|durab|region|availability zone|\bAZs?\b"
    r"|cost|secur|cheap|expensive|integrat|compatible|popular|patch|backup|provision"
    r"|administ|maintenan|operational|monitor|reliab|availab|performance|latency|easy|easier"
    r"|simplif|automat|flexib|coupl|asynchron|retr|delay|real[- ]time|fast|analy|process|vast"
    r"|amounts? of|isolat|million|billion|handle|requests per second|^\s*also\b",
    re.IGNORECASE,
)


def subject_phrase(kb: FactBase, subject: str, plural: bool) -> str:
    label = kb.label(subject)
    if plural and not label.endswith("s") and kb.services[subject].kind == "feature":
        return f"{label}s"
    return label


def _is_plural(kb: FactBase, mention: Mention) -> bool:
    """ "Security groups are …", "NACLs need …": the notes named the entry in the plural."""
    surface = mention.surface.strip().casefold()
    for ending in ("es", "s"):
        if surface.endswith(ending):
            stem = surface[: -len(ending)]
            for name in kb.names(mention.short_name):
                folded = name.casefold()
                if folded.endswith("s"):
                    continue
                if stem == folded or stem.endswith(" " + folded) or folded.endswith(" " + stem):
                    return True
    return False


def true_statements(kb: FactBase, subject: str) -> list[TrueStatement]:
    """Facts that state something about the service in a sentence that starts with it."""
    cached = kb.__dict__.setdefault("_true_statements", {})
    if subject in cached:
        return cached[subject]
    found: list[TrueStatement] = []
    seen: list[str] = []
    for fact in kb.by_subject.get(subject, ()):
        if fact.kind not in ("feature", "definition", "attribute", "use_case", "comparison"):
            continue
        keyed = keyable(fact, kb)
        if keyed is None:
            continue
        text, note = keyed
        if not clean_enough(text, low=30, high=190) or text.count(":"):
            continue
        lead = leading_subject(kb, text)
        if lead is None or lead[0].short_name != subject:
            continue
        rest = _strip_end(text[lead[1] :])
        if not verb_starts(rest) or re.search(r"\b(?:is|are)\s*$", rest):
            continue
        if kb.names_service(rest, subject):
            continue  # "S3 … S3 …": the subject again, in some other form
        plural = _is_plural(kb, lead[0])
        display = sentence(f"{subject_phrase(kb, subject, plural)} {rest.strip()}")
        normal = normalise(display)
        if any(fuzz.token_set_ratio(normal, other) >= 85 for other in seen):
            continue
        seen.append(normal)
        found.append(TrueStatement(fact, display, note, rest.strip(), plural))
    cached[subject] = found
    return found


def _sibling_subjects(kb: FactBase, subject: str) -> list[tuple[int, str]]:
    answer = kb.services[subject]
    ranked = []
    for short_name, service in kb.services.items():
        if short_name == subject or kb.related(short_name, subject) or service.retired:
            continue
        if service.kind != answer.kind:
            continue
        if answer.kind == "feature" and service.parent == answer.parent:
            ranked.append((0, short_name))
        elif service.category == answer.category:
            ranked.append((1, short_name))
    return ranked


def false_statements(
    kb: FactBase, subject: str, rng: random.Random, *, avoid: set[str]
) -> list[Option]:
    """Statements that are false of `subject`: another service's fact with its name swapped
    in, or one of the subject's own values replaced by a wrong one. The checked pool is built
    once per subject; each call shuffles it with its own `rng`."""
    pool = [item for item in _false_pool(kb, subject) if item[1] not in avoid]
    pool = list(pool)
    rng.shuffle(pool)
    pool.sort(key=lambda item: item[0])
    unique: list[Option] = []
    normals: list[str] = []
    for _, _, option in pool:
        normal = normalise(option.text)
        if any(fuzz.ratio(normal, other) >= 80 for other in normals):
            continue
        normals.append(normal)
        unique.append(option)
    # Spread the distractors over as many other services as possible (round-robin by service).
    by_ref: dict[str, list[Option]] = {}
    for option in unique:
        by_ref.setdefault(option.ref, []).append(option)
    spread: list[Option] = []
    while any(by_ref.values()):
        for ref in list(by_ref):
            if by_ref[ref]:
                spread.append(by_ref[ref].pop(0))
    return spread


def _false_pool(kb: FactBase, subject: str) -> list[tuple[int, str, Option]]:
    cached = kb.__dict__.setdefault("_false_pools", {})
    if subject in cached:
        return cached[subject]
    label = kb.label(subject)
    family = kb.family(subject)
    options: list[tuple[int, str, Option]] = []
    for rank, other in _sibling_subjects(kb, subject):
        for statement in true_statements(kb, other):
            rest = statement.rest
            if _NEGATION_RE.search(rest) or statement.fact.status != "active":
                continue
            if statement.plural:
                continue  # "NACLs are …" would read "Shield Standards are …"
            words = rest.split()
            if len(words) < 6 or _GENERIC_CLAIM_RE.search(rest):
                continue
            mentions = kb.mentions(rest)
            if any(m.short_name in family or m.short_name == other for m in mentions):
                continue
            swapped = sentence(f"{subject_phrase(kb, subject, statement.plural)} {rest}")
            wanted = kb.requirement_tokens(rest, ignore=[subject, other])
            if len(wanted) < 3 or kb.weight(wanted) < 12.0:
                continue
            if kb.coverage(wanted, kb.union_tokens(subject)) >= 0.5:
                continue
            if kb.meets(subject, wanted, swapped) or kb.statement_true(subject, swapped):
                continue
            why = (
                f"Incorrect. This is true of {kb.display(other)}, not {label}: "
                f"{sentence(kb.current_names(statement.fact.statement))}"
            )
            options.append((rank, statement.fact.content_hash, Option(swapped, why, ref=other)))
    value_rng = random.Random(f"values|{subject}")
    for statement in true_statements(kb, subject):
        fact = statement.fact
        if fact.unit not in QUESTION_UNITS or fact.value_number is None or fact.status != "active":
            continue
        if _RANGE_RE.search(fact.value):
            continue
        text = statement.text
        span = _value_span(text, fact)
        if span is None:
            continue
        value_text = text[span[0] : span[1]]
        number = _number_of(value_text, fact.unit)
        if number is None or not same_value(number, fact.value_number):
            continue
        style = display_unit(value_text, number, fact.unit)
        key = ValueKey(subject, number, fact.unit, style, format_quantity(number, fact.unit, style))
        wrong = value_distractors(kb, key, value_rng, limit=1)
        if not wrong:
            continue
        new_text = format_quantity(wrong[0], fact.unit, style)
        swapped = text[: span[0]] + new_text + text[span[1] :]
        why = f"Incorrect. The value is wrong: {text}"
        options.append((2, fact.content_hash, Option(swapped, why, ref=fact.content_hash)))
    cached[subject] = options
    return options


# --------------------------------------------------------------------------------------------
# 4. correct_statement
# --------------------------------------------------------------------------------------------

STATEMENT_STEMS = (
    "Which statement about {label} is correct?",
    "A solutions architect is reviewing a design that uses {label}. Which statement about "
    "{label} is accurate?",
    "A company plans to use {label}. Which statement about {label} is true?",
)


def correct_statement(kb: FactBase, fact: FactView, rng: random.Random) -> Iterator[Candidate]:
    subject = fact.subject
    if subject is None or kb.service(subject) is None or kb.services[subject].retired:
        raise Skip("no_subject")
    mine = [s for s in true_statements(kb, subject) if s.fact.content_hash == fact.content_hash]
    if not mine:
        raise Skip("not_a_statement")
    statement = mine[0]
    wrong = false_statements(kb, subject, rng, avoid={fact.content_hash})
    wrong = [
        o for o in wrong if fuzz.token_set_ratio(normalise(o.text), normalise(statement.text)) < 80
    ]
    if len(wrong) < 3:
        raise Skip("too_few_distractors")
    label = kb.label(subject)
    stem = rng.choice(STATEMENT_STEMS).format(label=label)
    correct = Option(statement.text, f"Correct. {statement.text}", ref=fact.content_hash)
    yield Candidate(
        template=CORRECT_STATEMENT,
        fact=fact,
        facts=(fact,),
        services=(subject,),
        stem=stem,
        correct=(correct,),
        distractors=tuple(wrong),
        explanation=explanation_for(
            f"The correct statement is: {statement.text}", (fact,), [statement.note]
        ),
    )


# --------------------------------------------------------------------------------------------
# 3. multiple_response
# --------------------------------------------------------------------------------------------

_USE_CASE_BODY_RE = re.compile(
    r"^(?P<label>[^:]{2,80}?)\s*(?:[-–]\s*)?(?:common\s+|typical\s+)?use[\s-]*cases?\s*:\s*(?P<body>.+)$",
    re.IGNORECASE,
)


def use_case_phrases(kb: FactBase, subject: str) -> list[tuple[str, FactView, str]]:
    """(phrase, fact, correction note): what the notes list as use cases of the service."""
    cached = kb.__dict__.setdefault("_use_cases", {})
    if subject in cached:
        return cached[subject]
    found: list[tuple[str, FactView, str]] = []
    seen: list[str] = []
    for fact in kb.by_subject.get(subject, ()):
        if fact.kind not in ("use_case", "comparison"):
            continue
        keyed = keyable(fact, kb)
        if keyed is None:
            continue
        text, note = keyed
        text = _strip_end(text)
        phrases: list[str] = []
        row = _ROW_RE.match(text)
        if row and row.group("col").casefold() in ("use cases", "common use cases", "use case"):
            if kb.matcher.resolve(row.group("row")) == subject:
                phrases = [p.strip() for p in re.split(r"[,;]\s*(?![^()]*\))", row.group("value"))]
                # A list of short noun phrases, or nothing: a comma inside a longer phrase
                # ("warehousing for high-performance, complex queries") must not split it.
                if len(phrases) > 6 or any(
                    len(p.split()) > 5 or re.match(r"(?:and|or|but)\b", p, re.I) for p in phrases
                ):
                    phrases = []
        else:
            match = _USE_CASE_BODY_RE.match(text)
            label = _LABEL_RE.match(text)
            if match and kb.matcher.resolve(match.group("label").strip()) == subject:
                body = match.group("body")
                if not re.search(r"\b(?:is|are|was|can|will)\b", body):
                    phrases = [body]
            elif label and fact.kind == "use_case" and label.group("ctx"):
                # "Hybrid Cloud Migration (AWS MGN): Move parts of …": a named use case.
                context = kb.mentions(label.group("ctx"))
                body = _strip_end(label.group("body"))
                first = body.split(" ", 1)[0]
                if (
                    context
                    and all(m.short_name == subject for m in context)
                    and (first.casefold() in _IMPERATIVES or _gerund_start(body))
                    and not re.search(r"[.;]\s", body)
                ):
                    phrases = [body]
        for phrase in phrases:
            phrase = _strip_end(phrase)
            if not 8 <= len(phrase) <= 110 or has_markup(phrase) or _NOISE_RE.search(phrase):
                continue
            if kb.mentions(phrase) or len(content_tokens(phrase)) < 2:
                continue
            phrase = phrase[0].upper() + phrase[1:]
            normal = normalise(phrase)
            if any(fuzz.token_set_ratio(normal, other) >= 80 for other in seen):
                continue
            seen.append(normal)
            found.append((phrase, fact, note))
    cached[subject] = found
    return found


def multiple_response(kb: FactBase, fact: FactView, rng: random.Random) -> Iterator[Candidate]:
    subject = fact.subject
    if subject is None or kb.service(subject) is None or kb.services[subject].retired:
        raise Skip("no_subject")
    label = kb.label(subject)
    phrases = use_case_phrases(kb, subject)
    mine = [p for p in phrases if p[1].content_hash == fact.content_hash]
    made = False
    if mine and len(phrases) >= 2:
        made = True
        yield from _use_case_question(kb, fact, subject, label, phrases, mine[0], rng)
    statements = true_statements(kb, subject)
    own = [s for s in statements if s.fact.content_hash == fact.content_hash]
    if own and len(statements) >= 2:
        made = True
        yield from _statement_question(kb, fact, subject, label, statements, own[0], rng)
    if not made:
        raise Skip("no_list")


def _select_word(select: int) -> str:
    return {2: "TWO", 3: "THREE"}[select]


def _use_case_question(kb, fact, subject, label, phrases, first, rng) -> Iterator[Candidate]:
    others = [p for p in phrases if p is not first]
    # Prefer companions from the same source section (one list in the notes).
    others.sort(key=lambda p: (p[1].heading != fact.heading, p[1].line_start))
    select = 3 if len(others) >= 2 and int(fact.content_hash[:2], 16) % 2 == 0 else 2
    chosen = [first, *others[: select - 1]]
    pool: list[tuple[int, str, Option]] = []
    for rank, other in _category_pool(kb, subject):
        for phrase, other_fact, _ in use_case_phrases(kb, other):
            wanted = kb.requirement_tokens(phrase, ignore=[subject, other])
            if len(wanted) < 2 or kb.meets(subject, wanted, phrase):
                continue
            if kb.statement_true(subject, phrase):
                continue
            why = f"Incorrect. This is a use case for {kb.display(other)}, not {label}."
            pool.append((rank, other_fact.content_hash, Option(phrase, why, ref=other)))
    rng.shuffle(pool)
    pool.sort(key=lambda item: item[0])
    distractors: list[Option] = []
    used_services: set[str] = set()
    for _, _, option in pool:
        if option.ref in used_services:
            continue
        if any(fuzz.token_set_ratio(normalise(option.text), normalise(p[0])) >= 70 for p in chosen):
            continue
        used_services.add(option.ref)
        distractors.append(option)
    if len(distractors) < 3:
        return
    stem = (
        f"A company is evaluating {label} for a new project. Which {_select_word(select)} of the "
        f"following are typical use cases for {label}? (Select {_select_word(select)}.)"
    )
    correct = tuple(
        Option(
            p[0], f"Correct. The notes list this as a use case for {label}.", ref=p[1].content_hash
        )
        for p in chosen
    )
    facts = tuple(p[1] for p in chosen)
    yield Candidate(
        template=MULTIPLE_RESPONSE,
        fact=fact,
        facts=facts,
        services=(subject, *sorted({o.ref for o in distractors[:3]})),
        stem=stem,
        correct=correct,
        distractors=tuple(distractors),
        explanation=explanation_for(
            f"Typical use cases for {label} include: "
            + "; ".join(lower_first(p[0]) for p in chosen)
            + ".",
            facts,
            [p[2] for p in chosen],
        ),
        select=select,
        options=select + 3,
    )


def _statement_question(kb, fact, subject, label, statements, first, rng) -> Iterator[Candidate]:
    others = [s for s in statements if s is not first]
    others.sort(
        key=lambda s: (s.fact.heading != fact.heading, abs(s.fact.line_start - fact.line_start))
    )
    select = 3 if len(others) >= 2 and int(fact.content_hash[2:4], 16) % 3 == 0 else 2
    chosen = [first, *others[: select - 1]]
    avoid = {s.fact.content_hash for s in chosen}
    wrong = false_statements(kb, subject, rng, avoid=avoid)
    wrong = [
        o
        for o in wrong
        if all(fuzz.token_set_ratio(normalise(o.text), normalise(s.text)) < 80 for s in chosen)
    ]
    if len(wrong) < 3:
        return
    word = _select_word(select)
    stem = f"Which {word} statements about {label} are correct? (Select {word}.)"
    correct = tuple(Option(s.text, f"Correct. {s.text}", ref=s.fact.content_hash) for s in chosen)
    facts = tuple(s.fact for s in chosen)
    yield Candidate(
        template=MULTIPLE_RESPONSE,
        fact=fact,
        facts=facts,
        services=(subject,),
        stem=stem,
        correct=correct,
        distractors=tuple(wrong),
        explanation=explanation_for(
            "The correct statements are: " + " ".join(s.text for s in chosen),
            facts,
            [s.note for s in chosen],
        ),
        select=select,
        options=select + 3,
    )


# --------------------------------------------------------------------------------------------
# 5. term_definition
# --------------------------------------------------------------------------------------------

_ACRONYM_FACT_RE = re.compile(
    r"^(?P<acr>[A-Za-z0-9][A-Za-z0-9&/-]{1,11}) (?:stands for|is short for|is|means) "
    r"(?P<exp>[A-Za-z][A-Za-z0-9 '&/-]{3,80})$"
)
_SMALL_WORDS = frozenset(
    {"and", "or", "of", "for", "the", "a", "an", "to", "in", "on", "as", "with", "&"}
)


def _acronym_parts(text: str) -> tuple[str, str] | None:
    match = _ACRONYM_FACT_RE.match(_strip_end(text))
    if not match:
        return None
    acronym, expansion = match.group("acr"), match.group("exp").strip()
    letters = [c for c in acronym if c.isalpha()]
    if sum(1 for c in letters if c.isupper()) < 2 or len(letters) < 2:
        return None
    words = [w for w in re.split(r"[\s/-]+", expansion) if w]
    if not 2 <= len(words) <= 7:
        return None
    # The acronym's capitals must spell, in order, letters of the expansion's words.
    pool = "".join(words).casefold()
    position = 0
    for char in (c.casefold() for c in letters):
        position = pool.find(char, position)
        if position < 0:
            return None
        position += 1
    if words[0][0].casefold() != letters[0].casefold():
        return None
    return acronym, _title(expansion)


def _title(text: str) -> str:
    words = text.split(" ")
    out = []
    for index, word in enumerate(words):
        if index and word.casefold() in _SMALL_WORDS:
            out.append(word.casefold())
        elif word[:1].islower():
            out.append(word[0].upper() + word[1:])
        else:
            out.append(word)
    return " ".join(out)


def acronym_table(kb: FactBase) -> dict[str, list[tuple[str, FactView]]]:
    cached = kb.__dict__.get("_acronyms")
    if cached is None:
        cached = {}
        for fact in kb.facts:
            if fact.kind not in ("acronym", "glossary", "definition"):
                continue
            parts = _acronym_parts(kb.current_names(fact.statement))
            if parts:
                cached.setdefault(parts[0], []).append((parts[1], fact))
        kb.__dict__["_acronyms"] = cached
    return cached


def expansion_true(kb: FactBase, acronym: str, text: str) -> bool:
    """Does any fact expand the acronym like this?"""
    wanted = normalise(text)
    for expansion, _ in acronym_table(kb).get(acronym, ()):
        if fuzz.ratio(wanted, normalise(expansion)) >= 80:
            return True
        if fuzz.token_set_ratio(wanted, normalise(expansion)) >= 90:
            return True
    return False


def term_definition(kb: FactBase, fact: FactView, rng: random.Random) -> Iterator[Candidate]:
    if fact.kind not in ("acronym", "glossary", "definition"):
        raise Skip("kind")
    keyed = keyable(fact, kb)
    if keyed is None:
        raise Skip("untrusted")
    statement, note = keyed
    parts = _acronym_parts(statement)
    if parts is None:
        raise Skip("not_an_acronym")
    acronym, expansion = parts
    table = acronym_table(kb)
    # Plausible wrong expansions: the right one with at least half of its words replaced by
    # words of other AWS expansions that start with the same letter (the initials still fit).
    by_letter: dict[str, list[str]] = {}
    for other, entries in sorted(table.items()):
        if other == acronym:
            continue
        for other_expansion, _ in entries:
            for word in other_expansion.split(" "):
                if word.casefold() in _SMALL_WORDS or not re.fullmatch(r"[A-Z][a-z]{2,}", word):
                    continue
                if word.endswith(("ly", "ing", "ed")):
                    continue
                words_for = by_letter.setdefault(word[0], [])
                if word not in words_for:
                    words_for.append(word)
    words = expansion.split(" ")
    replaceable = [
        i for i, w in enumerate(words) if w.casefold() not in _SMALL_WORDS and w[:1].isupper()
    ]
    made: list[str] = []
    for _ in range(60):
        if len(made) >= 6 or not replaceable:
            break
        count = 1 if len(replaceable) >= 3 else max(1, (len(replaceable) + 1) // 2)
        positions = rng.sample(replaceable, min(count + rng.randint(0, 1), len(replaceable)))
        new_words = list(words)
        for position in positions:
            choices = [w for w in by_letter.get(words[position][0], ()) if w != words[position]]
            if not choices:
                break
            new_words[position] = rng.choice(choices)
        else:
            candidate = " ".join(new_words)
            if candidate in made or len(set(new_words)) < len(new_words):
                continue
            if expansion_true(kb, acronym, candidate):
                continue
            if fuzz.ratio(normalise(candidate), normalise(expansion)) >= 85:
                continue
            made.append(candidate)
    if len(made) < 3:
        raise Skip("too_few_distractors")
    subject = fact.subject if fact.subject in kb.services else None
    where = (
        f"the {kb.label(subject)} documentation"
        if subject and kb.label(subject) != acronym
        else "AWS documentation"
    )
    stem = (
        f"A solutions architect reads the abbreviation {acronym} in {where}. "
        f"What does {acronym} stand for?"
    )
    correct = Option(expansion, f"Correct. {acronym} stands for {expansion}.", ref=acronym)
    distractors = tuple(
        Option(text, f"Incorrect. {acronym} stands for {expansion}, not {text}.", ref=acronym)
        for text in made
    )
    yield Candidate(
        template=TERM_DEFINITION,
        fact=fact,
        facts=(fact,),
        services=(subject,) if subject else (),
        stem=stem,
        correct=(correct,),
        distractors=distractors,
        explanation=explanation_for(f"{acronym} stands for {expansion}.", (fact,), [note]),
    )


TEMPLATES = {
    SCENARIO_SERVICE: scenario_service,
    ATTRIBUTE_VALUE: attribute_value,
    MULTIPLE_RESPONSE: multiple_response,
    CORRECT_STATEMENT: correct_statement,
    TERM_DEFINITION: term_definition,
}

"""The fact base the generator and the gates consult: services, names, and what is true.

Everything a question claims is checked here, against every fact whatever its status (a value
that a conflicting or outdated fact states is still never offered as a "wrong" answer).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from rapidfuzz import fuzz

from notes.linking import CatalogEntry, ServiceMatcher
from questions.generation.text import (
    GENERIC_NAME_WORDS,
    content_tokens,
    normalise,
    parse_value,
)
from questions.generation.types import FactView, ServiceView

__all__ = ["FactBase"]

_ACRONYM_RE = re.compile(r"^[A-Z0-9][A-Z0-9&/-]*[A-Z0-9]$")
_NAME_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_PREFIX_RE = re.compile(r"^(?:Amazon|AWS)\s+")

# Requirement words covered this much (IDF-weighted) by one fact of a service, or by all its
# facts together, mean that service may well meet the requirement too.
FACT_COVERAGE = 0.5
UNION_COVERAGE = 0.7
STATEMENT_SIMILARITY = 88.0  # rapidfuzz token_set_ratio: the fact base states this already
VALUE_TOLERANCE = 0.08  # "1 GiB" and "1 GB" are the same value


# Entries that are not parent and feature in the catalog but do much the same job (an umbrella
# and its members, a superset and its subset, a manager and what it manages). The generator
# never offers one as a wrong answer when the other is right.
OVERLAPS: tuple[tuple[str, ...], ...] = (
    ("Kinesis", "Kinesis Data Streams", "Data Firehose", "Managed Service for Apache Flink",
     "Kinesis Video Streams"),
    ("Snow Family", "Snowball", "Snowcone", "Snowmobile"),
    ("Secrets Manager", "Parameter Store", "Systems Manager"),
    ("Step Functions", "SWF"),
    ("Amazon MQ", "SWF"),
    ("RDS", "Aurora"),
    ("Fargate", "ECS"),
    ("Fargate", "EKS"),
    ("Elastic Beanstalk", "App Runner"),
    ("Athena", "Redshift Spectrum"),
    ("Glue", "Lake Formation", "DataBrew"),
    ("MGN", "Server Migration Service", "Elastic Disaster Recovery"),
    ("Migration Hub", "Application Discovery Service"),
    ("AWS Backup", "Data Lifecycle Manager", "EBS Snapshots"),
    ("Shield Standard", "Shield Advanced"),
    ("Spot Fleet", "Spot Instances"),
    ("S3 Glacier", "S3 Glacier Flexible Retrieval", "S3 Glacier Deep Archive",
     "S3 Glacier Instant Retrieval"),
    ("CloudWatch Logs", "CloudWatch Logs Insights"),
    ("Organizations", "Control Tower"),
    ("Config", "Config Rules", "Control Tower"),
    ("Firewall Manager", "WAF", "Shield Advanced", "Network Firewall"),
    ("IAM Identity Center", "Directory Service", "Managed Microsoft AD"),
    ("EventBridge", "CloudWatch"),
    ("Cognito", "Cognito User Pools", "Cognito Identity Pools", "IAM Identity Center"),
    ("Lambda@Edge", "CloudFront Functions"),
    ("DynamoDB", "DocumentDB", "Keyspaces"),
    ("API Gateway", "Lambda"),
    ("SQS", "Amazon MQ"),
    ("Fargate", "App Runner"),
    ("S3 One Zone-IA", "S3 Reduced Redundancy"),
)  # fmt: skip
_OVERLAP_PAIRS = frozenset(
    frozenset((a, b)) for group in OVERLAPS for a in group for b in group if a != b
)


@dataclass(frozen=True)
class Mention:
    short_name: str
    start: int
    end: int
    surface: str
    former: bool  # the surface is one of the entry's former names


class FactBase:
    def __init__(self, facts: Sequence[FactView], services: Sequence[ServiceView]) -> None:
        self.services: dict[str, ServiceView] = {
            s.short_name: s for s in sorted(services, key=lambda s: s.short_name)
        }
        self.facts: list[FactView] = sorted(
            facts, key=lambda f: (f.source_file, f.line_start, f.line_end, f.content_hash)
        )
        entries = [
            CatalogEntry(
                short_name=s.short_name,
                name=s.name,
                aliases=tuple(s.aliases),
                former_names=tuple(s.former_names),
                parent=s.parent,
                category=s.category,
            )
            for s in services
        ]
        self.matcher = ServiceMatcher(entries)
        self._mentions_cache = {}
        self._former_keys = {
            s.short_name: {_key(_PREFIX_RE.sub("", f)) for f in s.former_names}
            | {_key(f) for f in s.former_names}
            for s in services
        }
        self.children: dict[str, list[str]] = defaultdict(list)
        for s in self.services.values():
            if s.parent and s.parent in self.services:
                self.children[s.parent].append(s.short_name)
        self.by_subject: dict[str, list[FactView]] = defaultdict(list)
        for fact in self.facts:
            if fact.subject:
                self.by_subject[fact.subject].append(fact)
        # Word statistics: IDF over all facts.
        document_frequency: dict[str, int] = defaultdict(int)
        self._tokens: dict[str, frozenset[str]] = {}
        for fact in self.facts:
            tokens = content_tokens(self.current_names(fact.statement))
            self._tokens[fact.content_hash] = tokens
            for token in tokens:
                document_frequency[token] += 1
        total = max(len(self.facts), 1)
        self.idf = {
            t: math.log((total + 1) / (df + 1)) + 0.1 for t, df in document_frequency.items()
        }
        self._default_idf = math.log(total + 1) + 0.1
        self._union: dict[str, frozenset[str]] = {}
        self._by_hash = {fact.content_hash: fact for fact in self.facts}
        self._indexes: dict = {}
        self._meets_cache: dict = {}
        self._true_cache: dict = {}
        self._values_cache: dict = {}
        self._normal: dict[str, str] = {}

    def fact_by_hash(self, content_hash: str) -> FactView | None:
        return self._by_hash.get(content_hash)

    # ---- services ----

    def service(self, short_name: str | None) -> ServiceView | None:
        return self.services.get(short_name) if short_name else None

    def ancestors(self, short_name: str) -> list[str]:
        found: list[str] = []
        current = self.services.get(short_name)
        while current and current.parent and current.parent not in found:
            found.append(current.parent)
            current = self.services.get(current.parent)
        return found

    def descendants(self, short_name: str) -> list[str]:
        found: list[str] = []
        stack = sorted(self.children.get(short_name, ()), reverse=True)
        while stack:
            child = stack.pop()
            if child in found or child == short_name:
                continue
            found.append(child)
            stack.extend(sorted(self.children.get(child, ()), reverse=True))
        return found

    def family(self, short_name: str) -> set[str]:
        return {short_name, *self.ancestors(short_name), *self.descendants(short_name)}

    def related(self, a: str, b: str) -> bool:
        """Same entry, one inside the other, or two entries whose capabilities overlap so much
        that one must never be the "wrong" answer when the other is right (`OVERLAPS`)."""
        if a == b or b in self.ancestors(a) or a in self.ancestors(b):
            return True
        return frozenset((a, b)) in _OVERLAP_PAIRS

    def display(self, short_name: str) -> str:
        """The option text for a service: its current name, with the acronym when it helps."""
        service = self.services[short_name]
        name = service.name
        short = service.short_name
        if _ACRONYM_RE.match(short) and short not in name and len(short) <= 6:
            return f"{name} ({short})"
        return name

    def label(self, short_name: str) -> str:
        """How a stem names a service: "Amazon S3", "AWS KMS", "S3 Lifecycle"."""
        service = self.services[short_name]
        short, name = service.short_name, service.name
        if service.kind == "feature" or short.startswith(("Amazon", "AWS")):
            return short
        prefix_match = _PREFIX_RE.match(name)
        prefix = prefix_match.group(0).strip() + " " if prefix_match else ""
        if short in name:
            return f"{prefix}{short}"
        if _ACRONYM_RE.match(short):
            words = [
                w
                for w in _NAME_WORD_RE.findall(name[len(prefix) :])
                if w.casefold() not in {"and", "for", "of", "the", "on", "with"}
            ]
            initials = "".join(w[0] for w in words).upper()
            letters = "".join(c for c in short if c.isalpha())
            if initials == letters or any(c.isdigit() for c in short):
                return f"{prefix}{short}"
            return name
        return f"{prefix}{short}"

    def names(self, short_name: str) -> tuple[str, ...]:
        service = self.services[short_name]
        return (
            service.short_name,
            service.name,
            *service.aliases,
            *service.former_names,
        )

    @cached_property
    def _brand_words(self) -> dict[str, frozenset[str]]:
        """Per service: the words of its names that give it away ("kinesis", "lifecycle")."""
        words: dict[str, frozenset[str]] = {}
        for short_name, service in self.services.items():
            parent_words: set[str] = set()
            for ancestor in self.ancestors(short_name):
                for name in self.names(ancestor):
                    parent_words |= {w.casefold() for w in _NAME_WORD_RE.findall(name)}
            found: set[str] = set()
            for name in self.names(short_name):
                for word in _NAME_WORD_RE.findall(name):
                    folded = word.casefold()
                    if len(folded) < 4 or folded in GENERIC_NAME_WORDS:
                        if service.kind != "feature" or folded in parent_words or len(folded) < 4:
                            continue
                        if folded in {"amazon", "aws", "service", "for", "the", "and"}:
                            continue
                    if folded in parent_words:
                        continue
                    found.add(folded)
            words[short_name] = frozenset(found)
        return words

    def brand_words(self, short_name: str) -> frozenset[str]:
        return self._brand_words.get(short_name, frozenset())

    # ---- mentions ----

    def mentions(self, text: str) -> list[Mention]:
        cached = self._mentions_cache.get(text)
        if cached is None:
            cached = self._mentions_cache[text] = self._mentions(text)
        return cached

    def _mentions(self, text: str) -> list[Mention]:
        found = []
        for match in self.matcher.find(text):
            surface_key = _key(_PREFIX_RE.sub("", match.surface))
            former = surface_key in self._former_keys.get(match.short_name, set()) or _key(
                match.surface
            ) in self._former_keys.get(match.short_name, set())
            found.append(Mention(match.short_name, match.start, match.end, match.surface, former))
        return found

    def current_names(self, text: str) -> str:
        """`text` with every former service name replaced by the current one."""
        mentions = [m for m in self.mentions(text) if m.former]
        for mention in reversed(mentions):
            text = text[: mention.start] + self.label(mention.short_name) + text[mention.end :]
        return text

    def former_name_in(self, text: str) -> str | None:
        for mention in self.mentions(text):
            if mention.former:
                return mention.surface
        return None

    def names_service(self, text: str, short_name: str) -> bool:
        """Does `text` name the service (any of its names) or one of its give-away words?"""
        if any(m.short_name == short_name for m in self.mentions(text)):
            return True
        words = {w.casefold() for w in _NAME_WORD_RE.findall(text)}
        for brand in self.brand_words(short_name):
            if brand in words or (brand.endswith("s") and brand[:-1] in words):
                return True
        return False

    @cached_property
    def _option_names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for short_name in reversed(list(self.services)):
            for text in (self.display(short_name), self.services[short_name].name, short_name):
                names[text] = short_name
        return names

    def resolve_option(self, text: str) -> str | None:
        """The service an option names: exactly its display text, name or short name."""
        found = self._option_names.get(text)
        return found if found is not None else self.matcher.resolve(text)

    # ---- what the fact base says ----

    def tokens(self, fact: FactView) -> frozenset[str]:
        return self._tokens.get(fact.content_hash) or content_tokens(fact.statement)

    def weight(self, tokens: Iterable[str]) -> float:
        return sum(self.idf.get(t, self._default_idf) for t in tokens)

    def coverage(self, wanted: frozenset[str], have: frozenset[str]) -> float:
        total = self.weight(wanted)
        return self.weight(wanted & have) / total if total else 0.0

    def family_facts(self, short_name: str, *, up: bool = False) -> list[FactView]:
        """Facts about the service and its features (and its parents when `up`)."""
        subjects = [short_name, *self.descendants(short_name)]
        if up:
            subjects += self.ancestors(short_name)
        return [fact for subject in subjects for fact in self.by_subject.get(subject, ())]

    def union_tokens(self, short_name: str) -> frozenset[str]:
        if short_name not in self._union:
            tokens: set[str] = set()
            for fact in self.family_facts(short_name):
                tokens |= self.tokens(fact)
            self._union[short_name] = frozenset(tokens)
        return self._union[short_name]

    def requirement_tokens(self, text: str, *, ignore: Iterable[str] = ()) -> frozenset[str]:
        """Content words of a requirement, without the words of any service name."""
        name_tokens: set[str] = set()
        for short_name in ignore:
            for name in self.names(short_name):
                name_tokens |= content_tokens(name)
        for mention in self.mentions(text):
            name_tokens |= content_tokens(mention.surface)
        return content_tokens(text) - name_tokens

    def _index(self, short_name: str, up: bool) -> tuple[list[FactView], dict[str, list[int]]]:
        """The family's facts and an inverted index token → positions, built once."""
        key = (short_name, up)
        if key not in self._indexes:
            facts = self.family_facts(short_name, up=up)
            index: dict[str, list[int]] = defaultdict(list)
            for position, fact in enumerate(facts):
                for token in self.tokens(fact):
                    index[token].append(position)
            self._indexes[key] = (facts, index)
        return self._indexes[key]

    def _sharing(self, short_name: str, wanted: frozenset[str], *, up: bool, least: int):
        facts, index = self._index(short_name, up)
        counts: dict[int, int] = defaultdict(int)
        for token in wanted:
            for position in index.get(token, ()):
                counts[position] += 1
        return [facts[p] for p, n in sorted(counts.items()) if n >= least]

    def meets(self, short_name: str, requirement: frozenset[str], text: str = "") -> bool:
        """Might the service (or one of its features) meet this requirement too?"""
        if not requirement:
            return True
        cache_key = (short_name, requirement, text)
        if cache_key in self._meets_cache:
            return self._meets_cache[cache_key]
        result = self._meets(short_name, requirement, text)
        self._meets_cache[cache_key] = result
        return result

    def _meets(self, short_name: str, requirement: frozenset[str], text: str) -> bool:
        if self.coverage(requirement, self.union_tokens(short_name)) >= UNION_COVERAGE:
            return True
        normalised = normalise(text) if text else ""
        for fact in self._sharing(short_name, requirement, up=False, least=2):
            if self.coverage(requirement, self.tokens(fact)) >= FACT_COVERAGE:
                return True
            if normalised and fuzz.token_set_ratio(normalised, self.normal(fact)) >= 90:
                return True
        return False

    def normal(self, fact: FactView) -> str:
        found = self._normal.get(fact.content_hash)
        if found is None:
            found = normalise(self.current_names(fact.statement))
            self._normal[fact.content_hash] = found
        return found

    def statement_true(self, short_name: str, text: str) -> bool:
        """Does any fact about the service (or its features or parents) say this already?

        A fact that says the same thing with another number of the same unit does not count
        ("up to 50 TB" is not made true by "up to 5 TB")."""
        cache_key = (short_name, text)
        if cache_key not in self._true_cache:
            self._true_cache[cache_key] = self._statement_true(short_name, text)
        return self._true_cache[cache_key]

    def _statement_true(self, short_name: str, text: str) -> bool:
        wanted = content_tokens(self.current_names(text))
        normalised = normalise(self.current_names(text))
        numbers = _all_numbers(text)
        least = 1 if len(wanted) < 4 else 2
        for fact in self._sharing(short_name, wanted, up=True, least=least):
            similar = fuzz.token_set_ratio(normalised, self.normal(fact)) >= STATEMENT_SIMILARITY
            if not similar and wanted:
                similar = self.coverage(wanted, self.tokens(fact)) >= 0.8
            if not similar:
                continue
            if numbers:
                stated_numbers = _all_numbers(fact.statement)
                same_unit = [(n, u) for n, u in stated_numbers if any(u == w for _, w in numbers)]
                if same_unit and not any(
                    same_value(n, m) for n, u in numbers for m, w in same_unit if u == w
                ):
                    continue
            return True
        return False

    def values_stated(self, short_name: str, unit: str) -> list[float]:
        """Every value of this unit that any fact about the service family states or corrects."""
        key = (short_name, unit)
        if key not in self._values_cache:
            self._values_cache[key] = self._values_stated(short_name, unit)
        return self._values_cache[key]

    def _values_stated(self, short_name: str, unit: str) -> list[float]:
        values: list[float] = []
        for fact in self.family_facts(short_name, up=True):
            if fact.unit == unit and fact.value_number is not None:
                values.append(fact.value_number)
            for quantity in _quantities(fact.statement, unit):
                values.append(quantity)
            if fact.correction:
                parsed = parse_value(fact.correction.split("(")[0].split(";")[0])
                if parsed and parsed[1] == unit:
                    values.append(parsed[0])
        return values

    def value_stated(self, short_name: str, number: float, unit: str) -> bool:
        return any(same_value(number, v) for v in self.values_stated(short_name, unit))


def same_value(a: float, b: float) -> bool:
    if a == b:
        return True
    bigger = max(abs(a), abs(b))
    return bigger > 0 and abs(a - b) / bigger <= VALUE_TOLERANCE


def _quantities(text: str, unit: str) -> list[float]:
    from notes.extract import parse_quantity

    found = []
    for quantity in parse_quantity(text, port_context=unit == "port"):
        if quantity.unit_family == unit:
            found.append(quantity.number_in_base_unit)
            if quantity.low_in_base_unit is not None:
                found.append(quantity.low_in_base_unit)
    return found


def _all_numbers(text: str) -> list[tuple[float, str]]:
    from notes.extract import parse_quantity

    return [(q.number_in_base_unit, q.unit_family) for q in parse_quantity(text)]


def _key(text: str) -> str:
    return "".join(re.findall(r"[^\W_]+", text)).casefold()

"""Link note text to the AWS service catalog (fixtures/services.yaml).

Pure Python, no Django: the ingester calls `ServiceMatcher.find` ~20,000 times per run, so the
catalog is compiled once into a dict of lookup keys and each call is one left-to-right scan over
the words of the text: a few dict lookups per word, whatever the size of the catalog (no
per-alias loop, no giant regex alternation).

Terms and keys
--------------
Every entry is known by its *terms*: short name, name, aliases and former names. A term's lookup
key is its letters and digits, case-folded, without spaces or punctuation ("Route 53" → "route53",
"X-Ray" → "xray"). Text is split into words (runs of letters and digits); a run of neighbouring
words names a term when the words, joined the same way, give the term's key.

Matching rules (`find`, `primary`)
----------------------------------
- **Spacing and punctuation variants.** "Route53" = "Route 53", "Dynamo DB" = "DynamoDB",
  "Cloud Front" = "CloudFront", "X Ray" = "X-Ray", "auto-scaling" = "Auto Scaling". Text may
  split a term only where the term itself has a space, punctuation, a lower→upper case change or
  a letter/digit change, so "back up" is never "Backup". Words of one mention are separated by
  spaces (at most one line break), a "-" or an "@"; a "." only between digits ("AppStream 2.0").
  Never commas, slashes or other punctuation: "S3, Glacier" is two mentions.
- **Plurals.** A trailing "s"/"es"/"ies" on the last word is accepted ("NACLs", "Spot Fleets",
  "Service Control Policies"), except on English-word terms ("Artifacts", "Data Pipelines" are
  prose). A term of several words whose last word is plural also matches in the singular
  ("Savings Plan", "CloudWatch Event"); a one-word plural name does not ("Workspace" in "Google
  Workspace" is not WorkSpaces).
- **Case.**
  - *Acronyms* — terms with capital letters and no lower-case ones ("EC2", "SQS", "NACL",
    "AWS SSO") — match in capitals only (a plural "s" may be lower-case): "sns" in a URL is not
    SNS.
  - *English words* — terms made only of `ENGLISH_WORDS` ("Batch", "Glue", "Config", "Shield",
    "Inspector", "Macie", "Data Pipeline", "Single Sign-On") — match only capitalised, as a proper
    noun (every word of three letters or more starts with a capital): "the batch of glue config"
    matches nothing, "Glue crawlers" and "AWS glue" do. Known cost: a capitalised word at the
    start of a label ("Batch Jobs:") reads as the service.
  - Every other term ignores case ("Cloudfront", "elasticache", "security groups").
- **AWS / Amazon.** "AWS" or "Amazon" in front of any term is optional, becomes part of the match
  and lifts the case rules ("AWS config" is AWS Config). A term *written* with the prefix in the
  catalog ("AWS RAM", "Amazon Connect", "AWS SSO") needs it in the text: that is how a bare word
  that means something else ("RAM" memory, "OpenID Connect", generic "SSO") stays unlinked. Such a
  term ignores case unless it is an acronym ("AWS backup" matches, "aws ram" does not).
- **Overlaps.** Leftmost match first and, at one position, the longest: "S3 Glacier Deep Archive"
  beats "S3 Glacier" beats "S3"; "Kinesis Data Streams" beats "Kinesis". Matches never overlap.
- **Clashes.** When two entries claim one key, a short name beats a name, a name an alias, an
  alias a former name; then catalog order. Clashes are listed in `ServiceMatcher.conflicts` (the
  shipped catalog has none; tests check it).

`primary` is the entry mentioned most often in a text; on a tie, the one mentioned first.

`resolve` applies the same normalisation to a whole string but ignores case and a leading
AWS/Amazon: it answers "which entry is this name?" ("route53" → "Route 53"), not "is this prose a
mention?"; anything but exactly one name ("EBS volumes") is None.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Final

import yaml

__all__ = [
    "ENGLISH_WORDS",
    "PREFIX_WORDS",
    "CatalogEntry",
    "Match",
    "ServiceMatcher",
    "load_catalog",
]

PREFIX_WORDS: Final = frozenset({"aws", "amazon"})

# Words that AWS reuses in service names but that are also ordinary prose. A term made only of
# these words matches only capitalised (see the module docstring). Lower-case; keep it to words
# that occur in catalog terms.
ENGLISH_WORDS: Final = frozenset(
    {
        *("amplify", "artifact", "backup", "batch", "bin", "budget", "budgets", "catalog"),
        *("comprehend", "config", "connect", "data", "detective", "forecast", "glue"),
        *("health", "inspector", "macie", "on", "organization", "organizations", "outpost"),
        *("outposts", "personalize", "pipeline", "recycle", "shield", "sign", "single"),
        *("snowmobile", "transcribe", "translate", "wavelength"),
    }
)

_WORD_RE: Final = re.compile(r"[^\W_]+")  # letters and digits, any script
_JOINING_GAP_RE: Final = re.compile(r"[^\S\n]*\n?[^\S\n]*[-‐@]?[^\S\n]*")
_SOFT_BOUNDARY_RE: Final = re.compile(
    r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])"
)
_SINGULAR_ENDINGS: Final = (
    ("ies", "y"),
    ("sses", "ss"),
    ("xes", "x"),
    ("ches", "ch"),
    ("shes", "sh"),
)


@dataclass(frozen=True)
class CatalogEntry:
    """One service or feature of the catalog, as the matcher needs it."""

    short_name: str
    name: str
    aliases: tuple[str, ...]
    former_names: tuple[str, ...] = ()
    parent: str | None = None
    category: str = ""

    def terms(self) -> Iterator[tuple[str, int]]:
        """Every name this entry is known by, with its rank (the lower rank wins a clash)."""
        yield self.short_name, 0
        yield self.name, 1
        for alias in self.aliases:
            yield alias, 2
        for former in self.former_names:
            yield former, 3


@dataclass(frozen=True, slots=True)
class Match:
    """One mention of a catalog entry: `text[start:end] == surface`."""

    short_name: str
    start: int
    end: int
    surface: str


def load_catalog(path: str | Path) -> list[CatalogEntry]:
    """Read the catalog YAML (a top-level `services:` list) into entries, in file order."""
    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = data.get("services") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError(f"{path.name}: expected a top-level 'services:' list.")
    return [
        _entry_from_item(item, source=f"{path.name}: services[{i}]") for i, item in enumerate(items)
    ]


def _entry_from_item(item: object, *, source: str) -> CatalogEntry:
    if not isinstance(item, dict) or not item.get("short_name") or not item.get("name"):
        raise ValueError(f"{source}: needs a short_name and a name.")
    return CatalogEntry(
        short_name=str(item["short_name"]),
        name=str(item["name"]),
        aliases=tuple(str(alias) for alias in item.get("aliases") or ()),
        former_names=tuple(str(former) for former in item.get("former_names") or ()),
        parent=str(item["parent"]) if item.get("parent") else None,
        category=str(item.get("category") or ""),
    )


# --------------------------------------------------------------------------------------------
# Compiled terms
# --------------------------------------------------------------------------------------------


class _Case(Enum):
    ANY = "any"
    CAPITALS = "capitals"  # acronyms
    PROPER_NOUN = "proper_noun"  # English words


@dataclass(frozen=True, slots=True)
class _Term:
    short_name: str
    precedence: tuple[int, int]  # (rank, catalog position): lower wins a clash
    letters: str  # letters and digits as written, for the capitals check
    max_words: int  # how many text words may spell it ("DynamoDB": 2, "Backup": 1)
    case: _Case


def _letters(text: str) -> str:
    return "".join(_WORD_RE.findall(text))


def _key(text: str) -> str:
    return _letters(text).casefold()


def _case_rule(term: str) -> _Case:
    letters = _letters(term)
    if any(c.isupper() for c in letters) and not any(c.islower() for c in letters):
        return _Case.CAPITALS
    words = [word.casefold() for word in _WORD_RE.findall(term)]
    if words[0] in PREFIX_WORDS:
        return _Case.ANY  # "AWS Backup": the prefix already says it is the service
    if all(word in ENGLISH_WORDS for word in words):
        return _Case.PROPER_NOUN
    return _Case.ANY


def _soft_word_count(term: str) -> int:
    return sum(len(_SOFT_BOUNDARY_RE.split(word)) for word in _WORD_RE.findall(term))


def _singular(key: str) -> str | None:
    """The singular of a plural key ("policies" → "policy"), or None if it does not look plural."""
    for ending, replacement in _SINGULAR_ENDINGS:
        if key.endswith(ending):
            return key[: -len(ending)] + replacement
    if key.endswith("s") and not key.endswith(("ss", "us", "is")):
        return key[:-1]
    return None


def _plural_readings(key: str) -> Iterator[tuple[str, int]]:
    """Keys a text key may stand for, each with the length of the plural ending it drops."""
    yield key, 0
    if key.endswith("ies"):
        yield key[:-3] + "y", 3
    if key.endswith("es"):
        yield key[:-2], 2
    if key.endswith("s"):
        yield key[:-1], 1


def _compile_terms(entries: Iterable[CatalogEntry]) -> dict[str, tuple[_Term, ...]]:
    """Lookup key → the terms spelled that way, best first."""
    by_key: dict[str, list[_Term]] = {}
    for order, entry in enumerate(entries):
        for text, rank in entry.terms():
            key = _key(text)
            if not key:
                continue
            term = _Term(
                short_name=entry.short_name,
                precedence=(rank, order),
                letters=_letters(text),
                max_words=_soft_word_count(text),
                case=_case_rule(text),
            )
            keys = {key}
            singular = _singular(key) if term.case is not _Case.CAPITALS else None
            if singular and len(text.split()) > 1:
                keys.add(singular)  # "Savings Plans" also names "Savings Plan"
            for each in keys:
                by_key.setdefault(each, []).append(term)
    return {key: tuple(sorted(terms, key=lambda t: t.precedence)) for key, terms in by_key.items()}


# --------------------------------------------------------------------------------------------
# The matcher
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Word:
    start: int
    end: int
    text: str
    key: str
    joins_previous: bool  # whether the gap before it may lie inside one mention


class ServiceMatcher:
    """Find catalog entries in text (`find`, `primary`) and resolve names (`resolve`)."""

    def __init__(self, entries: Iterable[CatalogEntry]) -> None:
        entries = list(entries)
        self.entries: dict[str, CatalogEntry] = {entry.short_name: entry for entry in entries}
        self._terms = _compile_terms(entries)
        # Every prefix of every key: a scan stops growing a run as soon as it leaves this set.
        self._key_prefixes = frozenset(
            key[:end] for key in self._terms for end in range(1, len(key) + 1)
        )
        self.conflicts: tuple[str, ...] = tuple(
            f"{key!r} names {', '.join(sorted(names))}"
            for key, terms in sorted(self._terms.items())
            if len(names := {term.short_name for term in terms}) > 1
        )

    def resolve(self, name: str) -> str | None:
        """The short name of the entry `name` names, or None (see the module docstring)."""
        words = _split_words(name)
        runs = [words]
        if len(words) > 1 and words[0].key in PREFIX_WORDS:
            runs.append(words[1:])
        for run in runs:
            if run and all(word.joins_previous for word in run[1:]):
                key = "".join(word.key for word in run)
                if term := self._term_for(key, run, relaxed=True):
                    return term.short_name
        return None

    def find(self, text: str) -> list[Match]:
        """Every mention of a catalog entry in `text`, left to right, never overlapping."""
        words = _split_words(text)
        matches: list[Match] = []
        index = 0
        while index < len(words):
            found = self._match_at(words, index)
            if found is None:
                index += 1
                continue
            short_name, last = found
            start, end = words[index].start, words[last].end
            matches.append(Match(short_name, start, end, text[start:end]))
            index = last + 1
        return matches

    def primary(self, text: str) -> str | None:
        """The entry mentioned most often in `text`; on a tie, the one mentioned first."""
        counts = Counter(match.short_name for match in self.find(text))
        # Counter keeps first-seen order and max() keeps the first of equal counts.
        return max(counts, key=counts.__getitem__) if counts else None

    # ---- scanning ----

    def _match_at(self, words: list[_Word], index: int) -> tuple[str, int] | None:
        """The longest mention starting at word `index`: (short name, index of its last word)."""
        best = self._longest_run(words, index, relaxed=False)
        has_prefix = words[index].key in PREFIX_WORDS and index + 1 < len(words)
        if has_prefix and words[index + 1].joins_previous:
            # "AWS"/"Amazon" + any term in any case. A term written with the prefix (found
            # above) keeps the match when both end on the same word.
            after_prefix = self._longest_run(words, index + 1, relaxed=True)
            if after_prefix and (best is None or after_prefix[1] > best[1]):
                best = after_prefix
        return best

    def _longest_run(
        self, words: list[_Word], index: int, *, relaxed: bool
    ) -> tuple[str, int] | None:
        best: tuple[str, int] | None = None
        key = ""
        for last in range(index, len(words)):
            if last > index and not words[last].joins_previous:
                break
            key += words[last].key
            if term := self._term_for(key, words[index : last + 1], relaxed=relaxed):
                best = (term.short_name, last)
            if key not in self._key_prefixes:
                break
        return best

    def _term_for(self, key: str, run: list[_Word], *, relaxed: bool) -> _Term | None:
        """The best term the words `run` (joined: `key`) spell, allowing a plural ending."""
        for reading, plural_length in _plural_readings(key):
            for term in self._terms.get(reading, ()):
                if len(run) <= term.max_words and (
                    relaxed or _case_allows(term, run, plural_length)
                ):
                    return term
        return None


def _case_allows(term: _Term, run: list[_Word], plural_length: int) -> bool:
    if term.case is _Case.ANY:
        return True
    if term.case is _Case.PROPER_NOUN:
        # "Batch" is AWS Batch; "batch" and "Batches" are prose.
        capitalised = all(word.text[0].isupper() or len(word.text) < 3 for word in run)
        return capitalised and plural_length == 0
    written = "".join(word.text for word in run)
    return written[: len(written) - plural_length] == term.letters


def _split_words(text: str) -> list[_Word]:
    words: list[_Word] = []
    for found in _WORD_RE.finditer(text):
        joins = bool(words) and _joins(text, words[-1].end, found.start())
        words.append(
            _Word(found.start(), found.end(), found.group(), found.group().casefold(), joins)
        )
    return words


def _joins(text: str, gap_start: int, gap_end: int) -> bool:
    if text[gap_start:gap_end] == ".":
        return text[gap_start - 1].isdigit() and text[gap_end].isdigit()
    return _JOINING_GAP_RE.fullmatch(text, gap_start, gap_end) is not None

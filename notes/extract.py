"""Turn parsed note sections into fact drafts: one standalone sentence per fact.

Pure Python (no Django): the readers hand over `ParsedSection`s whose blocks hold cleaned text;
this module decides which pieces of text are facts, what kind they are, which service they are
about, and rewrites fragments into sentences a learner can read without the notes.

Statements follow one scheme:
  - text that names what it talks about and has a verb stays as written ("S3 stores objects.");
  - a fragment gets its context in front, "<Context>: <text>." ("Availability Zones: min is 2,
    max is 6."), where the context is the parent bullet, the list's lead-in sentence, or the
    heading; a verb-first fragment joins its parent ("Security Groups can be attached ...") and an
    article-first one defines it ("Elastic IP is a static, public IPv4 address ...");
  - "Label: value" bullets read "Label verb ..." or "Label is a ..." when the value allows it;
  - table cells read "For <row or column>, the <attribute> is <value>.".

Provenance: a fact cites the lines of its block (narrowed to the sentence in a multi-line
paragraph) plus every line its statement borrowed words from: parent bullets, the list's lead-in,
a table's column titles, a glossary entry's first row, and the heading when needed. A fact whose
key words cannot be found on its cited lines is not emitted.

Everything is regex and table driven and linear in the input size.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from typing import NamedTuple, Protocol

from notes.blocks import Block, FactDraft, ParsedSection

__all__ = [
    "Quantity",
    "SubjectResolver",
    "extract_facts",
    "find_acronyms",
    "parse_quantity",
    "split_sentences",
    "statement_hash",
]


class SubjectResolver(Protocol):
    """What the extractor needs from the service matcher (`notes.linking.ServiceMatcher`)."""

    def resolve(self, name: str) -> str | None: ...

    def primary(self, text: str) -> str | None: ...


class Quantity(NamedTuple):
    """A number with a unit found in text, normalised to the unit family's base.

    Ranges ("1-5 GB") keep their whole text in `value_text`, the upper bound in
    `number_in_base_unit` (notes quote ranges for their limits) and the lower bound in
    `low_in_base_unit`.
    """

    value_text: str
    number_in_base_unit: float
    unit_family: str  # bytes | seconds | percent | count | port | usd | bytes_per_second | ...
    low_in_base_unit: float | None = None


MAX_STATEMENT_CHARS = 400


# Small patterns used inside functions, compiled once.
_DECIMAL_COMMA_RE = re.compile(r"\d+,\d{1,2}")
_WORD_BEFORE_DASH_RE = re.compile(r"([A-Za-z]+)-$")
_BYTE_B_RE = re.compile(r"\s?B\b")
_ACRONYM_PLURAL_RE = re.compile(r"[A-Z]{2,}s")
_PER_NOUN_RE = re.compile(r"\s+per\s+[A-Za-z][\w-]*")
_ARTICLE_WORD_RE = re.compile(r"(A|An|The)\s")
_TITLE_WORD_RE = re.compile(r"([A-Z][a-z]*)\b(?![\s-]+[A-Z][a-z])(?!['’.-])")
_LOWER_WORD_RE = re.compile(r"[a-z][a-z]*\b")
_CODE_LIKE_START_RE = re.compile(r"[a-z]+[A-Z0-9:/_.-]")
_LAST_TOKEN_RE = re.compile(r"(\S+)$")
_INITIALS_RE = re.compile(r"[a-z]|(?:[a-z]\.)+[a-z]")
_CLAUSE_BREAK_RE = re.compile(r"(?<=;)\s+|(?<=,)\s+(?=[A-Z])")
_DOUBLING_RE = re.compile(r".*[^aeiou][aeiou][bdgkmnprt]")
_LONG_FORM_WORD_RE = re.compile(r"[A-Za-z0-9][\w'’.&-]*(?:/[\w'’.&-]+)?")
_AWS_PREFIX_RE = re.compile(r"^(?:Amazon|AWS)\s+")
_BARE_TOKEN_RE = re.compile(r"[^\s,;:.()]+")
_LOWER_LETTERS_RE = re.compile(r"[a-z]+")
_PORTS_RE = re.compile(r"\bports?\b", re.I)
_TOKEN_RE = re.compile(r"[a-z0-9]+")
_LINE_STARTS_THOUGHT_RE = re.compile(r"[*_\[`\"']*[A-Z0-9]")
_LINE_ENDS_PUNCTUATED_RE = re.compile(r"[.!?,;:(\-–]$")
_ANY_TOKEN_RE = re.compile(r"[A-Za-z0-9]+")
_LETTER_RUN_RE = re.compile(r"[A-Za-z]{2,}")
_PARENTHESISED_RE = re.compile(r"\([^()]*\)")
_PORT_VALUE_RE = re.compile(r"[\d\s,/&()a-zA-Z]*")
_BARE_NUMBER_RE = re.compile(r"[\d.,]+[kK]?")
_IS_ARE_RE = re.compile(r"(?:is|are)\b")
_NON_WORD_RE = re.compile(r"\W+")
_SETEXT_UNDERLINE_RE = re.compile(r"\s*(?:=+|-+)\s*")
_HTML_HEADING_OPEN_RE = re.compile(r"<h[1-6]\b", re.I)
_HTML_HEADING_CLOSE_RE = re.compile(r"</h[1-6]>", re.I)
_INLINE_MARK_RE = re.compile(r"[*_`\\]")
_COLUMN_NUMBER_RE = re.compile(r"(?:col(?:umn)?)\s*\d+", re.I)
_EXPANSION_NOISE_RE = re.compile(r"\b(?:Amazon|AWS)\b|[()\[\]:=—–-]")


def _word_list(text: str) -> list[str]:
    """Whitespace-separated words: keeps the long vocabularies below readable."""
    return text.split()


# --------------------------------------------------------------------------------------------
# Quantities
# --------------------------------------------------------------------------------------------

_DECIMAL_PREFIX = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12, "p": 10**15, "e": 10**18}
_BINARY_PREFIX = {"k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40, "p": 2**50, "e": 2**60}
_BYTE_WORDS = {
    "byte": 1,
    "bytes": 1,
    "kilobyte": 10**3,
    "kilobytes": 10**3,
    "megabyte": 10**6,
    "megabytes": 10**6,
    "gigabyte": 10**9,
    "gigabytes": 10**9,
    "terabyte": 10**12,
    "terabytes": 10**12,
    "petabyte": 10**15,
    "petabytes": 10**15,
    "exabyte": 10**18,
    "exabytes": 10**18,
}
_SECONDS = {
    "ms": 0.001,
    "msec": 0.001,
    "msecs": 0.001,
    "millisecond": 0.001,
    "milliseconds": 0.001,
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "day": 86400,
    "days": 86400,
    "week": 604800,
    "weeks": 604800,
    "month": 2592000,  # 30 days: notes use months for retention periods, not calendar maths
    "months": 2592000,
    "year": 31536000,  # 365 days
    "years": 31536000,
    "yr": 31536000,
    "yrs": 31536000,
}
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "sixty": 60,
    "hundred": 100,
}
_MULTIPLIER_WORDS = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
# Nouns after a number that make it a count even without "up to"/"max" in front of it.
_COUNT_NOUNS = frozenset(
    _word_list(
        """
    iops vcpu vcpus cpu cpus core cores az azs instance instances request requests
    connection connections partition partitions vpc vpcs subnet subnets account accounts
    user users group groups role roles policy policies rule rules item items record records
    replica replicas node nodes shard shards queue queues message messages call calls target
    targets tag tags bucket buckets object objects function functions region regions zone
    zones volume volumes snapshot snapshots key keys certificate certificates table tables
    index indexes indices attachment attachments read reads write writes transaction
    transactions event events container containers task tasks thread threads interface
    interfaces address addresses ip ips route routes entry entries level levels tier tiers
    copy copies retry retries version versions layer layers pool pools endpoint endpoints
    listener listeners stream streams consumer consumers producer producers worker workers
    job jobs step steps state states option options type types method methods mode modes
    class classes site sites location locations datacenter datacenters
    """
    )
)

# "99,9 %" is a decimal comma (European notes); "10,000" a thousands separator.
_NUM = r"(?:\d+,\d{1,2}(?=\s?%)|\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_NUMBER_RE = re.compile(
    rf"(?P<num>{_NUM})(?P<k>[kK](?![A-Za-z]))?"
    r"|(?P<word>\b(?:" + "|".join(_NUMBER_WORDS) + r")\b)",
    re.IGNORECASE,
)
# The unit right after a number. Order matters: longest alternatives first.
_UNIT_RE = re.compile(
    r"\s?(?:"
    # Bits are a lower-case "b" (Gbps, Mb/s); "MB/s" and "MBps" are bytes.
    r"(?P<bitrate>(?-i:[kKmMgGtT](?:bps|bits?/s(?:ec)?|bits?\b|b/s)))(?![A-Za-z])"
    r"|(?P<byterate>[kmgtp]i?b/s(?:ec)?|[kmgtp]i?bps)(?![A-Za-z])"
    r"|(?P<binary>[kmgtpe]ib)(?:ytes?)?(?![A-Za-z])"
    r"|(?P<decimal>[kmgtpe]?b)(?:ytes?)?(?![A-Za-z0-9])"
    r"|(?P<byteword>(?:kilo|mega|giga|tera|peta|exa)?bytes?)\b"
    r"|(?P<time>milliseconds?|msecs?|ms|seconds?|secs?|minutes?|mins?|hours?|hrs?|h|days?"
    r"|weeks?|months?|years?|yrs?|s)(?![A-Za-z0-9])"
    r"|(?P<percent>%|\s?percent\b)"
    r"|(?P<nines>9's|9s|nines)(?![A-Za-z])"
    r"|(?P<dollars>dollars?|usd|cents?)\b"
    r"|(?P<mult>thousand|million|billion|trillion)\b"
    r")",
    re.IGNORECASE,
)
_PLAIN_WORD_RE = re.compile(r"\s?(?P<noun>[A-Za-z][A-Za-z-]*)")
_PER_RE = re.compile(r"\s*(?:per|/|an?|each)\s+(?:\d[\d,]*\s+)?[A-Za-z][A-Za-z-]*", re.IGNORECASE)
_RANGE_JOIN_RE = re.compile(r"\s*(?:-|–|—|to|through)\s*$", re.IGNORECASE)
_LIST_JOIN_RE = re.compile(r"\s*(?:&|and|or|,)\s*$", re.IGNORECASE)
# Words before a bare number that make it a limit/count: "up to 10,000", "max is 6".
_LIMIT_BEFORE_RE = re.compile(
    r"(?:\bup\s?to|\bupto|\bmax(?:imum)?|\bmin(?:imum)?|\blimit(?:ed)?(?:\s(?:to|of|is))?|\bat\s"
    r"most|\bat\sleast|\bdefault|\bonly|\bquota(?:\sof)?|\bcapacity(?:\sof)?|\bover|\bmore\sthan"
    r"|\bless\sthan|\bfewer\sthan|\bupwards\sof)"
    r"(?:[^.;,()]{0,30}?(?:\bis|\bof|=|:|\bto))?\s*[:=]?\s*$",
    re.IGNORECASE,
)
_PORT_BEFORE_RE = re.compile(
    r"\bports?\s*(?:number\s*)?[:=]?\s*(?:\d+\s*(?:,|and|&|or)\s*)*$", re.I
)
_CURRENCY_BEFORE_RE = re.compile(r"(?:\$|US\$|USD\s?)$")
# Spans whose digits are identifiers, not quantities: versions, dates, IPs, named things.
_NOT_A_QUANTITY_RE = re.compile(
    r"\b\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?"  # IPv4 address or CIDR
    r"|/\d{1,2}\b"  # CIDR suffix on its own
    r"|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{4}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b"  # dates
    r"|\b(?:19|20)\d{2}\b(?!\s*(?:%|[kmgt]i?b\b))"  # years
    r"|\b\d+(?:\.\d+){2,}\b"  # dotted versions 1.2.3
    r"|\b\d{1,2}:\d{2}(?::\d{2})?\b"  # clock times
    r"|\b(?:route|layer|level|step|topics?|domain|gen(?:eration)?|version|v|saml|oauth|tls|ssl"
    r"|http|python|java|node(?:\.js)?|windows|type|phase|section|chapter|part|question|rule|case"
    r"|option|question|aes|sha|rsa|ipv|nfsv|smb|md|utf|iso|pci|soc|hipaa|rfc|x|top|group|tier"
    r"|lab|module|lesson|day|week|scenario|example|q|no\.?|#)\s?-?\d+(?:\.\d+)*",
    re.IGNORECASE,
)


def _to_float(num: str) -> float:
    if _DECIMAL_COMMA_RE.fullmatch(num):
        return float(num.replace(",", "."))
    return float(num.replace(",", ""))


@dataclass(slots=True)
class _RawQuantity:
    start: int
    end: int
    number: float
    family: str | None  # None: a bare number still looking for a unit
    low: float | None = None
    scale: float = 1.0  # what the unit multiplied the printed number by
    text_end: int | None = None  # "1 & 3 years": the "1" borrows the unit, so its text runs on


def _scan_numbers(text: str, masked: str, *, port_context: bool) -> list[_RawQuantity]:
    found: list[_RawQuantity] = []
    for match in _NUMBER_RE.finditer(masked):
        start, end = match.span()
        before = masked[max(0, start - 1) : start]
        if match.group("word"):
            number = float(_NUMBER_WORDS[match.group("word").lower()])
        else:
            # Digits glued to letters are names (S3, EC2, m5), not quantities.
            if before and (before.isalnum() or before in "._#@'"):
                continue
            if before == "-" and start >= 2 and masked[start - 2].isalpha():
                # "AES-256" is a name, but "1 GiB-16 TiB" is a range: allow after a unit.
                word_before = _WORD_BEFORE_DASH_RE.search(masked[:start])
                if not word_before or not _UNIT_RE.fullmatch(" " + word_before.group(1)):
                    continue
            after = masked[end : end + 2]
            if after[:1] == "/" and after[1:2].isdigit():
                continue  # dates and fractions
            number = _to_float(match.group("num"))
            if match.group("k"):
                number *= 1000
        found.append(_RawQuantity(start, end, number, None))
        _attach_unit(text, masked, found[-1], is_word=bool(match.group("word")))
        raw = found[-1]
        if raw.family is None and not match.group("word"):
            _classify_bare(masked, raw, port_context=port_context)
    return found


def _attach_unit(text: str, masked: str, raw: _RawQuantity, *, is_word: bool) -> None:
    unit = _UNIT_RE.match(masked, raw.end)
    if unit is None or (is_word and not unit.group("time")):
        # Number words only count as quantities with a time unit or a plural noun.
        if is_word:
            noun = _PLAIN_WORD_RE.match(masked, raw.end)
            if noun and _is_count_noun(noun.group("noun"), plural_only=True):
                raw.family = "count"
                raw.end = noun.end()
        return
    kind = unit.lastgroup
    token = unit.group(kind).strip().lower()
    if kind == "time" and token in {"s", "h"} and unit.group(0).startswith(" "):
        return  # "5 s" / "2 h" are too ambiguous once separated by a space
    spelled_bytes = unit.group(0).strip().lower().startswith("byte")
    if (
        kind == "decimal"
        and token == "b"
        and not spelled_bytes
        and not _BYTE_B_RE.match(text, raw.end)
    ):
        return  # a lone "B" after a number is "bytes" only when written as a unit ("512 B")
    multiplier: float
    family: str
    if kind == "bitrate":
        family, multiplier = "bits_per_second", _DECIMAL_PREFIX[token[0]]
    elif kind == "byterate":
        prefix = token[0]
        binary = len(token) > 1 and token[1] == "i"
        multiplier = (_BINARY_PREFIX if binary else _DECIMAL_PREFIX)[prefix]
        family = "bytes_per_second"
    elif kind == "binary":
        family, multiplier = "bytes", _BINARY_PREFIX[token[0]]
    elif kind == "decimal":
        family, multiplier = "bytes", _DECIMAL_PREFIX[token[0] if len(token) == 2 else ""]
    elif kind == "byteword":
        family, multiplier = "bytes", _BYTE_WORDS[token]
    elif kind == "time":
        family, multiplier = "seconds", _SECONDS[token]
    elif kind == "percent":
        family, multiplier = "percent", 1
    elif kind == "nines":
        # "11 9's" of durability: 99.999999999 %.
        nines = int(raw.number)
        if not 1 <= nines <= 15:
            return
        raw.number = round(100 - 10 ** (2 - nines), 12)
        family, multiplier = "percent", 1
    elif kind == "dollars":
        family = "usd"
        multiplier = 0.01 if token.startswith("cent") else 1
    else:  # thousand/million: scale, then look for the counted noun after it
        raw.number *= _MULTIPLIER_WORDS[token]
        raw.end = unit.end()
        noun = _PLAIN_WORD_RE.match(masked, raw.end)
        if noun and _is_count_noun(noun.group("noun"), plural_only=False):
            raw.end = noun.end()
        raw.family = "count"
        return
    raw.number *= multiplier
    raw.scale = multiplier
    raw.family = family
    raw.end = unit.end()
    if family == "usd":
        _extend_per(masked, raw)


def _extend_per(masked: str, raw: _RawQuantity) -> None:
    per = _PER_RE.match(masked, raw.end)
    if per:
        raw.end = per.end()


def _is_count_noun(word: str, *, plural_only: bool) -> bool:
    lowered = word.lower()
    if lowered in _SECONDS or lowered in _MULTIPLIER_WORDS:
        return False
    if lowered in _COUNT_NOUNS:
        return not plural_only or lowered.endswith("s") or word.isupper()
    # Acronym plurals ("VPCs", "AZs", "ENIs") and ordinary plurals ("partitions").
    if _ACRONYM_PLURAL_RE.fullmatch(word):
        return True
    return (
        len(lowered) > 3
        and lowered.endswith("s")
        and not lowered.endswith(("ss", "us", "is", "ous"))
        and word[:1].islower()
    )


def _classify_bare(masked: str, raw: _RawQuantity, *, port_context: bool) -> None:
    """A number without a unit: a port, a count, or nothing."""
    before = masked[max(0, raw.start - 40) : raw.start]
    if _CURRENCY_BEFORE_RE.search(before):
        raw.family = "usd"
        raw.start -= len(_CURRENCY_BEFORE_RE.search(before).group(0))
        _extend_per(masked, raw)
        return
    if _PORT_BEFORE_RE.search(before) and raw.number.is_integer() and 0 < raw.number < 65536:
        raw.family = "port"
        return
    noun = _PLAIN_WORD_RE.match(masked, raw.end)
    if noun and _is_count_noun(noun.group("noun"), plural_only=False):
        raw.family = "count"
        raw.end = noun.end()
        per = _PER_NOUN_RE.match(masked[raw.end :])
        if per:
            raw.end += per.end()
        return
    if port_context and raw.number.is_integer() and 0 < raw.number < 65536:
        raw.family = "port"
        return
    if _LIMIT_BEFORE_RE.search(before):
        raw.family = "count"


_DIGIT_RE = re.compile(r"\d")
_MAY_HOLD_NUMBER_RE = re.compile(r"\d|\b(?:" + "|".join(_NUMBER_WORDS) + r")\b", re.I)


def _mask_identifiers(text: str) -> str:
    """Blank out versions, dates, IPs and names with digits; offsets stay the same."""
    return _NOT_A_QUANTITY_RE.sub(lambda m: "§" * len(m.group(0)), text)


def parse_quantity(text: str, *, port_context: bool = False) -> list[Quantity]:
    """Numbers with units in `text`, in order, normalised to their family's base unit.

    Bytes keep decimal (KB = 1000) and binary (KiB = 1024) prefixes apart; times become seconds;
    "up to 10,000" and "5 VPCs" become counts; "port 443" a port (or any bare integer when
    `port_context` says the text is about ports); "$0.023 per GB" a price in USD.
    """
    return list(_parse_quantity(text, port_context))


@lru_cache(maxsize=8192)  # the extractor asks about the same text more than once
def _parse_quantity(text: str, port_context: bool) -> tuple[Quantity, ...]:
    if not _MAY_HOLD_NUMBER_RE.search(text):
        return ()
    masked = _mask_identifiers(text) if _DIGIT_RE.search(text) else text
    raws = _scan_numbers(text, masked, port_context=port_context)
    merged: list[_RawQuantity] = []
    for raw in raws:
        previous = merged[-1] if merged else None
        if previous is not None and raw.family is not None:
            gap = masked[previous.end : raw.start]
            same_or_unitless = previous.family in (None, raw.family) or (
                previous.family == "count" and raw.family != "count" and gap.strip() in "-–"
            )
            if same_or_unitless and _RANGE_JOIN_RE.fullmatch(gap or " "):
                low = previous.number
                if previous.family is None or previous.family == "count":
                    # "1-5 GB": the low end borrows the unit of the high end.
                    low = previous.number * raw.scale
                merged[-1] = _RawQuantity(
                    previous.start, raw.end, raw.number, raw.family, low, raw.scale
                )
                continue
            if previous.family is None and _LIST_JOIN_RE.fullmatch(gap or " "):
                # "1 & 3 years": both numbers take the unit.
                previous.family = raw.family
                previous.number *= raw.scale
                previous.scale = raw.scale
                previous.text_end = raw.end
        merged.append(raw)
    quantities: list[Quantity] = []
    seen: set[tuple[str, float]] = set()
    for raw in merged:
        if raw.family is None:
            continue
        key = (raw.family, raw.number)
        if key in seen:
            continue  # "99.999999999% (11 9's)" says the same thing twice
        seen.add(key)
        value_text = text[raw.start : raw.text_end or raw.end].strip()
        quantities.append(Quantity(value_text, raw.number, raw.family, raw.low))
    return tuple(quantities)


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------

_WS_RE = re.compile(r"\s+")
# Markup a statement must never carry; the readers clean inline markup, this is the last guard.
_LEFTOVER_MARKUP_RE = re.compile(
    r"<br\s*/?>|</?a\b[^>]*>|</?[a-z][a-z0-9]*\b[^<>]*>|\*\*|`|[↖↑↓]|\]\(|\|"
)
_LEFTOVER_REPLACEMENTS = {"|": ", "}
_LEADING_MARKER_RE = re.compile(r"^(?:[-*+•·▪◦>#]+\s*|\(?\d{1,2}[.)]\s+|\(?[a-z][.)]\s+)+")
_TRAILING_PUNCT_RE = re.compile(r"[\s:;,\-–—=>/]+$")
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9'’&./+-]*|\d[\w.,%$/-]*")
_LETTER_RE = re.compile(r"[A-Za-z]")
_QUESTION_RE = re.compile(r"\?\s*[\"'”’)\]]*\s*$")
_BLANKS_RE = re.compile(r"_{3,}")  # fill-in-the-blank quiz text
_TODO_RE = re.compile(r"\b(?:TODO|WIP|TBD|FIXME|XXX)\b|\bwork in progress\b|\bcoming soon\b", re.I)
_LINK_RE = re.compile(r"!?\[[^\]]*\]\([^)]*\)|<a\b[^>]*>.*?</a>|https?://\S+", re.I)


def _collapse(text: str) -> str:
    if "  " not in text and "\n" not in text and "\t" not in text:
        return text.strip()  # the common case, without a regex pass
    return _WS_RE.sub(" ", text).strip()


_MARKUP_CHARS = frozenset("<*`|]↖↑↓#")


def _strip_markup(text: str) -> str:
    if _MARKUP_CHARS.isdisjoint(text):
        return _collapse(text)

    def replacement(match: re.Match[str]) -> str:
        return _LEFTOVER_REPLACEMENTS.get(match.group(0), " ")

    text = _LEFTOVER_MARKUP_RE.sub(replacement, text)
    text = text.lstrip("#").replace(" ,", ",")
    return _collapse(text)


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text)


@lru_cache(maxsize=8192)
def _lower_first_word(text: str) -> str:
    """Lower-case a Title-case common first word after a colon ("Min is 2" -> "min is 2")."""
    article = _ARTICLE_WORD_RE.match(text)
    if article:
        return article.group(1).lower() + text[article.end(1) :]
    match = _TITLE_WORD_RE.match(text)
    if not match or match.group(1) in _PROPER_WORDS or match.group(1) == "I":
        return text
    return match.group(1).lower() + text[match.end() :]


# Capitalised words that stay capitalised mid-sentence.
_PROPER_WORDS = frozenset(
    _word_list(
        """Amazon AWS Linux Windows Mac Java Python Docker Kubernetes Redis Memcached MySQL
    PostgreSQL Postgres Oracle Microsoft Active Directory Internet Google Facebook Apple Cognito
    Lambda Aurora Glacier Route Region Regions Kafka Apache Spark Hadoop Elastic Simple Cloud
    I IAM SQL NoSQL GraphQL JSON YAML XML Node Ruby Go PHP Spot Reserved On-Demand Dedicated
    Savings Nitro Fargate Athena Redshift Kinesis Macie GuardDuty Inspector Shield Config
    CloudTrail CloudWatch CloudFront CloudFormation DynamoDB ElastiCache EventBridge Snowball"""
    )
)


def _finish_sentence(text: str) -> str:
    """Capitalise, collapse whitespace and end with a period."""
    text = _collapse(text)
    text = _TRAILING_PUNCT_RE.sub("", text)
    if not text:
        return ""
    first = _LOWER_WORD_RE.match(text)
    # Capitalise ordinary words only: "gp2", "iOS", "s3://" stay as written.
    if first and not _CODE_LIKE_START_RE.match(text):
        text = text[0].upper() + text[1:]
    if not text.endswith((".", "!", "?", "…")):
        text += "."
    elif text.endswith("...") and not text.endswith("...."):
        text = text.rstrip(".") + "."
    return text


def statement_hash(subject: str | None, statement: str) -> str:
    """A stable id for a fact: sha256 of the subject and the normalised statement text.

    Normalising (Unicode NFKC, case, whitespace, final punctuation) keeps the hash stable across
    re-ingests that only reflow or re-punctuate the note.
    """
    normalised = unicodedata.normalize("NFKC", statement).casefold()
    normalised = _collapse(normalised).rstrip(" .!;:")
    payload = f"{(subject or '').casefold()}\x1f{normalised}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------
# Sentences
# --------------------------------------------------------------------------------------------

_SENTENCE_END_RE = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
# Words whose trailing period does not end a sentence.
_NON_TERMINAL = frozenset(
    _word_list(
        """e.g eg i.e ie vs v al approx incl ex cf mr mrs ms dr st no nos fig figs min max
    resp aka a.k.a est avg req reqs sec config w.r.t u.s e.x ca jan feb mar apr jun jul aug
    sep sept oct nov dec"""
    )
)


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences without breaking "e.g. S3", "99.99", "vs. EBS" or "v1.2"."""
    text = _collapse(text)
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END_RE.finditer(text):
        end = match.end()
        if text[match.start()] == ".":
            previous_word = _LAST_TOKEN_RE.search(text[start : match.start()])
            word = previous_word.group(1).lower().lstrip("([\"'") if previous_word else ""
            if word in _NON_TERMINAL or word.rstrip(".") in _NON_TERMINAL:
                continue
            if _INITIALS_RE.fullmatch(word):
                continue  # initials and "e.g"-style abbreviations
        sentence = text[start:end].strip()
        if sentence:
            sentences.append(sentence)
        start = end
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _split_long(text: str, limit: int = MAX_STATEMENT_CHARS) -> list[str]:
    """Group sentences into chunks of at most `limit` characters (a sentence is never cut)."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for sentence in split_sentences(text):
        pieces = [sentence]
        if len(sentence) > limit:
            # One run-on "sentence": fall back to clause boundaries.
            pieces = [p.strip() for p in _CLAUSE_BREAK_RE.split(sentence)]
        for piece in pieces:
            if current and len(current) + 1 + len(piece) > limit:
                chunks.append(current)
                current = piece
            else:
                current = f"{current} {piece}".strip()
    if current:
        chunks.append(current)
    return chunks


# --------------------------------------------------------------------------------------------
# Verbs: enough of English to tell a clause from a noun phrase
# --------------------------------------------------------------------------------------------

_AUXILIARIES = frozenset(
    _word_list(
        """is are was were be been being am isn't aren't wasn't weren't can cannot can't could
    couldn't will won't would wouldn't should shouldn't must mustn't may might shall do does did
    don't doesn't didn't has have had hasn't haven't needs"""
    )
)
_VERB_BASES = frozenset(
    _word_list(
        """accept access accelerate act add aggregate alert allow analyse analyze apply archive
    assign assume attach audit authenticate authorize automate avoid balance become belong
    benefit block boost bring build cache capture charge check choose classify collect combine
    come comply compress configure connect consist contain control convert coordinate copy cost
    create decide decouple decrypt define delegate delete deliver deny depend deploy describe
    detach detect determine differ direct disable discover display distribute divide drop emit
    enable encrypt enforce ensure evaluate exceed execute exist expand expire export expose
    extend fail fetch filter find focus forward generate get give go grant group grow handle help
    hold host identify import improve include increase ingest insert inspect install integrate
    invoke isolate issue keep launch lead leave let leverage limit load lock log lose lower
    maintain make manage map match maximize mean meet migrate minimize mitigate modify monitor
    mount move need notify offer offload operate optimize orchestrate pass pay perform persist
    place poll prefer prepare present prevent process protect provide provision publish pull put
    query read receive recommend record recover redirect reduce refer register reject release
    remain remove replace replicate report represent request require reserve resize resolve
    respond restart restore restrict retain retrieve return reuse rotate route run save scale
    scan schedule search secure select sell send separate serve set share shut sign simplify
    span specify split spread start stay stop store stream subscribe suit support survive
    switch sync synchronize take terminate track trade transfer transform translate trigger
    turn update upgrade upload use validate verify view wait work write achieve activate adjust
    allocate associate begin bind calculate cancel claim collect complete confirm consume
    decrease design destroy develop disconnect download duplicate edit eliminate establish
    estimate exchange expect explain fit fix follow force gather guarantee hide ignore implement
    indicate inherit initiate inject interact interrupt introduce involve join kill know learn
    listen look measure merge modify notice observe obtain occur own parse permit pick predict
    preserve proceed produce propagate prove purchase push raise reach react rebalance reboot
    recognize redeploy refresh regulate rely remember rename renew repair repeat reset reside
    resume retry reveal revoke satisfy see seem shrink simulate skip solve submit succeed suggest
    supply suspend swap tell think throttle tolerate try understand undo unlock utilize vary
    want warn provision"""
    )
)
_IRREGULAR_VERBS = frozenset(
    _word_list(
        """built chosen done found gave given got gotten grew grown held kept known led left lost
    made meant paid put ran read sent set shown shut sold spent split spread stood taken took
    went written wrote"""
    )
)
_VERB_FORMS: frozenset[str] = frozenset()


def _inflect(base: str) -> set[str]:
    forms = {base}
    if base.endswith(("s", "sh", "ch", "x", "z")):
        forms.add(base + "es")
    elif base.endswith("y") and base[-2:-1] not in "aeiou":
        forms.add(base[:-1] + "ies")
    else:
        forms.add(base + "s")
    stem = base[:-1] if base.endswith("e") else base
    if base.endswith("y") and base[-2:-1] not in "aeiou":
        forms.add(base[:-1] + "ied")
    else:
        forms.add(stem + "ed")
    forms.add(stem + "ing")
    if _DOUBLING_RE.fullmatch(base) and len(base) <= 4:
        forms.update({base + base[-1] + "ed", base + base[-1] + "ing"})  # stopped, running
    return forms


_VERB_FORMS = (
    frozenset(form for base in _VERB_BASES for form in _inflect(base))
    | _IRREGULAR_VERBS
    | _AUXILIARIES
)
_THIRD_PERSON = frozenset(
    form for base in _VERB_BASES for form in _inflect(base) if form.endswith("s") and form != base
) | {"is", "are", "has", "does", "can", "cannot", "will", "must", "may", "should"}
# Words that make a label a clause ("Health check can monitor:"), unlike "Spread" or "Logs".
_FINITE_VERBS = _AUXILIARIES | frozenset(
    _word_list(
        """provides supports allows enables offers lets shows generates means gives helps uses
    includes contains requires creates runs works"""
    )
)
_VERB_SUFFIX_RE = re.compile(r"^[a-z]{3,}(?:izes|ises|ates|ifies|ized|ised|ated|ified)$")


# Verbs that are just as often nouns ("Security Groups", "CloudWatch Logs", "Cost"): their
# forms only count as verbs in a passive ("is stored") or leading a fragment ("Locked by ...").
_AMBIGUOUS_BASES = frozenset(
    _word_list("""access archive audit balance block cache charge check control copy cost
    display drop export filter focus group help host import index issue limit load lock log map
    match mount need pass pay place poll process query record release report request reserve
    return route run save scale scan schedule search set share sign split spread start stop
    store stream switch tag trade transfer trigger turn update upgrade upload use view wait work
    write read lead leave sell span state support deploy provision measure""")
)
_AMBIGUOUS_FORMS = frozenset(f for base in _AMBIGUOUS_BASES for f in _inflect(base))
_CLEAR_VERB_FORMS = frozenset(
    f for f in _VERB_FORMS - _AMBIGUOUS_FORMS if not f.endswith("ing") or f in _AUXILIARIES
)
_PASSIVE_BEFORE = frozenset(_word_list("is are was were be been being not get gets got"))
_PREPOSITIONS = frozenset(
    _word_list("by to in on at when with from for across over into after before until via")
)


@lru_cache(maxsize=8192)
def _has_verb(text: str) -> bool:
    """Is there a verb? Tuned for note fragments: "Locked by region" yes, "Cluster Placement
    Group" no, "Security groups only contain allow rules" yes."""
    raw_words = _words(text)
    words = [w.lower().strip(".,;:'’()") for w in raw_words]
    for index, word in enumerate(words):
        if word in _CLEAR_VERB_FORMS or _VERB_SUFFIX_RE.match(word):
            return True
        if (
            index
            and word in _AMBIGUOUS_FORMS
            and word.endswith("s")
            and raw_words[index][:1].islower()
            and index + 1 < len(words)
            and raw_words[index + 1][:1].islower()
            and words[index - 1] not in _STOPWORDS
        ):
            return True  # "S3 stores objects", unlike "Security Groups" or "the logs"
        if word in _AMBIGUOUS_FORMS and word.endswith("ed"):
            previous = words[index - 1] if index else ""
            following = words[index + 1] if index + 1 < len(words) else ""
            if previous in _PASSIVE_BEFORE or (index == 0 and following in _PREPOSITIONS):
                return True
    return False


@lru_cache(maxsize=8192)
def _has_finite_verb(text: str) -> bool:
    return any(word.lower() in _FINITE_VERBS for word in _words(text))


@lru_cache(maxsize=8192)
def _starts_with_verb(text: str) -> bool:
    words = _words(text)
    if not words:
        return False
    first = words[0].lower()
    if first in {"not", "only", "also", "automatically", "easily"} or first in _AUXILIARIES:
        return True
    if first not in _VERB_FORMS:
        return False
    if words[0][:1].isupper() and len(words) > 1 and words[1][:1].isupper():
        return False  # "Access Advisor shows ...": a name, not an imperative
    # "Access keys are generated": a finite verb soon after means the first word is a noun.
    return not any(w.lower() in _FINITE_VERBS for w in words[1:5])


_PREDICATE_STARTERS = frozenset(
    _word_list(
        """can cannot can't is are must should will may might does doesn't do don't has
    have isn't aren't won't"""
    )
)


@lru_cache(maxsize=8192)
def _starts_with_predicate(text: str) -> bool:
    """ "Can be attached ...", "Saves the RAM ...": a fragment whose subject is its parent."""
    words = _words(text)
    if not words:
        return False
    first = words[0].lower()
    if first in _PREDICATE_STARTERS:
        return True
    if first not in _THIRD_PERSON:
        return False
    if first not in _AMBIGUOUS_FORMS:
        return True
    # "Routes traffic", "Stores data": a verb when a lower-case word follows, unlike
    # "Tags (KEY:VALUE)".
    return len(words) > 1 and words[1][:1].islower() and text[len(words[0]) :][:1] == " "


def _starts_with_third_person_verb(text: str) -> bool:
    words = _words(text)
    return bool(words) and (
        words[0].lower() in _THIRD_PERSON
        or bool(_VERB_SUFFIX_RE.match(words[0].lower()) and words[0].lower().endswith("s"))
    )


_RELATIVE_RE = re.compile(r"\b(?:that|which|who|whose|where|when|to|in which|for which)\b", re.I)


@lru_cache(maxsize=8192)
def _is_clause(text: str) -> bool:
    """Does the text, before any relative clause, have a finite verb ("An EC2 instance can
    have ...") rather than being a noun phrase ("A policy document that grants ...")?"""
    head = _RELATIVE_RE.split(text, maxsplit=1)[0]
    return _has_finite_verb(head) or any(
        w.lower() in _THIRD_PERSON and w.lower() not in _AMBIGUOUS_FORMS for w in _words(head)[1:]
    )


_ARTICLE_START_RE = re.compile(r"^(?:a|an|the|one of the|basically a|simply a)\s", re.I)


# --------------------------------------------------------------------------------------------
# Acronyms
# --------------------------------------------------------------------------------------------

_SHORT_FORM = r"[A-Za-z][A-Za-z0-9&-]{0,9}"
_SHORT_IN_PARENS_RE = re.compile(rf"\((?P<short>{_SHORT_FORM})\)")
_SHORT_BEFORE_PARENS_RE = re.compile(rf"(?P<short>\b{_SHORT_FORM})\s+\((?P<long>[^()]{{3,80}})\)")
_SHORT_LEADING_RE = re.compile(
    rf"^(?P<short>{_SHORT_FORM})\s*(?:[:=—–-]|\bstands\s+for\b|\bmeans\b)?\s+(?P<rest>[A-Z].*)$"
)
_MINOR_WORDS = frozenset(_word_list("of and for the to in on a an with by & at as per or"))
_LONG_WORD_SPLIT_RE = re.compile(r"[\s/]+|(?<=[a-z])-(?=[A-Za-z])")


def _is_short_form(token: str) -> bool:
    if not 2 <= len(token) <= 10 or not token[0].isalpha():
        return False
    uppers = sum(ch.isupper() for ch in token)
    return uppers >= 2 or (token[0].isupper() and any(ch.isdigit() for ch in token))


def _singular_short(short: str) -> str:
    """ "AZs" -> "AZ", "NACLs" -> "NACL": notes pluralise acronyms."""
    return short[:-1] if len(short) > 2 and short.endswith("s") and short[-2].isupper() else short


def _short_letters(short: str) -> str:
    """Letters an expansion must supply: "EC2" -> "ecc" (two C words), "S3" -> "sss"."""
    letters: list[str] = []
    for ch in short:
        if ch.isalpha():
            letters.append(ch.lower())
        elif ch.isdigit() and letters and ch in "23":
            letters.extend(letters[-1] * (int(ch) - 1))
        elif ch.isdigit():
            return ""
    return "".join(letters)


def _word_offers(word: str) -> list[str]:
    """Letter runs a word may contribute to an acronym: its initial, camel capitals, a prefix."""
    lowered = word.lower()
    offers = {lowered[:1], lowered[:2], lowered[:3]}
    capitals = "".join(ch for ch in word if ch.isupper()).lower()
    if len(capitals) > 1 and word[0].isupper():
        offers.add(capitals)
        offers.update(capitals[:n] for n in range(1, len(capitals)))
    return sorted((o for o in offers if o), key=len, reverse=True)


def _letters_match(letters: str, words: list[str], *, skips_left: int = 1) -> bool:
    """Do `words` spell `letters`, each word from its start (minor words may be skipped)?"""
    if not words:
        return not letters
    if not letters:
        return False
    word, rest = words[0], words[1:]
    for offer in _word_offers(word):
        if letters.startswith(offer) and _letters_match(
            letters[len(offer) :], rest, skips_left=skips_left
        ):
            return True
    is_last = not rest
    if not is_last and word.lower() in _MINOR_WORDS:
        return _letters_match(letters, rest, skips_left=skips_left)
    if not is_last and skips_left > 0:
        return _letters_match(letters, rest, skips_left=skips_left - 1)
    return False


def _expansion_words(short: str, words: list[str]) -> bool:
    letters = _short_letters(short)
    if not letters or not words or words[0].lower() in _MINOR_WORDS:
        return False
    if words[0][:1].lower() != letters[0]:
        return False
    if sum(1 for w in words if w.lower() not in _MINOR_WORDS) > len(letters) + 1:
        return False
    return _letters_match(letters, words)


def _split_long_words(text: str) -> list[str]:
    return [w for w in _LONG_WORD_SPLIT_RE.split(text.strip()) if w]


def _long_form_before(text: str, end: int, short: str) -> str | None:
    """The shortest run of words right before `end` that expands `short`."""
    before = _LONG_FORM_WORD_RE.findall(text[:end])[-12:]
    for size in range(1, len(before) + 1):
        window = before[-size:]
        if _expansion_words(short, _split_long_words(" ".join(window))):
            return " ".join(window)
    return None


def find_acronyms(text: str) -> list[tuple[str, str]]:
    """(short, long) pairs defined in the text: "Elastic File System (EFS)", "EFS (Elastic File
    System)", "STS — Security Token Service"."""
    pairs: list[tuple[str, str]] = []
    for match in _SHORT_IN_PARENS_RE.finditer(text):
        short = _singular_short(match.group("short"))
        if _is_short_form(short):
            long_form = _long_form_before(text, match.start(), short)
            if long_form:
                pairs.append((short, long_form))
    for match in _SHORT_BEFORE_PARENS_RE.finditer(text):
        short, inside = _singular_short(match.group("short")), match.group("long").strip()
        if not _is_short_form(short):
            continue
        words = _split_long_words(_AWS_PREFIX_RE.sub("", inside))
        if _expansion_words(short, words):
            pairs.append((short, _AWS_PREFIX_RE.sub("", inside)))
    leading = _SHORT_LEADING_RE.match(text)
    if leading and _is_short_form(leading.group("short")):
        short = leading.group("short")
        rest = _BARE_TOKEN_RE.findall(leading.group("rest"))[:10]
        for size in range(1, len(rest) + 1):
            window = rest[:size]
            if not all(w[:1].isupper() or w.lower() in _MINOR_WORDS for w in window):
                break
            following = rest[size] if size < len(rest) else ""
            if following[:1].isupper():
                continue  # the capitalised run goes on: keep looking for its end
            if _expansion_words(short, _split_long_words(" ".join(window))):
                pairs.append((short, " ".join(window)))
                break
    unique: dict[str, tuple[str, str]] = {}
    for short, long_form in pairs:
        unique.setdefault(short.lower(), (short, long_form.strip(" -–—:")))
    return list(unique.values())


# --------------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------------

_USE_CASE_RE = re.compile(
    r"\buse[\s-]?cases?\b|\bwhen to use\b|\bused for\b|\bideal for\b|\bgood for\b|\btypically"
    r" used\b|\bbest for\b|\bgreat for\b|\bsuitable for\b|\bwhen should\b|\bscenarios?\b",
    re.I,
)
_FEATURE_CONTEXT_RE = re.compile(
    r"\bfeatures?\b|\bcapabilit(?:y|ies)\b|\bbenefits?\b|\badvantages?\b|\bsupports?:?$", re.I
)
_FEATURE_VERB_RE = re.compile(
    r"^(?:[\w()'’/-]+\s+){0,6}?(?:supports?|can|provides?|allows?|enables?|offers?|lets|"
    r"integrates?|includes?|helps?|gives?|automatically|manages?|handles?|delivers?|ensures?|"
    r"protects?|encrypts?|replicates?|scales?|stores?|monitors?)\b",
    re.I,
)
_DEFINITION_RE = re.compile(
    r"^(?!(?:it|this|that|they|these|those|there|which|what|he|she|we|you)\b)"
    r"(?P<term>[^.:;!?()]{2,70}?(?:\s?\([^)]{1,40}\))?)\s+(?:is|are)\s+"
    r"(?:a|an|the|one of|basically|simply|essentially|just|used to|(?:a\s)?(?:fully\s)?managed)\b",
    re.I,
)
_LABEL_VALUE_RE = re.compile(r"^(?P<label>[^:]{1,60}?)\s*(?::|\s[-–—]\s)\s*(?P<value>\S.*)$")
_MAX_LABEL_WORDS = 8
_ENDS_MID_SENTENCE_RE = re.compile(
    r"\b(?:and|or|of|the|to|a|an|with|for|in|on|is|are|be|by|that|which|from|as|at|into|than|"
    r"can|will|must|should|not|but|if|when|while|your|its|their)$",
    re.I,
)
_SUBORDINATE_START_RE = re.compile(
    r"(?:to|for|when|if|in order to|in case|with|before|after)\b", re.I
)
_LIST_INTRO_RE = re.compile(r"\b(?:following|below|as follows|these|include|includes)\s*:?$", re.I)
_PRONOUN_START_RE = re.compile(
    r"^(?:It|This)(?=\s+(?:is|has|can|was|will|does|provides|supports|allows|enables|offers|uses"
    r"|runs|stores|must|should|may|ensures|means|lets|helps)\b)"
    # "It is possible to ...": a dummy "it" that names nothing.
    r"(?!\s+(?:is|was)\s+(?:not\s+)?(?:possible|recommended|important|best|better|advisable|"
    r"necessary|common|easy|hard|difficult|good|a good|worth|likely|required|mandatory)\b)"
)
# Sentence openers that do not name anything: the sentence leans on the one before it.
_LEANING_START_RE = re.compile(
    r"^(?:it|its|this|that|they|them|their|these|those|there|he|she|also|and|but|or|so|then|"
    r"thus|hence|however|moreover|furthermore|finally|additionally|otherwise|instead|here)\b",
    re.I,
)
# Section titles and labels that say what kind of thing follows, not what it is about.
_GENERIC_WORDS = frozenset(
    _word_list(
        """overview introduction intro summary notes note key features feature use cases case
    common pricing price cost costs exam focus tips tip benefits benefit advantages advantage
    disadvantages best practices practice integration integrations with other aws services
    service limitations limitation examples example details basics concepts concept
    miscellaneous misc other more general important things to know remember what why how when
    description definition function purpose objective behavior behaviour risks risk pros cons
    considerations consideration architecture scenarios scenario exam-focus types type points
    questions question answer answers quiz components component works it"""
    )
)
_STOPWORDS = frozenset(_word_list("the of and for in a an to on with"))
_ROLE_LABELS = frozenset(
    _word_list(
        """function purpose description definition objective behavior behaviour advantages
    advantage disadvantages risks risk benefits benefit limitations limitation note notes
    important tip example examples pros cons use case use cases overview summary what why how
    goal goals usage cost pricing integration integrations performance durability availability
    scalability security management type types mode modes key features features feature
    components component"""
    )
)
_DEFINING_LABELS = frozenset({"function", "purpose", "description", "definition", "what"})
_YES = frozenset({"yes", "y", "true", "supported", "✓", "✔", "✅"})
_NO = frozenset({"no", "n", "false", "not supported", "✗", "✘", "❌"})


_UNINFORMATIVE_HEADING_RE = re.compile(
    r"(?:overview|introduction|intro|summary|notes?|details|basics|general|misc(?:ellaneous)?"
    r"|other|more|concepts?)",
    re.I,
)


_PRONOUN_CONTEXT_RE = re.compile(r"^(?:They|These|Those|It|This)\b")
_GENERIC_TAIL_RE = re.compile(r"(?:[\s&,:/-]+|\b[A-Za-z]+\b)$")


@lru_cache(maxsize=8192)
def _strip_generic_tail(label: str) -> str:
    """ "Elastic Network Interface (ENI) key features" -> "Elastic Network Interface (ENI)"."""
    text = label.strip()
    while text:
        match = _GENERIC_TAIL_RE.search(text)
        if not match:
            break
        word = match.group(0).strip().lower()
        if word.isalpha() and word not in _GENERIC_WORDS and word not in _STOPWORDS:
            break
        text = text[: match.start()].rstrip()
    return text


@lru_cache(maxsize=8192)
def _is_generic(text: str) -> bool:
    """Only words like "Key Features", "Use Cases", "Overview of the": no name in it."""
    words = [w for w in _LOWER_LETTERS_RE.findall(text.lower()) if w not in _STOPWORDS]
    return bool(words) and all(w in _GENERIC_WORDS for w in words)


def _strip_label(text: str) -> str:
    return _TRAILING_PUNCT_RE.sub("", _collapse(text))


@dataclass(frozen=True, slots=True)
class _Frame:
    """What the surroundings of a unit say: the prefix to give fragments, the kind hints."""

    label: str  # "Placement Groups", "Cluster Placement Group", "S3 use cases"
    clause: str  # a lead-in clause from the parent ("Health check can monitor")
    entity: str  # the label without generic words: what a verb-first fragment is about
    kind_hint: str  # "use_case" | "feature" | ""
    concept: str
    sources: tuple[str, ...] = ()  # ancestor texts the label and clause were taken from
    uses_heading: bool = False  # the label came from the section's headings


@dataclass(slots=True)
class _Draft:
    kind: str
    statement: str
    line_start: int
    line_end: int
    subject: str | None
    subject_hint: str
    concept: str = ""
    quantity: Quantity | None = None
    value: str = ""


def _pick_quantity(quantities: list[Quantity]) -> Quantity | None:
    """The quantity that best stands for the fact: units beat bare counts."""
    for quantity in quantities:
        if quantity.unit_family != "count":
            return quantity
    return quantities[0] if quantities else None


class _SectionExtractor:
    def __init__(self, section: ParsedSection, resolver: SubjectResolver) -> None:
        self.section = section
        self.resolver = resolver
        self.raw_lines = section.raw_markdown.splitlines()
        self.headings = tuple(_strip_markup(h) for h in section.heading_path if h.strip())
        self.innermost_heading = self.headings[-1] if self.headings else ""
        self.port_context = bool(_PORTS_RE.search(self.innermost_heading))
        self.drafts: list[_Draft] = []
        self.seen: set[str] = set()
        self._primary_cache: dict[str, str | None] = {}
        self._surface_cache: dict[tuple[str, str], str] = {}
        self._frame_cache: dict[tuple[str, ...], _Frame] = {}
        self.lead_in = ""  # a paragraph sentence ending in ":" that introduces the next list
        self.parent_texts: set[str] = set()  # bullet texts that have child bullets
        self.known_lines: dict[str, int] = {}  # lead-in sentences rewritten before use

        self.heading_lines = _heading_line_count(self.raw_lines) if section.level else 0
        self.glossary_entry_line = section.line_start  # the row that named the current term
        self.glossary_subterm = ""  # the sub-term note-only rows continue
        self.glossary_subterm_line = section.line_start
        self.heading_concept = self._concept_of_heading()
        self.heading_label = self._heading_label()

    @cached_property
    def cited_lines(self) -> list[str]:
        """The raw lines as a checker reads them: lower-case, without inline markup."""
        return [_CITED_NOISE_RE.sub(" ", line.casefold()) for line in self.raw_lines]

    # ---- resolver helpers (cached: contexts repeat for every sibling bullet) ----

    def primary(self, text: str) -> str | None:
        if text not in self._primary_cache:
            self._primary_cache[text] = self.resolver.primary(text) if text else None
        return self._primary_cache[text]

    def surface(self, short_name: str, text: str) -> str:
        """How `text` names the service, or "" if it does not name it."""
        key = (short_name, text)
        if key not in self._surface_cache:
            self._surface_cache[key] = self._surface(short_name, text)
        return self._surface_cache[key]

    def _surface(self, short_name: str, text: str) -> str:
        # Most notes write the short name itself ("S3", "EC2"): no need to scan the text again.
        written = _short_name_pattern(short_name).search(text)
        if written:
            return written.group(0)
        find = getattr(self.resolver, "find", None)
        if find is not None:
            for match in find(text):
                if match.short_name == short_name:
                    return match.surface
            return ""
        return short_name if short_name.lower() in text.lower() else ""

    def is_service_name(self, text: str) -> bool:
        return self.resolver.resolve(text) is not None

    # ---- headings ----

    def _concept_of_heading(self) -> str:
        heading = self.innermost_heading
        if len(self.headings) < 2 or not heading or _is_generic(heading):
            return ""
        if self.heading_subject()[0] is None:
            return ""  # a concept is a concept *under a service*
        if self.is_service_name(heading) or len(heading.split()) > 8:
            return ""
        subject = self.primary(heading)
        if subject is not None:
            # "EFS Key Features" names its service plus generic words: no concept in it.
            rest = heading.lower().replace(self.surface(subject, heading).lower(), " ")
            if not rest.strip() or _is_generic(rest):
                return ""
        return heading[:200]

    def _heading_label(self) -> str:
        """The innermost heading that names something, plus an informative generic title under
        it: "SNS" > "Key Points" > "Use Cases" reads "SNS use cases"."""
        if not self.headings:
            return ""
        inner = self.innermost_heading
        if not _is_generic(inner):
            return inner
        named = next((h for h in reversed(self.headings) if not _is_generic(h)), "")
        if not named:
            return inner
        if _UNINFORMATIVE_HEADING_RE.fullmatch(inner):
            return named  # "IAM" > "Overview": just "IAM"
        return f"{named} {inner.lower()}"

    def heading_subject(self) -> tuple[str | None, str]:
        for heading in reversed(self.headings):
            subject = self.primary(heading)
            if subject:
                return subject, self.surface(subject, heading)
        return None, ""

    # ---- frames ----

    def frame(self, contexts: tuple[str, ...]) -> _Frame:
        """Read the ancestors (innermost first) for a label, a lead-in clause and kind hints."""
        if contexts not in self._frame_cache:
            self._frame_cache[contexts] = self._frame(contexts)
        return self._frame_cache[contexts]

    def _frame(self, contexts: tuple[str, ...]) -> _Frame:
        label = ""
        clause = ""
        kind_hint = ""
        concept = ""
        generic_word = ""
        sources: list[str] = []
        for position, raw_context in enumerate(reversed(contexts)):
            context = _strip_label(_strip_markup(raw_context))
            if not context:
                continue
            if _PRONOUN_CONTEXT_RE.match(context):
                # "They regulate:" under "Security Groups": say who "they" are.
                name = _strip_generic_tail(self.heading_label)
                context = _PRONOUN_CONTEXT_RE.sub(name, context, count=1) if name else context
            if not kind_hint:
                if _USE_CASE_RE.search(context):
                    kind_hint = "use_case"
                elif _FEATURE_CONTEXT_RE.search(context):
                    kind_hint = "feature"
            if _is_generic(context):
                if not generic_word:
                    generic_word = context.lower()
                    sources.append(raw_context)
                continue
            label_value = _LABEL_VALUE_RE.match(context)
            if position == 0 and raw_context.rstrip().endswith(":") and _has_verb(context):
                # Only a short lead-in reads well in front of its items.
                last_sentence = split_sentences(context)[-1]
                if len(last_sentence.split()) <= 16 and not clause:
                    clause = _strip_label(last_sentence)
                    sources.append(raw_context)
            if label:
                continue
            if label_value and len(label_value.group("label").split()) <= _MAX_LABEL_WORDS:
                candidate = _strip_label(label_value.group("label"))
                if _is_generic(candidate):
                    candidate = ""
            elif len(context.split()) <= 8 and not _has_verb(context):
                candidate = context
            else:
                definition = _DEFINITION_RE.match(context)
                candidate = _strip_label(definition.group("term")) if definition else ""
            if candidate:
                label = candidate
                sources.append(raw_context)
                if (
                    not concept
                    and len(candidate.split()) <= 6
                    and not self.is_service_name(candidate)
                ):
                    concept = candidate[:200]
        if not kind_hint:
            if _USE_CASE_RE.search(self.innermost_heading):
                kind_hint = "use_case"
            elif _FEATURE_CONTEXT_RE.search(self.innermost_heading):
                kind_hint = "feature"
        uses_heading = not label
        if uses_heading:
            label = self.heading_label
        entity = _strip_generic_tail(label)
        if generic_word and label and generic_word not in label.lower():
            label = f"{entity or label} {generic_word}"  # "SNS use cases", not "SNS key points …"
        return _Frame(
            label,
            clause,
            entity,
            kind_hint,
            concept or self.heading_concept,
            tuple(sources),
            uses_heading,
        )

    # ---- subjects ----

    def subject_for(
        self, unit_text: str, block_text: str, contexts: tuple[str, ...], concept: str
    ) -> tuple[str | None, str, str]:
        """(service, the name used for it, where it was found: "text" | "block" | a context
        text | "heading" | "")."""
        subject = self.primary(unit_text)
        if subject:
            return subject, self.surface(subject, unit_text) or subject, "text"
        if block_text != unit_text:
            subject = self.primary(block_text)
            if subject:
                return subject, self.surface(subject, block_text) or concept or subject, "block"
        for context in reversed(contexts):
            subject = self.primary(context)
            if subject:
                return subject, self.surface(subject, context) or subject, context
        subject, surface = self.heading_subject()
        if subject:
            return subject, concept or surface or subject, "heading"
        return None, concept, ""

    # ---- output ----

    def emit(self, draft: _Draft) -> None:
        statement = _finish_sentence(_strip_markup(draft.statement))
        if len(_words(statement)) < 3 or not _LETTER_RE.search(statement):
            return
        value = draft.value or (draft.quantity.value_text if draft.quantity else "")
        if not self.grounded(statement, value, draft.line_start, draft.line_end):
            return  # a learner could not verify it on the cited lines
        key = statement_hash(draft.subject, statement)
        if key in self.seen:
            return
        self.seen.add(key)
        draft.statement = statement
        self.drafts.append(draft)

    def grounded(self, statement: str, value: str, first: int, last: int) -> bool:
        """Can the statement's key terms be found on its cited lines?

        Key terms are the value and the three longest words (five letters or more); at least two
        of them (or all, when fewer) must appear in the cited lines with inline markup removed.
        Equal-length words are taken in the least favourable order, so the answer does not depend
        on which of them a checker happens to pick.
        """
        offset = self.section.line_start
        cited = " ".join(self.cited_lines[max(0, first - offset) : max(0, last - offset + 1)])
        words = sorted(set(_KEY_WORD_RE.findall(statement)), key=len)
        chosen = words[-3:]
        value_terms = [value] if value else []
        required = min(2, len(value_terms) + len(chosen))
        if not required:
            return True
        found = sum(1 for term in value_terms if term.casefold() in cited)
        if len(chosen) == 3 and len(words) > 3:
            cutoff = len(chosen[0])
            sure = [w for w in words if len(w) > cutoff]
            ties = [w for w in words if len(w) == cutoff]
            slots = 3 - len(sure)
            found += sum(1 for w in sure if w.casefold() in cited)
            missing_ties = sum(1 for w in ties if w.casefold() not in cited)
            found += max(0, slots - missing_ties)
        else:
            found += sum(1 for w in chosen if w.casefold() in cited)
        return found >= required

    def table_header_line(self, block: Block) -> int:
        """The line of the column titles above a table row (the row's own line if none)."""
        first = self.section.line_start
        for line_no in range(block.line_start - 1, first - 1, -1):
            raw = self.raw_lines[line_no - first] if line_no - first < len(self.raw_lines) else ""
            if _TABLE_DELIMITER_RE.match(raw):
                return max(first, line_no - 1)
            if "|" not in raw:
                break
        return block.line_start

    def source_line(self, frame: _Frame, block: Block, *, with_heading: bool = True) -> int:
        """The first line a frame's label or clause was read from."""
        first = block.line_start
        for source in frame.sources:
            line = self.context_line(source, block.line_start)
            if line is not None:
                first = min(first, line)
        if with_heading and frame.uses_heading and self.section.level:
            first = min(first, self.section.line_start)
        return first

    def cites(self, line: int, name: str) -> bool:
        """Is `name` written as is (markup aside) on the line?"""
        index = line - self.section.line_start
        return 0 <= index < len(self.raw_lines) and name.casefold() in self.cited_lines[index]

    def mentions(self, first: int, last: int, name: str) -> bool:
        """Is `name` written in lines first..last?"""
        offset = self.section.line_start
        lines = self.raw_lines[max(0, first - offset) : max(0, last - offset + 1)]
        return _normalise_for_search(name) in _normalise_for_search("\n".join(lines))

    def context_line(self, context: str, before_line: int) -> int | None:
        """The line of an ancestor bullet, searching upward from `before_line`."""
        if context in self.known_lines:
            return self.known_lines[context]
        wanted = _TOKEN_RE.findall(context.lower())[:4]
        if not wanted:
            return None
        first = self.section.line_start
        candidates = range(min(before_line - 1, first + len(self.raw_lines) - 1), first - 1, -1)
        # A line that starts with the ancestor's words first; one merely containing them after.
        for starts_with in (True, False):
            for line_no in candidates:
                tokens = _TOKEN_RE.findall(self.raw_lines[line_no - first].lower())
                if tokens[: len(wanted)] == wanted or (
                    not starts_with and _contains_run(tokens, wanted)
                ):
                    return line_no
        return None

    # ---- blocks ----

    def run(self) -> list[_Draft]:
        self.parent_texts = {
            block.context[-1]
            for block in self.section.blocks
            if block.kind == "bullet" and block.context
        }
        for block in self.section.blocks:
            if block.kind == "bullet":
                contexts = block.context
                if self.lead_in:
                    # The paragraph that introduced the list ("You can enable:") is context too.
                    contexts = (self.lead_in, *contexts)
                self.bullet(block, contexts)
                continue
            self.lead_in = ""
            if block.kind == "paragraph":
                self.paragraph(block)
            elif block.kind == "table_row":
                self.table_row(block)
            elif block.kind == "glossary":
                self.glossary(block)
            # code blocks never become facts
        return self.drafts

    def paragraph(self, block: Block) -> None:
        text = _strip_markup(block.text)
        if self.is_link_list(block, text) or self.is_quiz(block):
            return
        frame = self.frame(())  # a paragraph's `context` (glossary quiz rows) is its topic
        locator = _LineLocator(self, block)
        topic = ""  # what "It ..." refers to: the last term this paragraph defined
        sentences = [
            sentence
            for line in self.line_statements(block, text)
            for sentence in split_sentences(line)
        ]
        for index, original in enumerate(sentences):
            sentence = original
            cite_from = None  # an earlier line the sentence borrows its subject from
            definition = _DEFINITION_RE.match(sentence)
            if _PRONOUN_START_RE.match(sentence):
                _, hint, source = self.subject_for(sentence, text, (), frame.concept)
                named = topic or frame.concept or (hint if source != "text" else "")
                if named:
                    sentence = _PRONOUN_START_RE.sub(named, sentence, count=1)
                    # The name comes from this paragraph's first lines or from the heading.
                    from_heading = not topic and named == frame.concept
                    cite_from = self.section.line_start if from_heading else block.line_start
            elif definition:
                topic = _strip_label(definition.group("term"))
            if sentence.endswith(":") and not parse_quantity(sentence):
                if index == len(sentences) - 1:
                    self.lead_in = sentence  # it becomes the context of the list below
                    lead_in_line = locator.locate(original)[0]
                    self.known_lines[sentence] = min(lead_in_line, cite_from or lead_in_line)
                continue
            originals = _split_long(original)
            chunks = _split_long(sentence)
            for position, chunk in enumerate(chunks):
                located = originals[position] if len(originals) == len(chunks) else chunk
                line_start, line_end = locator.locate(located)
                if cite_from is not None and position == 0:
                    line_start = min(line_start, cite_from)
                self.text_unit(chunk, block, (), frame, line_start, line_end, prose=True)

    def line_statements(self, block: Block, text: str) -> list[str]:
        """Split a paragraph at its line breaks when each line is a statement of its own.

        Notes often stack short unpunctuated lines ("Renting virtual machines (EC2)" / "Storing
        data on virtual drives (EBS)") that the reader joins into one paragraph.
        """
        if block.line_end <= block.line_start:
            return [text]
        first = self.section.line_start
        raw_lines = [
            line.strip()
            for line in self.raw_lines[block.line_start - first : block.line_end - first + 1]
        ]
        raw_lines = [line for line in raw_lines if line]
        # Only lines written without punctuation, each starting a new thought, are split: wrapped
        # prose ends its lines mid-sentence or with full stops.
        if len(raw_lines) < 2 or any(
            len(line) > 160
            or not _LINE_STARTS_THOUGHT_RE.match(line)
            or _LINE_ENDS_PUNCTUATED_RE.search(line)
            or _ENDS_MID_SENTENCE_RE.search(line)
            for line in raw_lines
        ):
            return [text]
        pieces: list[str] = []
        position = 0
        for line in raw_lines[1:]:
            tokens = _ANY_TOKEN_RE.findall(line)[:2]
            if not tokens:
                return [text]
            pattern = r"\b" + r"\W+".join(re.escape(t) for t in tokens) + r"\b"
            found = re.compile(pattern, re.I).search(text, position + 1)
            if found is None:
                return [text]
            pieces.append(text[position : found.start()].strip())
            position = found.start()
        pieces.append(text[position:].strip())
        return [piece for piece in pieces if piece]

    def is_quiz(self, block: Block) -> bool:
        """Glossary question rows: a question (and its answer) is not a fact to learn."""
        cells = dict(block.cells)
        return bool(
            _QUESTION_RE.search(cells.get("question", "")) or "?" in cells.get("question", "")
        )

    def bullet(self, block: Block, contexts: tuple[str, ...]) -> None:
        text = _strip_markup(block.text)
        if self.is_link_list(block, text):
            return
        if text.endswith(":") and (
            _LIST_INTRO_RE.search(text)
            or len(text.split()) < 5
            or (block.text in self.parent_texts and _SUBORDINATE_START_RE.match(text))
        ):
            return  # "Key Features:", "can monitor the following:", "To give access:" introduce
        if (
            block.text in self.parent_texts
            and len(text.split()) <= 8
            and not _has_finite_verb(text)
            and not _starts_with_predicate(text)
            and not _LABEL_VALUE_RE.match(text)
            and not parse_quantity(text)
        ):
            return  # "Cluster Placement Group" over its own bullets: a sub-heading
        frame = self.frame(contexts)
        chunks = _split_long(text)
        locator = _LineLocator(self, block) if len(chunks) > 1 else None
        for chunk in chunks:
            line_start, line_end = (
                locator.locate(chunk) if locator else (block.line_start, block.line_end)
            )
            self.text_unit(chunk, block, contexts, frame, line_start, line_end, prose=False)

    def is_link_list(self, block: Block, text: str) -> bool:
        """A bullet or paragraph that is nothing but links ("Service - FAQs - User Guide")."""
        first = self.section.line_start
        raw = "\n".join(self.raw_lines[block.line_start - first : block.line_end - first + 1])
        if "](" not in raw and "<a" not in raw and "http" not in raw:
            return False
        if not _LINK_RE.search(raw):
            return False
        rest = _LINK_RE.sub(" ", raw)
        return len(_LETTER_RUN_RE.findall(rest)) < 3

    def skip_text(self, text: str, quantities: list[Quantity]) -> bool:
        if not _LETTER_RE.search(text) or _QUESTION_RE.search(text) or _TODO_RE.search(text):
            return True
        if _looks_like_code(text) or _BLANKS_RE.search(text):
            return True
        if len(_words(text)) < 3 and not quantities:
            return True
        lowered = _strip_label(text).lower()
        return any(lowered == heading.lower() for heading in self.headings)

    def text_unit(
        self,
        text: str,
        block: Block,
        contexts: tuple[str, ...],
        frame: _Frame,
        line_start: int,
        line_end: int,
        *,
        prose: bool,
    ) -> None:
        text = _LEADING_MARKER_RE.sub("", text).strip()
        if text.startswith("(") and text.endswith(")") and text.count("(") == 1:
            text = text[1:-1].strip()  # "(Maximize availability)": an aside on its own line
        port_context = self.port_context or bool(_PORTS_RE.search(frame.label))
        quantities = parse_quantity(text, port_context=port_context)
        if self.skip_text(text, quantities):
            return
        block_text = _strip_markup(block.text)
        subject, hint, source = self.subject_for(text, block_text, contexts, frame.concept)
        acronyms = find_acronyms(text)
        for short, long_form in acronyms:
            acronym_subject = (
                self.resolver.resolve(short)
                or self.resolver.resolve(long_form)
                or self.primary(long_form)
                or subject
            )
            self.emit(
                _Draft(
                    "acronym",
                    _acronym_statement(short, long_form),
                    line_start,
                    line_end,
                    acronym_subject,
                    short,
                )
            )
        if acronyms and _only_expansions(text, acronyms) and not quantities:
            return
        composed = self.compose(text, frame, subject, hint, source == "text", quantities, prose)
        if composed is None:
            return
        kind, statement = composed
        if frame.uses_heading and self.heading_label != self.innermost_heading:
            # The label names an outer heading, whose line lies outside this section: if the
            # statement cannot be checked without it, say it with this section's own heading.
            value = _pick_quantity(quantities).value_text if quantities else ""
            first = min(line_start, self.section.line_start)
            if not self.grounded(_finish_sentence(statement), value, first, line_end):
                local = replace(
                    frame,
                    label=self.innermost_heading,
                    entity=_strip_generic_tail(self.innermost_heading),
                )
                retry = self.compose(
                    text, local, subject, hint, source == "text", quantities, prose
                )
                if retry is not None:
                    kind, statement = retry
        if source == "block":
            line_start, line_end = block.line_start, block.line_end
        hint = hint or frame.concept or self.innermost_heading
        if hint and not self.mentions(line_start, line_end, hint):
            # The name comes from an ancestor bullet or the list's lead-in: cite that line too.
            for context in reversed(contexts):
                if _normalise_for_search(hint) in _normalise_for_search(context):
                    ancestor_line = self.context_line(context, block.line_start)
                    if ancestor_line is not None:
                        line_start = min(line_start, ancestor_line)
                    break
        if not _is_own_text(statement, text):
            # The statement borrowed words from ancestors: cite their lines too. Words from the
            # heading only extend the citation when the statement cannot be checked without it
            # (a bullet 40 lines under its heading should not cite all 40).
            line_start = min(line_start, self.source_line(frame, block, with_heading=False))
            value = _pick_quantity(quantities).value_text if quantities else ""
            if not self.grounded(_finish_sentence(statement), value, line_start, line_end):
                line_start = min(line_start, self.source_line(frame, block))
        quantity = _pick_quantity(quantities)
        concept = frame.concept
        self.emit(
            _Draft(
                kind,
                statement,
                line_start,
                line_end,
                subject,
                hint,
                concept=concept,
                quantity=quantity,
            )
        )

    def names_its_subject(self, text: str, frame: _Frame, hint: str, named_in_text: bool) -> bool:
        lowered = text.lower()
        return named_in_text or any(
            name and name.lower() in lowered for name in (frame.concept, hint)
        )

    def compose(
        self,
        text: str,
        frame: _Frame,
        subject: str | None,
        hint: str,
        named_in_text: bool,
        quantities: list[Quantity],
        prose: bool,
    ) -> tuple[str, str] | None:
        """The fact's kind and statement, or None when the text holds no fact."""
        label_value = _LABEL_VALUE_RE.match(text)
        if label_value:
            label = _strip_label(label_value.group("label"))
            value = label_value.group("value").strip()
            if (
                len(label.split()) <= _MAX_LABEL_WORDS
                and not _has_finite_verb(label)
                and (_LETTER_RE.search(value) or quantities)
                and not label.endswith(("e.g", "i.e", "ex"))
            ):
                if label.lower() in {"important", "note", "notes", "tip", "remember", "exam tip"}:
                    return self.compose(
                        value, frame, subject, hint, named_in_text, quantities, prose
                    )
                return self.compose_label_value(
                    label, value, text, frame, subject, quantities, prose
                )
        # A sentence stands alone when it names what it talks about (a service, the concept, or
        # the term it defines) and does not lean on the one before ("It", "Also").
        self_contained = (
            _has_verb(text)
            and not _starts_with_verb(text)
            and not _LEANING_START_RE.match(text)
            and (
                bool(_DEFINITION_RE.match(text))
                or self.names_its_subject(text, frame, hint, named_in_text)
            )
        )
        kind = ""
        entity = frame.entity
        if (
            not prose
            and entity
            and not frame.clause
            and _ARTICLE_START_RE.match(text)
            and not _is_clause(text)
            and not _LABEL_VALUE_RE.match(text)
        ):
            # "A static, public IPv4 address ..." under "Elastic IP": a definition.
            statement = f"{entity} is {_lower_first_word(text)}"
            kind = "attribute" if quantities else "definition"
        elif self_contained:
            statement = text
        elif frame.clause and not prose:
            statement = f"{frame.clause}: {_lower_first_word(text)}"
        elif entity and _starts_with_predicate(text):
            # "Can be attached to multiple instances" under "Security Groups".
            statement = f"{entity} {_lower_first_word(text)}"
        elif frame.label and _strip_label(text).lower() != frame.label.lower():
            statement = f"{frame.label}: {_lower_first_word(text)}"
        else:
            statement = text
        kind = kind or self.kind_of(
            text, statement, frame, subject, quantities, prose, labelled=False
        )
        return (kind, statement) if kind else None

    def compose_label_value(
        self,
        label: str,
        value: str,
        text: str,
        frame: _Frame,
        subject: str | None,
        quantities: list[Quantity],
        prose: bool,
    ) -> tuple[str, str] | None:
        lowered_label = label.lower()
        entity = frame.entity or frame.label
        kind_override = ""
        if not quantities and value[:1].isdigit():
            # "IOPS: 64,000 (EC2 Nitro)": the label names what the bare number counts.
            quantities.extend(parse_quantity(f"max {value}"))
        port = next((q for q in quantities if q.unit_family == "port"), None)
        if _PARENTHESISED_RE.fullmatch(label) and entity:
            statement = f"{entity} {label}: {value}"  # "(m)" under "General Purpose (t, m)"
        elif port is not None and _PORT_VALUE_RE.fullmatch(value) and value[:1].isdigit():
            statement = f"{label} uses port {value}"
        elif lowered_label in _ROLE_LABELS or _is_generic(label):
            if (
                lowered_label in _DEFINING_LABELS
                and _ARTICLE_START_RE.match(value)
                and entity
                and not _is_clause(value)
            ):
                statement = f"{entity} is {_lower_first_word(value)}"
                kind_override = "definition"
            elif entity and _starts_with_third_person_verb(value):
                statement = f"{entity} {_lower_first_word(value)}"
            elif entity:
                statement = f"{entity} {lowered_label}: {value}"
            else:
                statement = f"{label}: {value}"
            if "use case" in lowered_label:
                kind_override = "use_case"
        elif _starts_with_third_person_verb(value):
            statement = f"{label} {_lower_first_word(value)}"
        elif _ARTICLE_START_RE.match(value) and not _is_clause(value):
            statement = f"{label} is {_lower_first_word(value)}"
            kind_override = "definition"
        elif (
            entity
            and entity.lower() not in label.lower()
            and not self.primary(label)
            and not (frame.concept and frame.concept.lower() in label.lower())
        ):
            statement = f"{label} ({entity}): {value}"
        else:
            statement = f"{label}: {value}"
        if kind_override == "definition" and quantities:
            kind_override = "attribute"
        kind = kind_override or self.kind_of(
            text, statement, frame, subject, quantities, prose, labelled=True
        )
        return (kind, statement) if kind else None

    def kind_of(
        self,
        text: str,
        statement: str,
        frame: _Frame,
        subject: str | None,
        quantities: list[Quantity],
        prose: bool,
        *,
        labelled: bool,
    ) -> str:
        if _USE_CASE_RE.search(text):
            return "use_case"
        if _DEFINITION_RE.match(text) and not quantities:
            return "definition"
        if quantities:
            return "attribute"
        if frame.kind_hint:
            return frame.kind_hint
        if _FEATURE_VERB_RE.match(text):
            return "feature"
        if subject and (
            _has_verb(text) or (labelled and not prose) or (frame.clause and not prose)
        ):
            return "feature"
        return ""

    # ---- tables ----

    def table_row(self, block: Block) -> None:
        cells = [(_strip_markup(h), _strip_markup(v)) for h, v in block.cells]
        cells = [(h, v) for h, v in cells if v and v not in {".", "-", "—", "..", "n/a"}]
        if len(cells) < 2:
            return
        (key_header, key), rest = cells[0], cells[1:]
        row_text = _strip_markup(block.text)
        # "Feature | KMS | CloudHSM": the rows are features and the columns the things compared.
        features_as_rows = bool(_FEATURE_COLUMN_RE.fullmatch(key_header))
        if all(_is_placeholder(header) for header, _ in rest):
            # A table without column titles: its cells only make sense read together.
            rest = [("", "; ".join(value for _, value in rest))]
        for header, value in rest:
            entity, attribute = key, header
            if header and (
                features_as_rows
                or (self.resolver.resolve(header) and not self.resolver.resolve(key))
            ):
                entity, attribute = header, key
            statement = _comparison_statement(entity, attribute, value)
            if statement is None:
                continue
            subject = self.primary(entity) or self.primary(row_text)
            hint = self.surface(subject, entity) if subject else ""
            if subject is None:
                subject, hint = self.heading_subject()
                hint = self.heading_concept or hint
            quantities = parse_quantity(value, port_context=self.port_context)
            if not quantities and _BARE_NUMBER_RE.fullmatch(value):
                quantities = parse_quantity(f"{attribute} is {value}")
            self.emit(
                _Draft(
                    "comparison",
                    statement,
                    self.table_header_line(block),  # column titles are part of the statement
                    block.line_end,
                    subject,
                    hint or (entity if self.cites(block.line_start, entity) else ""),
                    concept=self.heading_concept,
                    quantity=_pick_quantity(quantities),
                )
            )

    # ---- glossary ----

    def glossary(self, block: Block) -> None:
        """One TSV row: the entry's term, full form, definition and note.

        Continuation rows (empty Terms column) repeat the entry's term in `cells` and add it to
        `context`; their Definition column is often a sub-term ("Reserved Instances") whose note
        follows, and rows with only a note continue the last sub-term.
        """
        cells = {h.strip().lower(): _strip_markup(v) for h, v in block.cells}
        term = cells.get("term", "")
        full_form = cells.get("full_form", "")
        definition = cells.get("definition", "")
        note = cells.get("note", "")
        topic = tuple(_strip_markup(c) for c in block.context)
        continuation = bool(term) and len(topic) >= 1 and topic[-1] == term
        if not continuation:
            self.glossary_entry_line = block.line_start
            self.glossary_subterm = ""
        owner_line = self.glossary_entry_line
        lines = (block.line_start, block.line_end)
        owner = term
        category = bool(_CATEGORY_TERM_RE.search(term))
        if term and full_form:
            expands = _expansion_words(_singular_short(term), _split_long_words(full_form))
            # A short-form term with a matching Full Form column is trusted ("MFA", "Multifactor
            # Authentication") even when the letters do not line up word by word.
            trusted = _is_short_form(term) and term[0].lower() == full_form[:1].lower()
            short = term if expands or trusted else ""
            first_word = term.split()[0]
            if (
                not short
                and _is_short_form(first_word)
                and _expansion_words(_singular_short(first_word), _split_long_words(full_form))
            ):
                short = first_word  # "EBS Volume" | "Elastic Block Store"
            if short:
                subject = self.glossary_subject(term, full_form, *reversed(topic))
                self.emit(
                    _Draft("acronym", _acronym_statement(short, full_form), *lines, subject, short)
                )
            elif category or continuation:
                # "Types Of Load Balancer | CLB | Classic Load Balancer ...": a sub-term.
                owner = full_form
                owner_line = block.line_start
                self.glossary_subterm, self.glossary_subterm_line = owner, owner_line
                expansion = _leading_expansion(full_form, definition)
                if expansion:
                    subject = self.glossary_subject(full_form, expansion, *reversed(topic))
                    self.emit(
                        _Draft(
                            "acronym",
                            _acronym_statement(full_form, expansion),
                            *lines,
                            subject,
                            full_form,
                        )
                    )
                    definition = definition[len(expansion) :].strip(" -–—:,;")
                    if len(_words(definition)) < 3:
                        definition = ""
            elif not definition:
                definition = full_form
        if owner == term and definition and (continuation or category) and _is_subterm(definition):
            # The Definition column names a sub-term ("Reserved Instances"); its note follows.
            label = _strip_label(definition)
            owner = _PRONOUN_CONTEXT_RE.sub(term, label, count=1)
            definition = ""
            owner_line = block.line_start if owner == label else self.glossary_entry_line
            self.glossary_subterm, self.glossary_subterm_line = owner, owner_line
            if not note:
                return  # a sub-heading row ("Routing Policy:"): the rows below carry the notes
        elif owner == term and continuation and definition and note and _has_verb(definition):
            # "To phase out old versions, use a lifecycle policy" | "Based on time …": the note
            # completes the definition cell.
            owner = _strip_label(definition)
            definition = ""
            owner_line = block.line_start
        elif owner == term and continuation and not definition and self.glossary_subterm:
            owner = self.glossary_subterm  # a note-only row continues the last sub-term
            owner_line = self.glossary_subterm_line
        elif owner == term and definition:
            self.glossary_subterm = ""
        owner = _strip_label(owner)
        if not owner or not (definition or note):
            return
        if _is_generic(owner) and term and owner != term:
            owner = f"{term} {owner.lower()}"  # "Advantages" under "Aurora DB"
            owner_line = min(owner_line, self.glossary_entry_line)
        # The subject: named by the (sub-)term, else by the row's own text, else by the entry's
        # term or the topic.
        subject = self.glossary_subject(
            owner, full_form, f"{definition} {note}", term, *reversed(topic)
        )
        # The name used for the subject, and the row it is written on.
        hint, hint_line = owner, owner_line
        if subject:
            places = (
                (owner, owner_line),
                (term, self.glossary_entry_line),
                (full_form, block.line_start),
                (definition, block.line_start),
                (note, block.line_start),
                *((t, self.section.line_start) for t in reversed(topic)),
            )
            for text, line in places:
                surface = self.surface(subject, text) if text else ""
                if surface:
                    hint, hint_line = surface, line
                    break
        first = block.line_start
        if not self.mentions(block.line_start, block.line_end, owner):
            first = min(first, owner_line)  # the (sub-)term sits on an earlier row of the entry
        if not self.mentions(first, block.line_end, hint) and hint_line >= self.section.line_start:
            first = min(first, hint_line)
        lines = (first, block.line_end)
        if definition:
            self.glossary_text(owner, definition, lines, subject, hint, defining=True)
        if note:
            for sentence in split_sentences(note):
                self.glossary_text(owner, sentence, lines, subject, hint, defining=False)

    def glossary_subject(self, *texts: str) -> str | None:
        """The service of the first text, in order, that names one."""
        for text in texts:
            subject = self.primary(text) if text else None
            if subject:
                return subject
        return None

    def glossary_text(
        self,
        owner: str,
        text: str,
        lines: tuple[int, int],
        subject: str | None,
        hint: str,
        *,
        defining: bool,
    ) -> None:
        text = _strip_markup(text)
        quantities = parse_quantity(text, port_context=self.port_context)
        if not _LETTER_RE.search(text) or _QUESTION_RE.search(text) or _TODO_RE.search(text):
            return
        if len(_words(text)) < 3 and not quantities:
            return
        lowered = text.lower()
        kind = "attribute" if quantities else "glossary"
        names_owner = owner.lower() in lowered or bool(hint and hint.lower() in lowered)
        if names_owner and _has_verb(text) and not _IS_ARE_RE.match(lowered):
            statement = text
            if defining and _DEFINITION_RE.match(text) and not quantities:
                kind = "definition"
        elif _IS_ARE_RE.match(lowered):
            statement = f"{owner} {text}"
            kind = "definition" if defining and not quantities else kind
        elif defining and _ARTICLE_START_RE.match(text):
            statement = f"{owner} is {_lower_first_word(text)}"
            kind = "definition" if not quantities else kind
        else:
            statement = f"{owner}: {_lower_first_word(text)}"
        if _USE_CASE_RE.search(text):
            kind = "use_case"
        self.emit(
            _Draft(
                kind,
                statement,
                *lines,
                subject,
                hint,
                quantity=_pick_quantity(quantities),
            )
        )


_CATEGORY_TERM_RE = re.compile(
    r"\b(?:types?|policies|options|classes|modes|methods|kinds|models|tiers|strategies)\b", re.I
)


def _is_subterm(text: str) -> bool:
    """A Definition cell that names a thing ("Spot Instances") rather than defining one."""
    words = text.split()
    if text.endswith(":") and len(words) <= 8:
        return True  # "They can be used in:" labels the note next to it
    return len(words) <= 6 and not _has_finite_verb(text) and not text.endswith(".")


def _leading_expansion(short: str, text: str) -> str:
    """The words at the start of `text` that spell out `short` ("CLB", "Classic Load ...")."""
    words = _BARE_TOKEN_RE.findall(text)[:10]
    for size in range(1, len(words) + 1):
        window = words[:size]
        if not all(w[:1].isupper() or w.lower() in _MINOR_WORDS for w in window):
            return ""
        if _expansion_words(_singular_short(short), _split_long_words(" ".join(window))):
            following = words[size] if size < len(words) else ""
            if not following[:1].isupper():
                return " ".join(window)
    return ""


_TABLE_DELIMITER_RE = re.compile(r"^\s*\|?\s*:?-{1,}:?\s*(?:\|\s*:?-{1,}:?\s*)*\|?\s*$")


_KEY_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]{4,}")
_CITED_NOISE_RE = re.compile(r"<br\s*/?>|[*_`|]")


def _is_own_text(statement: str, text: str) -> bool:
    """Is the statement just the unit's own words (re-cased and punctuated)?"""
    own = _NON_WORD_RE.sub(" ", text).strip().lower()
    return _NON_WORD_RE.sub(" ", statement).strip().lower() == own


@lru_cache(maxsize=1024)
def _short_name_pattern(short_name: str) -> re.Pattern[str]:
    """A service's short name as a whole word ("S3" but not "SSE-S3"), any case."""
    return re.compile(rf"(?<![\w-]){re.escape(short_name)}(?![\w-])", re.I)


def _heading_line_count(raw_lines: list[str]) -> int:
    """Lines the section's heading takes: one, or two for a setext or a wrapped HTML heading."""
    if len(raw_lines) < 2:
        return len(raw_lines)
    first, second = raw_lines[0], raw_lines[1]
    if _SETEXT_UNDERLINE_RE.fullmatch(second) and first.strip():
        return 2
    if _HTML_HEADING_OPEN_RE.search(first) and not _HTML_HEADING_CLOSE_RE.search(first):
        return 2
    return 1


def _normalise_for_search(text: str) -> str:
    """Lower-case without inline markup, so "**Elastic IP**" in a raw line matches "Elastic IP"."""
    return _collapse(_INLINE_MARK_RE.sub("", text).lower())


_FEATURE_COLUMN_RE = re.compile(
    r"(?:key\s+)?(?:features?|aspects?|criteri(?:a|on)|attributes?|characteristics?|propert(?:y|ies)"
    r"|dimensions?|categor(?:y|ies)|parameters?|comparison|capabilit(?:y|ies)|descriptions?"
    r"|specs?|specifications?|metrics?|items?|details?|factors?|options?|settings?)"
    r"(?:\s*/\s*(?:features?|aspects?|criteri(?:a|on)|attributes?))?",
    re.I,
)


def _acronym_statement(short: str, long_form: str) -> str:
    """ "EFS stands for Elastic File System." — or "AZ is Availability Zone." when the long form
    is too short to carry the sentence: a reader checking the cited line should find the words
    that matter, and "stands" is never in the notes."""
    long_words = [w for w in _KEY_WORD_RE.findall(long_form) if len(w) >= 6]
    if len(long_words) >= 2:
        return f"{short} stands for {long_form}."
    return f"{short} is {long_form}."


def _comparison_statement(entity: str, attribute: str, value: str) -> str | None:
    """One table cell as a sentence: "For EBS, the max IOPS is 16,000."."""
    entity = _strip_label(entity)
    attribute = _strip_label(attribute)
    value = _TRAILING_PUNCT_RE.sub("", value)
    if not entity or not value:
        return None
    if not attribute or _is_placeholder(attribute):
        return f"{entity}: {_lower_first_word(value)}"
    attribute_lower = _lower_title_words(attribute)
    lowered_value = value.lower()
    if lowered_value in _YES or lowered_value in _NO:
        return f"For {entity}, {attribute_lower}: {'yes' if lowered_value in _YES else 'no'}"
    if _starts_with_third_person_verb(value):
        return f"For {attribute_lower}, {entity} {_lower_first_word(value)}"
    if _has_verb(value) and entity.lower() in value.lower():
        return value  # "Choose QuickSight for dashboards ...": already a sentence about it
    plural = attribute.lower().endswith("s") and not attribute.lower().endswith(
        ("ss", "us", "is", "ps", "ys")
    )
    verb = "are" if plural else "is"
    return f"For {entity}, the {attribute_lower} {verb} {value}"


def _lower_title_words(text: str) -> str:
    """ "Max Throughput" -> "max throughput"; acronyms and names ("IOPS", "AWS") stay."""
    return _TITLE_CASE_WORD_RE.sub(
        lambda m: m.group(0) if m.group(0) in _PROPER_WORDS else m.group(0).lower(),
        text,
    )


_TITLE_CASE_WORD_RE = re.compile(r"\b[A-Z][a-z]+\b")


def _is_placeholder(header: str) -> bool:
    header = header.strip()
    return not header or not _LETTER_RE.search(header) or bool(_COLUMN_NUMBER_RE.fullmatch(header))


_CODE_CHARS_RE = re.compile(r"[{}\[\]\"=<>$\\;]")
_IDENTIFIER_RE = re.compile(r"^[\w*-]+:[\w*/${}:.-]+|^\w+\.\w+\(|^[a-z]+[A-Z]\w*$|^\w+_\w+$")


_MATHS_RE = re.compile(r"\\[a-z]+\{|\$\(|\d\s*[*/×]\s*\(?\d[^=]{0,20}=\s*\d")


_IDENTIFIER_HINT_RE = re.compile(r"[:_(]|\w\.\w|[a-z][A-Z]")


def _looks_like_code(text: str) -> bool:
    """JSON snippets, policy conditions, worked sums and lists of API/ARN identifiers."""
    if _MATHS_RE.search(text):
        return True
    if '{"' in text or '":' in text or text.count("{") >= 2:
        return True
    if len(_CODE_CHARS_RE.findall(text)) > max(4, len(text) // 12):
        return True
    if not _IDENTIFIER_HINT_RE.search(text):
        return False  # no ":", "_", "." or camelCase: no identifiers to count
    tokens = text.replace(",", " ").split()
    identifiers = sum(1 for token in tokens if _IDENTIFIER_RE.match(token))
    return len(tokens) >= 2 and identifiers / len(tokens) > 0.5


def _only_expansions(text: str, acronyms: list[tuple[str, str]]) -> bool:
    """Is the text just "Elastic File System (EFS)" with nothing else to say?"""
    rest = text
    for short, long_form in acronyms:
        rest = rest.replace(long_form, " ").replace(short, " ")
    rest = _EXPANSION_NOISE_RE.sub(" ", rest)
    return len(_words(rest)) < 3 and not _has_verb(rest)


def _contains_run(tokens: list[str], wanted: list[str]) -> bool:
    size = len(wanted)
    return any(tokens[i : i + size] == wanted for i in range(len(tokens) - size + 1))


class _LineLocator:
    """Narrow a sentence of a multi-line block to the lines that hold it."""

    def __init__(self, extractor: _SectionExtractor, block: Block) -> None:
        self.block = block
        self.tokens: list[tuple[str, int]] = []
        first = extractor.section.line_start
        if block.line_end > block.line_start:
            for line_no in range(block.line_start, block.line_end + 1):
                index = line_no - first
                raw = extractor.raw_lines[index] if 0 <= index < len(extractor.raw_lines) else ""
                self.tokens.extend((t, line_no) for t in _TOKEN_RE.findall(raw.lower()))
        self.cursor = 0

    def locate(self, sentence: str) -> tuple[int, int]:
        whole = (self.block.line_start, self.block.line_end)
        if not self.tokens:
            return whole
        words = _TOKEN_RE.findall(sentence.lower())
        if not words:
            return whole
        start = self._find(words[:2], self.cursor)
        if start is None:
            return whole
        end = self._find(words[-2:], start)
        if end is None:
            return whole
        self.cursor = end + len(words[-2:])
        last_index = min(end + len(words[-2:]) - 1, len(self.tokens) - 1)
        return self.tokens[start][1], self.tokens[last_index][1]

    def _find(self, wanted: list[str], begin: int) -> int | None:
        size = len(wanted)
        for index in range(begin, len(self.tokens) - size + 1):
            if all(self.tokens[index + k][0] == wanted[k] for k in range(size)):
                return index
        return None


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def extract_facts(
    section: ParsedSection, *, resolver: SubjectResolver
) -> list[tuple[FactDraft, str | None]]:
    """Fact drafts for one section, in block order, each with its service short name (or None).

    Drafts repeating an earlier statement about the same subject in the section are dropped.
    """
    drafts = _SectionExtractor(section, resolver).run()
    facts: list[tuple[FactDraft, str | None]] = []
    for draft in drafts:
        quantity = draft.quantity
        value = draft.value or (quantity.value_text if quantity else "")
        facts.append(
            (
                FactDraft(
                    kind=draft.kind,
                    statement=draft.statement,
                    line_start=draft.line_start,
                    line_end=max(draft.line_end, draft.line_start),
                    subject_hint=draft.subject_hint[:200],
                    concept=draft.concept[:200],
                    value=value[:200],
                    value_number=quantity.number_in_base_unit if quantity else None,
                    unit=quantity.unit_family if quantity else "",
                ),
                draft.subject,
            )
        )
    return facts

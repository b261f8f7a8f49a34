"""Find facts in the notes that contradict each other.

Pure Python (no Django). A question must never be keyed on a fact that another fact (in the same
file or another one) contradicts, so ingestion asks `find_conflicts` which pairs disagree:

* Numeric conflicts: two facts about the same service state different values for the same
  attribute ("data retention up to 7 days" vs "… up to 365 days"). Every quantity in a statement
  is a *claim*: a value (normalised to its unit family's base by `parse_quantity`, so 1 GB and
  1000 MB are equal; counts also carry what they count, "6 copies" vs "3 AZs"), a qualifier (max,
  min, default, range, or none; thresholds "> 5 GB", steps "in 64 MB increments" and points
  "at 1,792 MB" are never compared), and the words that say what the number is a value of, taken
  from its own clause, the label before a colon, and the row of table statements ("For io1, the
  max IOPS is 64,000"). Claims are compared only within a bucket of the same service and unit
  (a feature such as "RDS Read Replicas" is bucketed with its parent when the catalog is given),
  and only when `_same_attribute` accepts them.
* Polarity conflicts: two statements about the same service that are the same sentence once the
  negation is removed ("st1 can be a boot volume" vs "st1 cannot be a boot volume").

Precision matters more than recall: a false conflict withholds good questions, so each rule errs
on the side of "not the same attribute":

* Values within RELATIVE_TOLERANCE (8 %) are equal: "1 GiB" and "1 GB" are the same claim.
* Qualifiers must agree (max with max…); a min is never compared with a max. A range
  ("128 MB to 10 GB") is compared with a range on both ends, or by its upper end with a max.
* Words that pick one of several siblings ("GET"/"PUT", "gp2"/"io1", "Standard"/"Express",
  "per Region"/"per account") must not differ, and when each side has a word the other lacks,
  the two are taken to be different attributes.
* Two facts from the same file less than NEARBY_LINES apart are siblings of one list or table
  (Standard vs Express workflows), not a contradiction.
* Numbers the note marks as outdated ("(previously: 7 days)"), worked examples, quorums ("4 copies
  out of 6") and enumerations ("two types of …") are no claims; a value under a condition
  ("2 GB with the Extended Client Library") only meets claims under the same condition.
* Polarity needs the same subject, the same words once the negation is removed, and a ratio of
  at least POLARITY_SIMILARITY; negations inside "if/when/that…" clauses and "with or without"
  do not count.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from notes.extract import parse_quantity
from notes.linking import CatalogEntry

__all__ = ["Conflict", "FactRecord", "attribute_key", "find_conflicts"]


@dataclass(frozen=True)
class FactRecord:
    """A fact as ingestion stores it (ids are the caller's: database ids, or enumeration)."""

    id: int
    subject: str | None  # catalog short name
    concept: str
    kind: str
    statement: str
    value: str
    value_number: float | None
    unit: str
    source: str  # file name
    line_start: int


@dataclass(frozen=True)
class Conflict:
    first: int  # fact id, first < second
    second: int
    attribute: str  # what both facts state ("lambda|max memory")
    reason: str  # "7 days vs 365 days", "supported vs not supported"


# --------------------------------------------------------------------------------------------
# Tuning
# --------------------------------------------------------------------------------------------

# "1 GiB" vs "1 GB" differ by 7.4 %: the same limit written loosely, not a contradiction.
RELATIVE_TOLERANCE = 0.08
# rapidfuzz token_set_ratio two attribute bags need (after the sibling checks).
ATTRIBUTE_SIMILARITY = 85.0
# rapidfuzz ratio two statements need once their negation is removed.
POLARITY_SIMILARITY = 90.0
# Facts this close in one file belong to one list or table (siblings, not contradictions).
NEARBY_LINES = 10
# Prices change by Region and month, ports are identifiers: neither is compared.
_UNCOMPARABLE_UNITS = frozenset({"", "usd", "port"})

# --------------------------------------------------------------------------------------------
# Words
# --------------------------------------------------------------------------------------------


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Grammar, hedges, note-taking vocabulary and verbs that go with any attribute.
_STOP_WORDS = _word_set(
    """
    a an the of in on at by for from with within into onto to as is are was were be been being
    am it its this that these those there their they them you your we our us he she i my me and
    or but so if then than too very also just only even still already about approximately around
    roughly nearly almost some any all each every both either neither other another such can
    could will would should shall may might must do does did done has have had having get gets
    got getting go goes going gone make makes made set sets setting use uses used using allow
    allows allowed enable enables enabled let lets provide provides provided offer offers
    support supports supported need needs needed give gives given take takes taken keep become
    becomes include includes including create creates created automatically automatic
    configurable configured configure adjustable adjust adjusted change changed changes changing
    extend extended extends extending increase increased typically usually generally normally
    always often currently now new easy easily key feature features important importantly note
    notes overview basic basics exam focus tip tips remember know good best point points thing
    things etc ie eg ex amazon aws service services option options value values number there
    here which what when where who how why whereas while up upto down out over under between
    through via vs versus more less most least much many few period allocation allocate
    allocated setting settings configuration total overall amount available quota function
    functions resource resources limitation limitations data within
    """
)
_TIME_WORDS = _word_set("second minute hour day week month year")
# Generic attribute nouns: kept in keys for the reader ("max object size") but neutral when
# comparing, since the word next to them says which size it is.
_SOFT_WORDS = frozenset({"size"})
# Words that qualify the number rather than name the attribute. The one nearest the number wins.
_QUALIFIER_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "max",
        re.compile(
            r"\bmax(?:imum|imal)?\b|\bup\s?to\b|\bupto\b|\bat\s+most\b|\bno\s+more\s+than\b"
            r"|\blimit(?:ed)?\b|\bup\b|\bless\s+than\b|\blower\s+than\b|\bunder\b|\bbelow\b"
            r"|\bcap(?:ped)?\b|\bas\s+much\s+as\b|\bupper\b|\bhighest\b|\blargest\b"
            r"|\blongest\b|<=?|≤|^\s*(?:to|–|-)\s*$",
            re.IGNORECASE,
        ),
    ),
    (
        "min",
        re.compile(
            r"\bmin(?:imum|imal)?\b|\bat\s+least\b|\bno\s+less\s+than\b|\bstarts?\s+(?:at|with)\b"
            r"|\bas\s+low\s+as\b|\blowest\b|\bshortest\b|\bsmallest\b|\bfrom\b|≥",
            re.IGNORECASE,
        ),
    ),
    # "files > 5 GB must use multipart", "over 100 MB is recommended": a condition on the
    # number, whose consequence is elsewhere in the sentence; never compared.
    (
        "threshold",
        re.compile(
            r"\bmore\s+than\b|\bgreater\s+than\b|\blarger\s+than\b|\bbigger\s+than\b"
            r"|\bover\b|\babove\b|\bexceed(?:s|ing)?\b|\bbeyond\b|>=?",
            re.IGNORECASE,
        ),
    ),
    ("default", re.compile(r"\bdefault(?:s|ed)?\b", re.IGNORECASE)),
    ("step", re.compile(r"\bincrements?\s+of\b", re.IGNORECASE)),
    # "at 1,792 MB, a function has one vCPU": a point on a scale, not a limit.
    ("point", re.compile(r"\b(?:at|after|every|each|once)\s*$", re.IGNORECASE)),
)
_QUALIFIER_REACH = 60  # characters before the number (in its clause) a qualifier may stand
_DEFAULT_AFTER_RE = re.compile(r"^[^;,:\d]{0,30}?\bdefault\b", re.IGNORECASE)
_DEFAULT_ANYWHERE_RE = re.compile(r"\bdefault(?:s|ed)?\b", re.IGNORECASE)
_STEP_AFTER_RE = re.compile(r"^\s*(?:\(\s*)?increments?\b", re.IGNORECASE)
_QUALIFIER_TOKENS = _word_set(
    """
    max maximum maximal min minimum minimal default defaults limit limited least most upper
    lower lowest shortest smallest highest largest longest bound cap capped increment increments
    """
)
# A number the note marks as outdated ("(previously: 7 days)", "(was: 7)").
_HISTORICAL_BEFORE_RE = re.compile(
    r"\b(?:was|were|previously|formerly|used\s+to\s+be|older|earlier|originally|legacy|prior)"
    r"\b\W{0,3}$",
    re.IGNORECASE,
)
# Worked examples and calculations: their numbers are made up.
_EXAMPLE_RE = re.compile(
    r"\b(?:e\.\s?g\b|eg\b|ex\s?[-:]|examples?\b|for\s+instance\b|scenario\b|suppose\b"
    r"|imagine\b|calculat|formula\b|we\s+(?:need|write|read|have|want)\b"
    r"|round(?:ed)?\s+(?:off|up))|[=*/]\s*\d",
    re.IGNORECASE,
)
_WORD_RE = re.compile(r"[a-z][a-z0-9]*(?:[.@-][a-z0-9]+)*|\d+[a-z][a-z0-9]*")
# Words that name the same attribute.
_SYNONYMS = {
    "ram": "memory",
    "mem": "memory",
    "retain": "retention",
    "retained": "retention",
    "retaining": "retention",
    "exec": "execution",
    "time-out": "timeout",
    "disk": "storage",
    "space": "storage",
    "capacity": "storage",
    "bandwidth": "throughput",
    "lifetime": "ttl",
    "valid": "validity",
    "expiration": "validity",
    "expiry": "validity",
    "rr": "replica",
    "dc": "datacenter",
    "data-center": "datacenter",
    "zone": "az",
    "grows": "grow",
    "growth": "grow",
    "scales": "scale",
    "scaling": "scale",
}
# Words that pick one of several siblings of the same kind. Bags that differ in one of these
# are about different things ("GET" vs "PUT", "gp2" vs "io1", "Standard" vs "Express").
_SIBLING_RE = re.compile(
    r"^(?:[a-z]{1,4}\d[a-z0-9.]*|get|put|post|head|delete|copy|read|write|in|out|inbound"
    r"|outbound|ingress|egress|standard|express|expedited|bulk|classic|enhanced|fifo|free"
    r"|advanced|detailed|sla|designed|soft|hard|hot|warm|cold|archive|deep|instant|flexible"
    r"|provisioned|on-demand|ondemand|reserved|unreserved|spot|dedicated|burst|baseline"
    r"|sustained|global|regional|edge|private|public|primary|secondary|master|mysql|postgres"
    r"|postgresql|oracle|sqlserver|mariadb|aurora|redis|memcached|windows|linux|lustre|ontap"
    r"|openzfs|viewer|origin|sync|async|synchronous|asynchronous|single|multi|cross|zonal"
    r"|compressed|uncompressed|zipped|unzipped|zip|image|request|response|payload|upload|download"
    r"|multipart|multi-part|lsi|gsi|transaction|transactional|strongly|eventually|strong"
    r"|eventual|consistent|wcu|rcu|iop|throughput|latency|memory|storage|cpu|vcpu|network"
    r"|batch|item|object|message|record|shard|prefix|bucket|table|queue|topic|layer|package"
    r"|deployment|concurrency|concurrent|visibility|polling|wait|delay|retention|timeout"
    r"|validity|ttl|durability|availability|cost|price|discount|count|replica|copy"
    r"|lag|failover|recovery|rto|rpo|backup|snapshot|restore|retrieval|transition|minimum"
    r"|first|last|lower|higher|cheaper|faster|slower|recommended|required|mandatory|optional)$"
)


def _stem(word: str) -> str:
    """Plural → singular, enough to make "replicas"/"replica" and "policies"/"policy" equal."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "os")):
        return word[:-1]
    return word


def _normal_word(token: str) -> str:
    token = _SYNONYMS.get(token, token)
    stemmed = _stem(token)
    return _SYNONYMS.get(stemmed, stemmed)


@lru_cache(maxsize=4096)
def _name_tokens(names: tuple[str, ...]) -> frozenset[str]:
    """Words of a service's names: "Kinesis Data Streams" is the subject, not an attribute."""
    tokens: set[str] = set()
    for name in names:
        for word in _WORD_RE.findall(name.casefold()):
            tokens.update({word, _stem(word), _normal_word(word)})
    return frozenset(tokens)


@dataclass(frozen=True)
class _Catalog:
    """What conflict detection needs from the service catalog: every entry's names (so they are
    not taken for attribute words) and its parent (so a feature's facts are compared with its
    service's: "RDS Read Replicas: up to 15 replicas" vs "RDS: up to 5 read replicas")."""

    names: Mapping[str, tuple[str, ...]]
    parents: Mapping[str, str]

    @classmethod
    def build(cls, entries: Iterable[CatalogEntry] | None) -> _Catalog:
        names: dict[str, tuple[str, ...]] = {}
        parents: dict[str, str] = {}
        for entry in entries or ():
            names[entry.short_name] = (
                entry.short_name,
                entry.name,
                *entry.aliases,
                *entry.former_names,
            )
            if entry.parent:
                parents[entry.short_name] = entry.parent
        return cls(names, parents)

    def group(self, subject: str) -> str:
        """The service a subject's facts are compared under: a feature's parent, else itself."""
        return self.parents.get(subject, subject)

    def name_tokens(self, subject: str) -> frozenset[str]:
        return _name_tokens(self.names.get(subject, (subject,)))

    def feature_words(self, subject: str) -> tuple[frozenset[str], ...]:
        """For a feature, the attribute words of each of its names, without its parent's names
        ("RDS Read Replicas" → {"replica"}; "EBS Provisioned IOPS SSD" → …, {"io1"}, {"io2"})."""
        group = self.group(subject)
        if group == subject:
            return ()
        ignore = self.name_tokens(group)
        alternatives = {
            frozenset(_content_words(name, ignore)) for name in self.names.get(subject, (subject,))
        }
        return tuple(sorted((words for words in alternatives if words), key=sorted))


_NO_CATALOG = _Catalog({}, {})


def _catalog_for(entries: Iterable[CatalogEntry] | None) -> _Catalog:
    if entries is None:
        return _NO_CATALOG
    return _cached_catalog(tuple(entries))


@lru_cache(maxsize=4)
def _cached_catalog(entries: tuple[CatalogEntry, ...]) -> _Catalog:
    return _Catalog.build(entries)


def _content_words(text: str, ignore: frozenset[str]) -> list[str]:
    """Normalised attribute words of `text`, in order, without duplicates.

    "per Region" becomes the single token "per:region" (and "account-wide" "per:account"): the
    scope of a limit is part of the attribute.
    """
    words: list[str] = []
    tokens = _WORD_RE.findall(text.casefold())
    position = 0
    while position < len(tokens):
        token = tokens[position]
        position += 1
        if token in {"per", "each", "every", "a"} and position < len(tokens):
            scope = _normal_word(tokens[position])
            # "a" only reads as "per" before a time unit ("3,000 messages a second").
            is_scope = token != "a" or scope in _TIME_WORDS
            if is_scope and scope not in _STOP_WORDS and not scope[:1].isdigit():
                words.append(f"per:{scope}")
                position += 1
                continue
        if token.endswith("-wide"):
            words.append(f"per:{token[:-5]}")
            continue
        if token == "read" and position < len(tokens) and tokens[position].startswith("replica"):
            continue  # "read replicas" are the replicas
        if token[:1].isdigit() or len(token) < 2:
            continue
        if token in _STOP_WORDS or token in _QUALIFIER_TOKENS or token in ignore:
            continue
        word = _normal_word(token)
        if word in _STOP_WORDS or word in _QUALIFIER_TOKENS or word in ignore:
            continue
        if _is_unit_word(word):
            continue  # the unit family is compared anyway
        if word not in words:
            words.append(word)
    return words


_UNIT_WORD_RE = re.compile(
    r"^(?:[kmgtpe]i?b|[kmgt]bps|bytes?|bits?|ms|sec|secs|seconds?|mins?|minutes?|hours?|hrs?"
    r"|days?|weeks?|months?|years?|yrs?|percent|nines?|9s|gb/s|mb/s|kb/s)$"
)


def _is_unit_word(word: str) -> bool:
    return bool(_UNIT_WORD_RE.match(word))


# --------------------------------------------------------------------------------------------
# Claims: one per quantity in a statement
# --------------------------------------------------------------------------------------------

_BINARY_PREFIXES = {"kibi": "KiB", "mebi": "MiB", "gibi": "GiB", "tebi": "TiB", "pebi": "PiB"}
_TEXT_FIXES: tuple[tuple[re.Pattern[str], str], ...] = (
    # "99,99%" is a decimal comma, not a thousands separator.
    (re.compile(r"(\d),(\d{1,2})(?=\s?%)"), r"\1.\2"),
    # "14d", "4d", "12h": unit letters the quantity parser does not read on their own.
    (re.compile(r"\b(\d+(?:\.\d+)?)\s?d\b"), r"\1 days"),
    (re.compile(r"\b(\d+(?:\.\d+)?)h\b"), r"\1 hours"),
    # "between 0s and 12h" is a range the quantity parser reads as "0s to 12h".
    (
        re.compile(r"\bbetween\s+(\d[\d.,]*\s?[A-Za-z%]*)\s+(?:and|to|-)\s+(?=\d)", re.I),
        r"\1 to ",
    ),
    # "11x9", "4x9": nines of durability or availability.
    (re.compile(r"\b(\d{1,2})\s?x\s?9(?:'?s)?\b", re.IGNORECASE), r"\1 nines"),
)
_BINARY_WORD_RE = re.compile(r"\b(\d+(?:\.\d+)?)\s?(kibi|mebi|gibi|tebi|pebi)bytes?\b", re.I)
# Where a clause ends: the words around a number describe it only up to these.
_CLAUSE_BREAK_RE = re.compile(
    r"[;()\[\]!?]|,(?!\d{3})|\.(?=\s|$)|\s[-–—]\s|\s(?:and|while|whereas|but|vs\.?|versus|or)\s"
    r"|\s(?:=>|->|→)\s",
    re.IGNORECASE,
)
_LABEL_BREAK_RE = re.compile(r":(?!//)")
_PARENTHESES_RE = re.compile(r"\([^()]*\)")
# "For io1, the max IOPS is 64,000.": the extractor's sentence for one table cell.
_TABLE_CELL_RE = re.compile(
    r"^For (?P<entity>[^,]{1,80}), the (?P<attribute>.{1,80}?) (?:is|are) (?P<value>.+)$"
)
# After the number: "of RAM", "per message", "per second per prefix".
_RIGHT_PHRASE_RE = re.compile(
    r"^\s*(?:(?:of|per|/|each|a)\s+[A-Za-z][\w/-]*(?:\s+[A-Za-z][\w-]*)?\s*){1,3}"
)
# "2 GB with the Extended Client Library": a value that holds only under a condition.
_CONDITION_RE = re.compile(
    r"^[^;,():]{0,30}?\b(?P<keyword>with|using|via|if|when|unless|after|once|for|on)\b",
    re.IGNORECASE,
)
# "4 copies out of 6": a quorum, not a value of anything.
_RATIO_AFTER_RE = re.compile(r"^\s*(?:\w+\s+)?(?:out\s+of|of\s+the|/\s*\d)", re.IGNORECASE)
_NUMBER_WORDS = _word_set(
    """
    one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty sixty
    hundred hundreds thousand thousands million millions billion trillion k
    """
)
# Counted nouns that enumerate ("two types of …") rather than measure.
_ENUMERATION_NOUNS = _word_set(
    """
    type kind way method category option mode class tier level step flavor flavour pillar
    variant model approach strategy component part piece thing feature pattern function benefit
    advantage reason factor command main
    """
)


@dataclass(frozen=True)
class _Claim:
    fact: FactRecord
    number: float
    low: float | None  # a range's lower bound
    unit: str
    qualifier: str  # "max" | "min" | "default" | "step" | ""
    words: tuple[str, ...]  # attribute words, text order
    value_text: str
    entity: frozenset[str] = frozenset()  # a table row's own words ("io1", "lambda@edge")
    group: str = ""  # the service compared under (a feature's parent)
    feature: tuple[frozenset[str], ...] = ()  # a feature subject's words (any of its names)

    @property
    def label(self) -> str:
        return " ".join(((self.qualifier,) if self.qualifier else ()) + self.words)


def _fix_text(statement: str) -> str:
    text = _BINARY_WORD_RE.sub(
        lambda m: f"{m.group(1)} {_BINARY_PREFIXES[m.group(2).lower()]}", statement
    )
    for pattern, replacement in _TEXT_FIXES:
        text = pattern.sub(replacement, text)
    return text


def _locate(text: str, value_text: str, start: int) -> tuple[int, int] | None:
    """Where the parser's `value_text` sits in `text` (it may borrow a unit: "1 & 3 years")."""
    index = text.find(value_text, start)
    if index >= 0:
        return index, index + len(value_text)
    number = re.match(r"\$?\s?[\d.,]+", value_text)
    if number:
        digits = number.group(0).strip()
        index = text.find(digits, start)
        if index >= 0:
            return index, index + len(digits)
    return None


def _clauses(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _CLAUSE_BREAK_RE.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def _nearest_qualifier(text: str) -> str:
    best, best_end = "", -1
    for name, pattern in _QUALIFIER_PATTERNS:
        for match in pattern.finditer(text):
            if match.end() > best_end:
                best, best_end = name, match.end()
    return best


def _qualifier(before: str, after: str, fallback: str, sentence: str = "") -> str:
    """max / min / default / step from the words next to the number, else from `fallback`
    (the label or table column: "Max execution time: 900 s")."""
    if _DEFAULT_AFTER_RE.search(after):
        return "default"
    if _STEP_AFTER_RE.search(after):
        return "step"
    near = _nearest_qualifier(before[-_QUALIFIER_REACH:])
    if near:
        return near
    # "By default, the visibility timeout is set to 30 seconds": no other number in between.
    defaults = list(_DEFAULT_ANYWHERE_RE.finditer(sentence))
    if defaults and not re.search(r"\d", sentence[defaults[-1].end() :]):
        return "default"
    return _nearest_qualifier(fallback)


def _claims(fact: FactRecord, catalog: _Catalog = _NO_CATALOG) -> list[_Claim]:
    """Every quantity the statement asserts, with the words that say what it is a value of."""
    if not fact.subject or _EXAMPLE_RE.search(fact.statement):
        return []
    group = catalog.group(fact.subject)
    # A feature keeps its own words ("replicas" of "RDS Read Replicas"): only the service's
    # names are not attribute words.
    ignore = catalog.name_tokens(group)
    if group == fact.subject:
        ignore = ignore | _name_tokens((fact.subject,))
    feature = catalog.feature_words(fact.subject)
    text = _fix_text(fact.statement).rstrip(". ")
    base: list[str] = []
    entity: frozenset[str] = frozenset()
    offset = 0
    cell = _TABLE_CELL_RE.match(text)
    if cell:
        # "For /tmp storage, the limit is 512 MB": the row and the column name the attribute.
        entity = frozenset(_content_words(_PARENTHESES_RE.sub(" ", cell["entity"]), ignore))
        base = _content_words(f"{cell['entity']} {cell['attribute']}", ignore)
        offset = cell.start("value")
    clauses = _clauses(text)
    # The whole text is parsed (a table cell's bare "64,000" is a count after "max IOPS is"),
    # but only the quantities of the value are claims.
    quantities = parse_quantity(text)
    spans: list[tuple[int, int]] = []
    cursor = 0
    for quantity in quantities:
        span = _locate(text, quantity.value_text, cursor) or (-1, -1)
        spans.append(span)
        cursor = max(cursor, span[1])
    claims: list[_Claim] = []
    for quantity, (start, end) in zip(quantities, spans, strict=True):
        if start < offset or quantity.unit_family in _UNCOMPARABLE_UNITS:
            continue
        if _HISTORICAL_BEFORE_RE.search(text[max(0, start - 30) : start]):
            continue
        if _RATIO_AFTER_RE.match(text[end:]):
            continue
        clause_index = next(i for i, (a, b) in enumerate(clauses) if a <= start <= b)
        clause_start, clause_end = clauses[clause_index]
        unit = quantity.unit_family
        if unit == "count":
            # Counts of different things are different units: "6 copies" vs "3 AZs".
            noun = _count_noun(quantity.value_text, text[end:clause_end])
            if noun in _ENUMERATION_NOUNS:
                continue  # "two types of …" enumerates, it measures nothing
            unit = f"count:{noun}"
        colons = [m.end() for m in _LABEL_BREAK_RE.finditer(text, offset, start)]
        label_end = colons[-1] if colons else offset
        # The label's own numbers ("6 copies of data across 3 AZ: …") are not attribute words.
        label = _without_spans(text, offset, label_end, spans) if cell is None else ""
        own_start = max(clause_start, label_end)
        before = text[own_start:start]
        after = text[end:clause_end]
        # "2 GB with the Extended Client Library", "140 bytes for SMS": the value holds under a
        # condition; its words become "+sms" tokens that must match the other claim's.
        condition = _CONDITION_RE.match(after)
        measured = after[: condition.start("keyword")] if condition else after
        near = _content_words(f"{before} {_counted_noun(quantity.value_text, measured)}", ignore)
        if condition:
            near += [f"+{w}" for w in _content_words(after[condition.end() :], ignore)]
        if not near:
            near = _inherited_words(text, clauses[:clause_index], label_end, ignore)
        # A feature's own name words ("st1", "throughput optimized") are attribute words of
        # every claim about it, however the note names it.
        feature_words = [word for words in feature for word in sorted(words)]
        words = list(dict.fromkeys(base + _content_words(label, ignore) + near + feature_words))
        if not words:
            continue
        fallback = f"{cell['attribute'] if cell else ''} {label}"
        sentence = text[_sentence_start(text, label_end, start) : start]
        qualifier = _qualifier(before, text[end:], fallback, sentence)
        low = quantity.low_in_base_unit
        if low is not None and qualifier not in {"default", "step"}:
            qualifier = "range"
        claims.append(
            _Claim(
                fact=fact,
                number=quantity.number_in_base_unit,
                low=low if qualifier == "range" else None,
                unit=unit,
                qualifier=qualifier,
                words=tuple(words),
                value_text=" ".join(quantity.value_text.split()),
                entity=entity,
                group=group,
                feature=feature,
            )
        )
    return claims


# The words right after a number, up to a preposition or punctuation: what it counts.
_COUNTED_NOUN_RE = re.compile(
    r"^\s*((?:[A-Za-z][\w/-]*\s*){1,3}?)"
    r"(?=\b(?:of|for|in|on|at|to|with|by|from|per|across|within|that|which|and|or)\b"
    r"|[^\w\s/-]|$)"
)


def _count_noun(value_text: str, after: str) -> str:
    """What a count counts: "5 read replicas" → "replica", "3 AZ" → "az", "15" → ""."""
    phrase = _counted_noun(value_text, after).split(" of ")[0].split(" per ")[0]
    nouns = [
        _normal_word(word)
        for word in _WORD_RE.findall(phrase.casefold())
        if word not in _NUMBER_WORDS and word not in _STOP_WORDS
    ]
    return nouns[-1] if nouns else ""


def _sentence_start(text: str, label_end: int, start: int) -> int:
    """Where the sentence holding `start` begins (after the label, after the last "; " or ". ")."""
    breaks = [m.end() for m in re.finditer(r";|\.\s", text[label_end:start])]
    return label_end + (breaks[-1] if breaks else 0)


def _without_spans(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> str:
    """text[start:end] with the quantities in it blanked out."""
    piece = list(text[start:end])
    for span_start, span_end in spans:
        for index in range(max(span_start, start), min(span_end, end)):
            piece[index - start] = " "
    return "".join(piece)


def _counted_noun(value_text: str, after: str) -> str:
    """What the number counts or measures: its unit words plus the words after it up to a
    preposition ("5 read replicas of an instance" → "read replicas"), and "of RAM",
    "per message" phrases."""
    number_part = re.match(r"[\d.,\s$kK~<>–-]*", value_text)
    unit_words = value_text[number_part.end() if number_part else 0 :]
    noun = _COUNTED_NOUN_RE.match(after)
    right = _RIGHT_PHRASE_RE.match(after[noun.end() :] if noun else after)
    parts = (unit_words, noun.group(1) if noun else "", right.group(0) if right else "")
    return " ".join(parts)


def _inherited_words(
    text: str, previous_clauses: list[tuple[int, int]], label_end: int, ignore: frozenset[str]
) -> list[str]:
    """ "…, up to 14 days": the attribute was named by the clause before this one (not across a
    ";", which separates the items of a list)."""
    for start, end in reversed(previous_clauses):
        if end <= label_end or text[end : end + 1] == ";":
            break
        words = _content_words(
            re.sub(r"\d[\d.,]*\s*\S*", " ", text[max(start, label_end) : end]), ignore
        )
        if words:
            return words
    return []


def _main_claim(fact: FactRecord, catalog: _Catalog) -> _Claim | None:
    """The claim for the fact's own value (`value_number`), else its first claim."""
    claims = _claims(fact, catalog)
    if not claims:
        return None
    if fact.value_number is not None:
        for claim in claims:
            if _same_number(claim.number, fact.value_number):
                return claim
    return claims[0]


def attribute_key(fact: FactRecord, *, catalog: Iterable[CatalogEntry] | None = None) -> str | None:
    """What the fact states a value of, normalised: "subject|qualifier attribute words".

    For a fact with a comparable quantity the key names the attribute of its main value
    ("s3|max object size", "ebs|max io1 iop"); for a fact without one, the key is the claim
    with its negation removed ("ebs|hdd volume boot"), which is what polarity conflicts compare.
    None when the fact has no subject or nothing comparable. With the `catalog`, a service's
    aliases are not attribute words either (as in `find_conflicts`).
    """
    if not fact.subject:
        return None
    index = _catalog_for(catalog)
    claim = _main_claim(fact, index)
    if claim is not None:
        return f"{fact.subject.casefold()}|{claim.label}"
    key = _polarity_key(fact, index)
    return None if key.endswith("|") else key


def _polarity_key(fact: FactRecord, catalog: _Catalog) -> str:
    """ "subject|words of the statement without its negation" ("ebs|hdd volume boot")."""
    subject = fact.subject or ""
    ignore = catalog.name_tokens(subject) | _name_tokens((subject,))
    words = _content_words(_remove_negation(fact.statement), ignore)
    return f"{subject.casefold()}|{' '.join(words)}"


# --------------------------------------------------------------------------------------------
# Comparing claims
# --------------------------------------------------------------------------------------------


def _same_number(a: float, b: float) -> bool:
    return abs(a - b) <= RELATIVE_TOLERANCE * max(abs(a), abs(b)) + 1e-9


def _same_attribute(a: _Claim, b: _Claim) -> bool:
    """Do two claims (same subject and unit) state a value of the same attribute?

    They must share an attribute word; the words only one of them has must not pick a sibling
    ("GET" vs "PUT", "io1", "Express", "MySQL"); and when *each* has words the other lacks,
    they are taken to describe different things.
    """
    if a.fact.subject != b.fact.subject:  # same group: a feature and its service, or two features
        # Two features of one service (st1 vs sc1) are different things; a feature and its
        # service are compared only when the service's fact names the feature.
        if a.feature and b.feature:
            return False
        feature, other = (a.feature, b) if a.feature else (b.feature, a)
        if not any(words <= set(other.words) for words in feature):
            return False
    return _same_words(frozenset(a.words), a.entity, frozenset(b.words), b.entity)


@lru_cache(maxsize=65536)
def _same_words(
    words_a: frozenset[str],
    entity_a: frozenset[str],
    words_b: frozenset[str],
    entity_b: frozenset[str],
) -> bool:
    # A table row names its own thing ("Lambda@Edge", "io1"): the other fact must name it too.
    if entity_a and entity_b and entity_a != entity_b:
        return False
    if not entity_a <= words_b or not entity_b <= words_a:
        return False
    words_a, words_b = words_a - _SOFT_WORDS, words_b - _SOFT_WORDS
    shared = {word for word in words_a & words_b if not word.startswith("per:")}
    if not shared:
        return False
    only_a, only_b = words_a - words_b, words_b - words_a
    scopes_a, scopes_b = _scopes(only_a), _scopes(only_b)
    if scopes_a and scopes_b:
        return False  # per Region vs per account
    only_a, only_b = only_a - scopes_a, only_b - scopes_b
    if any(word.startswith("+") or _SIBLING_RE.match(word) for word in only_a | only_b):
        return False
    if only_a and only_b:
        return False
    if len(only_a) + len(only_b) > max(2, len(shared)):
        return False
    score = fuzz.token_set_ratio(" ".join(sorted(words_a)), " ".join(sorted(words_b)))
    return score >= ATTRIBUTE_SIMILARITY


def _scopes(words: Iterable[str]) -> set[str]:
    return {word for word in words if word.startswith("per:")}


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def _comparable(a: _Claim, b: _Claim) -> bool:
    """max with max, min with min, default with default, range with range; a bare value reads
    as a limit (max); a range's upper end meets a max, its lower end a min. Never a min with a
    max, and thresholds, steps and points with nothing."""
    if a.qualifier == b.qualifier:
        return a.qualifier not in {"step", "point", "threshold"}
    pair = {a.qualifier, b.qualifier}
    return pair <= {"range", "max", ""} or pair == {"range", "min"}


def _values_differ(a: _Claim, b: _Claim) -> bool:
    if a.low is not None and b.low is not None:
        return not (_same_number(a.low, b.low) and _same_number(a.number, b.number))
    if a.low is not None and b.qualifier == "min":
        return not _same_number(a.low, b.number)
    if b.low is not None and a.qualifier == "min":
        return not _same_number(a.number, b.low)
    return not _same_number(a.number, b.number)


def _nearby(a: FactRecord, b: FactRecord) -> bool:
    return a.source == b.source and abs(a.line_start - b.line_start) < NEARBY_LINES


def _numeric_conflicts(
    facts: list[FactRecord], catalog: _Catalog
) -> Iterator[tuple[_Claim, _Claim]]:
    buckets: dict[tuple[str, str], list[_Claim]] = defaultdict(list)
    normalised: dict[int, str] = {}
    for fact in facts:
        for claim in _claims(fact, catalog):
            buckets[(claim.group, claim.unit)].append(claim)
            normalised[fact.id] = _norm(fact.statement)
    for claims in buckets.values():
        # Only claims sharing a word are compared: near-linear for real notes.
        by_word: dict[str, list[int]] = defaultdict(list)
        for index, claim in enumerate(claims):
            for word in claim.words:
                by_word[word].append(index)
        for index, claim in enumerate(claims):
            candidates: set[int] = set()
            for word in claim.words:
                candidates.update(i for i in by_word[word] if i > index)
            for other_index in sorted(candidates):
                other = claims[other_index]
                if not _comparable(claim, other) or not _values_differ(claim, other):
                    continue
                if other.fact.id == claim.fact.id or _nearby(claim.fact, other.fact):
                    continue
                if normalised[other.fact.id] == normalised[claim.fact.id]:
                    continue  # one statement copied into two files cannot contradict itself
                if _same_attribute(claim, other):
                    yield claim, other


def _conflict_attribute(a: _Claim, b: _Claim) -> str:
    shared = [word for word in a.words if word in set(b.words)]
    qualifier = a.qualifier if a.qualifier == b.qualifier else "max"
    qualifier = "" if qualifier == "range" else qualifier
    label = " ".join(([qualifier] if qualifier else []) + shared)
    return f"{a.group.casefold()}|{label}"


# --------------------------------------------------------------------------------------------
# Polarity
# --------------------------------------------------------------------------------------------

_NEGATION_RE = re.compile(
    r"\b(?:can\s?not\b|can't\b|cant\b"
    r"|(?:is|are|was|were|does|do|did|has|have|will|would|should|could|must)(?:\s+not|n't|nt)\b"
    r"|not\b(?!\s+(?:applicable|only|just|necessarily|always))|never\b|no\s+longer\b"
    r"|no\b(?!\s+(?:matter|longer))|without\b|unsupported\b|disabled\b|unencrypted\b)",
    re.IGNORECASE,
)
_NEGATION_REPLACEMENTS = {
    "unsupported": "supported",
    "disabled": "enabled",
    "unencrypted": "encrypted",
    "without": "with",
}
_AUXILIARY_RE = re.compile(r"^(is|are|was|were|does|do|did|has|have|will|would|should|could|must)")
# A table cell's verdict: "For NLB, WebSocket support: no".
_VERDICT_RE = re.compile(r":\s*(yes|no|true|false|supported|not supported)\W*$", re.IGNORECASE)
# Negations inside these clauses do not negate the statement ("… if Multi-AZ is not enabled").
_SUBORDINATE_RE = re.compile(
    r"\b(?:if|unless|when|whether|that|which|who|where|until|before|after|because|since|so)\b"
    r"[^,;:.]*",
    re.IGNORECASE,
)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'"})


# "with or without Cognito", "whether or not": both ways, no negation.
_BOTH_WAYS_RE = re.compile(r"\bwith or without\b|\bor not\b", re.IGNORECASE)


def _remove_negation(statement: str) -> str:
    def positive(match: re.Match[str]) -> str:
        word = " ".join(match.group(0).casefold().split())
        if word in _NEGATION_REPLACEMENTS:
            return _NEGATION_REPLACEMENTS[word]
        if word.startswith("can"):
            return "can"
        auxiliary = _AUXILIARY_RE.match(word)
        return auxiliary.group(1) if auxiliary else " "

    text = _BOTH_WAYS_RE.sub(" ", statement.translate(_APOSTROPHES))
    text = _VERDICT_RE.sub(" ", text)
    return _NEGATION_RE.sub(positive, text)


def _is_negated(statement: str) -> bool:
    """Odd number of main-clause negations, or a "no" verdict."""
    return len(_negations(statement)) % 2 == 1


def _negations(statement: str) -> list[str]:
    """The main-clause negation words of a statement ("can't", "not", a "no" verdict)."""
    text = _BOTH_WAYS_RE.sub(" ", statement.translate(_APOSTROPHES))
    verdict = _VERDICT_RE.search(text)
    main = _SUBORDINATE_RE.sub(" ", _VERDICT_RE.sub(" ", text))
    words = [" ".join(m.group(0).casefold().split()) for m in _NEGATION_RE.finditer(main)]
    if verdict and verdict.group(1).casefold() in {"no", "false", "not supported"}:
        words.append(verdict.group(1).casefold())
    return words


def _polarity_text(statement: str) -> str:
    """The statement without negation, auxiliaries or inflection, for comparison."""
    words = _WORD_RE.findall(_remove_negation(statement).casefold())
    kept = [_stem(w) for w in words if w not in {"do", "does", "did", "apply", "applies"}]
    return " ".join(kept)


def _polarity_words(statement: str) -> frozenset[str]:
    return frozenset(w for w in _polarity_text(statement).split() if w not in _STOP_WORDS)


_MIN_POLARITY_WORDS = 3  # "Not supported." alone says nothing comparable


def _polarity_conflicts(facts: list[FactRecord]) -> Iterator[tuple[FactRecord, FactRecord]]:
    """(affirming fact, negating fact) pairs: same subject, same words once the negation is
    removed, close in wording (ratio ≥ POLARITY_SIMILARITY), opposite polarity. Linear: facts
    are grouped by (subject, word set) first."""
    groups: dict[
        tuple[str, frozenset[str]],
        tuple[list[tuple[FactRecord, str]], list[tuple[FactRecord, str]]],
    ] = defaultdict(lambda: ([], []))
    for fact in facts:
        if not fact.subject or _EXAMPLE_RE.search(fact.statement):
            continue
        if _BOTH_WAYS_RE.search(fact.statement):
            continue  # "with or without X" affirms both: it contradicts neither
        text = _polarity_text(fact.statement)
        words = frozenset(word for word in text.split() if word not in _STOP_WORDS)
        if len(words) < _MIN_POLARITY_WORDS:
            continue
        positive, negative = groups[(fact.subject, words)]
        (negative if _is_negated(fact.statement) else positive).append((fact, text))
    for positive, negative in groups.values():
        for no, no_text in negative:
            for yes, yes_text in positive:
                if not _nearby(yes, no) and fuzz.ratio(no_text, yes_text) >= POLARITY_SIMILARITY:
                    yield yes, no


def _polarity_reason(first: FactRecord, second: FactRecord) -> str:
    """What differs, from the first fact's side: "can vs cannot", "is not vs is", "yes vs no"."""
    first_words, second_words = _negations(first.statement), _negations(second.statement)
    only_first = [w for w in first_words if w not in second_words]
    only_second = [w for w in second_words if w not in first_words]

    def affirmative(negation: str) -> str:
        if negation in {"no", "false", "not supported"}:
            return {"no": "yes", "false": "true"}.get(negation, "supported")
        return _remove_negation(negation).strip() or "affirmed"

    first_label = (
        only_first[0] if only_first else affirmative(only_second[0]) if only_second else "affirmed"
    )
    second_label = (
        only_second[0] if only_second else affirmative(only_first[0]) if only_first else "negated"
    )
    return f"{first_label} vs {second_label}"


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def find_conflicts(
    facts: Iterable[FactRecord], *, catalog: Iterable[CatalogEntry] | None = None
) -> list[Conflict]:
    """Pairs of facts that contradict each other: one `Conflict` per pair, sorted by ids.

    With the service `catalog` (`notes.linking.load_catalog` or the database's entries), a
    service's names and aliases are not taken for attribute words, and a feature's facts are
    compared with its parent service's ("RDS Read Replicas" with "RDS"); without it, only
    facts with the same subject are compared and only the short name is ignored.
    """
    fact_list = list(facts)
    index = _catalog_for(catalog)
    found: dict[tuple[int, int], Conflict] = {}
    for a, b in _numeric_conflicts(fact_list, index):
        first, second = (a, b) if a.fact.id < b.fact.id else (b, a)
        pair = (first.fact.id, second.fact.id)
        if pair not in found:
            found[pair] = Conflict(
                first=pair[0],
                second=pair[1],
                attribute=_conflict_attribute(first, second),
                reason=f"{first.value_text} vs {second.value_text}",
            )
    for positive, negative in _polarity_conflicts(fact_list):
        pair = (min(positive.id, negative.id), max(positive.id, negative.id))
        if pair in found:
            continue
        first, second = (positive, negative) if pair[0] == positive.id else (negative, positive)
        found[pair] = Conflict(
            first=pair[0],
            second=pair[1],
            attribute=_polarity_key(positive, index),
            reason=_polarity_reason(first, second),
        )
    return sorted(found.values(), key=lambda conflict: (conflict.first, conflict.second))

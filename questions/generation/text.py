"""Text helpers for the generator: tokens, normalisation, quantities, and statement hygiene."""

from __future__ import annotations

import math
import re
from functools import lru_cache

from notes.extract import parse_quantity

__all__ = [
    "MARKUP_TOKENS",
    "content_tokens",
    "format_quantity",
    "has_markup",
    "normalise",
    "parse_value",
    "sentence",
    "stem_word",
]

MARKUP_TOKENS = ("**", "](", "<br", "<a ", "↖", "`", "|", "TODO")


def word_list(text: str) -> list[str]:
    """Whitespace-separated words: keeps the long vocabularies below readable."""
    return text.split()


_WORD_RE = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_SPACE_RE = re.compile(r"\s+")

# Grammar, note-taking vocabulary, and the boilerplate of our own stems: none says what a
# requirement is about.
STOP_WORDS = frozenset(
    word_list(
        """a an the of in on at by for from with within into onto to as is are was were be been
        being am it its this that these those there their they them you your we our us he she i
        my me one and or but so if then than too very also just only even still already about
        approximately around roughly nearly almost some any all each every both either neither
        other another such can could will would should shall may might must do does did done has
        have had having get gets got getting go goes going make makes made let lets lot lots
        which what when where who whom how why whereas while not no yes up down out over under
        between through via vs versus per more less most least much many few eg ie etc e g i
        amazon aws service services company companies solution solutions architect architects
        need needs needed require requires required requirement requirements meet meets choose
        chosen recommend recommended best option options correct statement statements following
        true false wants want use used using uses easy easily simple simply fully quickly way
        ways help helps helped allow allows allowed enable enables enabled provide provides
        provided offer offers offered support supports supported let lets able ability new key
        main type types like well based typically usually generally often always automatically
        additional different specific feature features capability capabilities tool tools"""
    )
)

# Words of service names that are ordinary vocabulary: a stem may say "file system" for Amazon
# EFS. Every other word of a name ("Kinesis", "Lambda", "Redshift") gives the answer away.
GENERIC_NAME_WORDS = frozenset(
    word_list(
        """amazon aws service services elastic compute cloud simple storage store file files system
        systems block queue queues notification notifications email database databases
        relational container containers registry kubernetes load balancer balancing balancers
        gateway gateways api apis virtual private network networks firewall manager management
        key keys certificate certificates directory identity access center control policy
        policies security group groups user users role roles pool pools instance instances
        volume volumes snapshot snapshots backup backups data stream streams streaming analytics
        application applications app apps for on of the and to a web hosted zone zones zonal dns
        endpoint endpoints connection connections transit peering route routes table tables flow
        flows log logs logging event events bus schema message messages messaging function
        functions step steps machine learning recovery disaster migration migrate transfer
        family server servers discovery hub edge functions origin signed url urls price classes
        class geo restriction alarms metrics dashboards dashboard agent insights standard
        infrequent one express reduced redundancy retrieval instant flexible deep archive access
        point points batch operations replication requester pays event object objects lifecycle
        versioning delete multi part upload inventory general purpose provisioned iops ssd hdd
        throughput optimized cold fast restore recycle bin tape file windows netapp lustre
        openzfs ontap vault lock spot fleet reserved savings plans plan dedicated hosts host
        capacity reservation reservations demand hibernate hibernation launch template templates
        configuration configurations placement id ids elastic ip address interface interfaces
        nat internet egress only direct customer client vpn global accelerator resolver read
        replica replicas global secondary local index indexes indices serverless proxy streams
        accelerator open source search cache caching memory time series ledger quantum document
        graph wide column keyspaces dead letter delay long polling fifo topic topics pub sub
        workflow workflows mq email notification contact connect routing organizations
        organization organizational units unit tag tags catalog rules rule trail parameter
        session automation patch console shell fault injection pipeline build deploy commit code
        cli sdk kit development model report reports usage cost costs explorer budgets budget
        optimizer billing consolidated health personal insights team response advanced shield
        encryption encryption hsm secrets secret certificate authority detective inspector macie
        guard duty"""
    )
)

_STEM_SUFFIXES = (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""))


@lru_cache(maxsize=65536)
def stem_word(word: str) -> str:
    """A crude stem so that "encrypts"/"encrypted"/"encryption" meet ("encrypt")."""
    if len(word) <= 4 or word.isdigit():
        return word
    for suffix, replacement in (("ation", ""), ("tion", "t"), *_STEM_SUFFIXES):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)] + replacement
            break
    return word


@lru_cache(maxsize=65536)
def content_tokens(text: str) -> frozenset[str]:
    """Stemmed words that carry meaning (no stop words, no single letters)."""
    words = _WORD_RE.findall(text.casefold())
    return frozenset(stem_word(word) for word in words if word not in STOP_WORDS and len(word) > 1)


def normalise(text: str) -> str:
    """Case-folded words separated by single spaces (punctuation dropped)."""
    return " ".join(_WORD_RE.findall(text.casefold()))


def has_markup(text: str) -> bool:
    return text.lstrip().startswith("#") or any(token in text for token in MARKUP_TOKENS)


def sentence(text: str) -> str:
    """Trimmed, capitalised, one final period."""
    text = _SPACE_RE.sub(" ", text).strip().rstrip(" .;:,")
    if not text:
        return ""
    return text[0].upper() + text[1:] + "."


def lower_first(text: str) -> str:
    """Lower-case the first letter unless the first word is an acronym or a name ("S3", "VPC")."""
    if not text:
        return text
    first = text.split(" ", 1)[0]
    if len(first) > 1 and (first[1:].lower() != first[1:] or any(ch.isdigit() for ch in first)):
        return text
    return text[0].lower() + text[1:]


# --------------------------------------------------------------------------------------------
# Quantities
# --------------------------------------------------------------------------------------------

QUESTION_UNITS = frozenset(
    {"bytes", "seconds", "count", "percent", "port", "bytes_per_second", "bits_per_second"}
)


def parse_value(text: str, *, port: bool = False) -> tuple[float, str] | None:
    """(number in base unit, unit family) when `text` is exactly one quantity, else None."""
    quantities = parse_quantity(text, port_context=port)
    if len(quantities) != 1 or quantities[0].low_in_base_unit is not None:
        return None
    quantity = quantities[0]
    return quantity.number_in_base_unit, quantity.unit_family


_BYTE_UNITS_DECIMAL = (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3))
_BYTE_UNITS_BINARY = (
    ("PiB", 2.0**50),
    ("TiB", 2.0**40),
    ("GiB", 2.0**30),
    ("MiB", 2.0**20),
    ("KiB", 2.0**10),
)
_TIME_UNITS = (
    ("year", 365 * 86400.0),
    ("day", 86400.0),
    ("hour", 3600.0),
    ("minute", 60.0),
    ("second", 1.0),
    ("millisecond", 0.001),
)
_RATE_BITS = (("Tbps", 1e12), ("Gbps", 1e9), ("Mbps", 1e6), ("Kbps", 1e3))
_RATE_BYTES = (("GB/s", 1e9), ("MB/s", 1e6), ("KB/s", 1e3))


def _number_text(number: float) -> str:
    if abs(number - round(number)) < 1e-9:
        return f"{round(number):,}"
    text = f"{number:,.6f}".rstrip("0").rstrip(".")
    return text


def display_unit(value_text: str, number: float, unit: str) -> tuple[str, float] | None:
    """The unit a value is written in ("GB", 1e9) for bytes/times/rates, None for plain numbers."""
    lowered = value_text.casefold()
    if unit == "bytes":
        table = _BYTE_UNITS_BINARY if re.search(r"\d\s*[kmgtp]i\s*b", lowered) else None
        table = table or _BYTE_UNITS_DECIMAL
        for name, factor in table:
            if re.search(rf"\d\s*{name[0].lower()}", lowered):
                return name, factor
        return _best_unit(number, table)
    if unit == "seconds":
        for name, factor in _TIME_UNITS:
            pattern = {
                "millisecond": r"\bms\b|millisecond",
                "minute": r"\bmin",
                "second": r"\bs\b|sec",
            }
            if re.search(pattern.get(name, rf"\b{name[0]}"), lowered) or name in lowered:
                return name, factor
        return _best_unit(number, _TIME_UNITS)
    if unit == "bits_per_second":
        for name, factor in _RATE_BITS:
            if name.casefold() in lowered:
                return name, factor
        return _best_unit(number, _RATE_BITS)
    if unit == "bytes_per_second":
        for name, factor in _RATE_BYTES:
            if name[0].lower() + "b" in lowered.replace(" ", ""):
                return name, factor
        return _best_unit(number, _RATE_BYTES)
    return None


def _best_unit(number: float, table: tuple[tuple[str, float], ...]) -> tuple[str, float]:
    for name, factor in table:
        if number >= factor:
            return name, factor
    return table[-1]


def format_quantity(number: float, unit: str, style: tuple[str, float] | None) -> str:
    """A value as an option: "5 TB", "365 days", "99.99%", "10,000", "443"."""
    if unit == "percent":
        return f"{_number_text(number)}%"
    if unit == "port":
        return str(round(number))
    if unit in ("count", "usd") or style is None:
        return _number_text(number)
    name, factor = style
    scaled = number / factor
    text = _number_text(round(scaled, 6))
    if unit == "seconds":
        plural = "" if abs(scaled - 1) < 1e-9 else "s"
        return f"{text} {name}{plural}"
    return f"{text} {name}"


def is_nice(number: float, unit: str, style: tuple[str, float] | None) -> bool:
    """Whether a value reads like a real limit in its unit (an integer or a half)."""
    if number <= 0:
        return False
    scaled = number / style[1] if style else number
    if unit == "percent":
        return 0 < number <= 100 and abs(scaled * 1000 - round(scaled * 1000)) < 1e-6
    if unit in ("count", "port"):
        return abs(scaled - round(scaled)) < 1e-9 and scaled >= 1
    return abs(scaled * 2 - round(scaled * 2)) < 1e-9 and scaled >= 1


def log_distance(a: float, b: float) -> float:
    if a <= 0 or b <= 0:
        return math.inf
    return abs(math.log10(a) - math.log10(b))

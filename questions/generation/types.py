"""Plain data passed into and out of the question generator (no Django)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

__all__ = [
    "Blueprint",
    "ChoiceDraft",
    "FactView",
    "GenerationResult",
    "QuestionDraft",
    "ServiceView",
    "load_blueprints",
]


@dataclass(frozen=True)
class ServiceView:
    """One catalog entry (fixtures/services.yaml).

    `aliases`, `former_names` and `retired` are optional: without them the generator can only
    mask and check the short name and the name. Stems and options only ever use `name` and
    `short_name`; `former_names` are recognised so that they can be replaced.
    """

    short_name: str
    name: str
    category: str
    parent: str | None
    kind: str  # "service" | "feature"
    aliases: tuple[str, ...] = ()
    former_names: tuple[str, ...] = ()
    retired: bool = False


@dataclass(frozen=True)
class FactView:
    content_hash: str
    kind: str  # definition | acronym | glossary | attribute | feature | use_case | comparison
    subject: str | None  # service short_name
    concept: str
    statement: str
    value: str
    value_number: float | None
    unit: str
    status: str  # "active" | "conflict" | "outdated"
    correction: str  # for outdated facts: the current value ("365 days"), else ""
    correction_note: str  # "Older notes say 7 days; the current maximum is 365 days (...)."
    tags: tuple[tuple[str, str, float], ...]  # (certification, task statement code, confidence)
    source_file: str
    heading: str
    line_start: int
    line_end: int


@dataclass(frozen=True)
class ChoiceDraft:
    text: str
    correct: bool
    rationale: str


@dataclass(frozen=True)
class QuestionDraft:
    key: str
    certification: str
    domain: int
    task_statement: str
    template: str
    kind: str  # "single" | "multiple"
    select: int
    stem: str
    choices: tuple[ChoiceDraft, ...]
    explanation: str
    services: tuple[str, ...]
    source_hashes: tuple[str, ...]


@dataclass
class GenerationResult:
    questions: list[QuestionDraft]
    # gate name → candidates it dropped; "considered:<template>" → candidates a template built;
    # "skipped:<template>:<reason>" → facts a template could not use.
    rejected: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Blueprint:
    """One certification's exam guide: domain weights and task statement codes."""

    code: str
    domains: Mapping[int, int]  # domain number → weight (percent)
    task_statements: tuple[str, ...]  # "1.1", "1.2", …; the domain is the part before the dot
    question_count: int = 65

    def domain_of(self, task_statement: str) -> int:
        return int(task_statement.split(".", 1)[0])


def load_blueprints(path: str | Path) -> dict[str, Blueprint]:
    """Read fixtures/certifications.yaml into {code: Blueprint}."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    blueprints: dict[str, Blueprint] = {}
    for cert in data["certifications"]:
        domains = {int(d["number"]): int(d["weight"]) for d in cert["domains"]}
        codes = tuple(str(ts["code"]) for d in cert["domains"] for ts in d["task_statements"])
        blueprints[cert["code"]] = Blueprint(
            code=cert["code"],
            domains=domains,
            task_statements=codes,
            question_count=int(cert.get("question_count") or 65),
        )
    return blueprints

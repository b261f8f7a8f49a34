"""Question generation from study-note facts (pure Python; the lead wires it to the database).

    from questions.generation import generate, load_blueprints
    result = generate(facts, services, blueprints=load_blueprints("fixtures/certifications.yaml"))
    result.questions  # list[QuestionDraft], deterministic for a given input and seed
    result.rejected   # Counter: gate name → dropped, "considered:<template>", "skipped:…"

Modules: `types` (the data passed in and out), `knowledge` (the fact base every check consults),
`templates` (scenario_service, attribute_value, multiple_response, correct_statement,
term_definition), `gates` (named quality gates), `engine` (`generate`).
"""

from questions.generation.engine import DEFAULT_SEED, domain_targets, generate, question_key
from questions.generation.gates import BANK_GATES, QUESTION_GATES, check_question
from questions.generation.knowledge import FactBase
from questions.generation.templates import TEMPLATES
from questions.generation.types import (
    Blueprint,
    ChoiceDraft,
    FactView,
    GenerationResult,
    QuestionDraft,
    ServiceView,
    load_blueprints,
)

__all__ = [
    "BANK_GATES",
    "DEFAULT_SEED",
    "QUESTION_GATES",
    "TEMPLATES",
    "Blueprint",
    "ChoiceDraft",
    "FactBase",
    "FactView",
    "GenerationResult",
    "QuestionDraft",
    "ServiceView",
    "check_question",
    "domain_targets",
    "generate",
    "load_blueprints",
    "question_key",
]

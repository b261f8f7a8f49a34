"""Writes: a whole bank file (YAML text) imported at once, by the admin and by `import_bank`.

Both read the file, parse it (questions.bank) and hand the entries to `bank_import`, so a file
is accepted or refused the same way wherever it comes from. The report says, per question, what
the import does (or would do, on a dry run) and names the line of every problem it can.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import yaml
from django.db import transaction

from questions.bank import BankEntry, load_bank_text
from questions.bank_export import bank_entries_for
from questions.models import Question
from questions.services import bank_import

# load_bank_text reports a file it cannot read as a whole with one of these; any other error
# line is "<key or #position>: <message>" about one question.
_FILE_PROBLEMS = ("not valid YAML", "expected a mapping", "unsupported bank format")
# For placing errors: libyaml's loader when PyYAML has it (several times faster on a bank).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class BankQuestionError:
    label: str  # the question's key, or "#3" for the third question when it has no key
    message: str
    line: int | None = None  # where the question starts in the file, when known


@dataclass
class BankTextReport:
    problem: str = ""  # the file as a whole cannot be read: nothing about single questions
    errors: list[BankQuestionError] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    changed_fields: dict[str, list[str]] = field(default_factory=dict)
    total: int = 0  # questions in the file
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problem and not self.errors

    @property
    def to_write(self) -> int:
        return len(self.created) + len(self.changed)

    @property
    def changed_with_fields(self) -> list[tuple[str, list[str]]]:
        return [(key, self.changed_fields.get(key, [])) for key in self.changed]

    def summary(self) -> str:
        return (
            f"{len(self.created)} new, {len(self.changed)} changed, {len(self.unchanged)} unchanged"
        )


def _yaml_problem(text: str) -> str:
    """The parser's complaint about a file that is not YAML, with its line and column."""
    try:
        yaml.safe_load(text)  # the parser load_bank_text used, so the same complaint
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        return f"The file is not valid YAML: {where}{exc.problem or exc.context}."
    except yaml.YAMLError as exc:
        return f"The file is not valid YAML: {exc}."
    return "The file is not valid YAML."


def _question_lines(text: str) -> dict[str, int]:
    """Line where each question starts, by key and by "#position" (only run when there are
    errors to place; the file already parsed, so composing it again succeeds)."""
    lines: dict[str, int] = {}
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError:
        return lines
    if not isinstance(root, yaml.MappingNode):
        return lines
    questions = next(
        (value for name, value in root.value if getattr(name, "value", None) == "questions"), None
    )
    if not isinstance(questions, yaml.SequenceNode):
        return lines
    for position, node in enumerate(questions.value, start=1):
        line = node.start_mark.line + 1
        lines[f"#{position}"] = line
        if isinstance(node, yaml.MappingNode):
            for name, value in node.value:
                if getattr(name, "value", None) == "key" and isinstance(value, yaml.ScalarNode):
                    lines.setdefault(value.value.strip(), line)
    return lines


def _question_errors(text: str, messages: list[str]) -> list[BankQuestionError]:
    lines = _question_lines(text)
    errors = []
    for message in messages:
        label, _, detail = message.partition(": ")
        errors.append(BankQuestionError(label, detail or message, lines.get(label)))
    return errors


def _changed_fields(before: BankEntry, after: BankEntry) -> list[str]:
    return [f.name for f in fields(BankEntry) if getattr(before, f.name) != getattr(after, f.name)]


@transaction.atomic
def bank_text_import(*, text: str, dry_run: bool = False, changed_by=None) -> BankTextReport:
    """Import a bank file's text: all of it, or (when any question is invalid, or the file
    cannot be read) nothing. With `dry_run`, report what would happen and write nothing."""
    report = BankTextReport()
    entries, errors = load_bank_text(text)
    if errors and not entries and errors[0].startswith(_FILE_PROBLEMS):
        report.problem = (
            _yaml_problem(text)
            if errors[0].startswith("not valid YAML")
            else f"The file is not a question bank: {errors[0]}."
        )
        return report
    report.total = len(entries) + len(errors)
    if errors:
        report.errors = _question_errors(text, errors)
        return report
    if not entries:
        report.problem = "The file holds no questions."
        return report
    imported = bank_import(entries=entries, dry_run=dry_run, changed_by=changed_by)
    if imported.errors:
        report.errors = _question_errors(text, imported.errors)
        return report
    report.created, report.changed = imported.created, imported.changed
    report.unchanged, report.warnings = imported.unchanged, imported.warnings
    report.written = imported.written
    if dry_run and report.changed:
        # Which fields each changed question would change, against the bank as it stands.
        current = {
            entry.key: entry
            for entry in bank_entries_for(
                Question.objects.filter(key__in=report.changed).only("pk")
            )
        }
        by_key = {entry.key: entry for entry in entries}
        report.changed_fields = {
            key: _changed_fields(current[key], by_key[key]) for key in report.changed
        }
    return report

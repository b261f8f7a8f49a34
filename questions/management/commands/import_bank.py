from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from questions.bank import load_bank_text
from questions.services import bank_import


class Command(BaseCommand):
    help = (
        "Create or update questions from a bank YAML file (format: questions/bank.py), matched "
        "by key. All or nothing: when any question is invalid, nothing is written and every "
        "problem is listed with its key."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Report new/changed/unchanged; write nothing."
        )

    def handle(self, *args, path: Path, dry_run: bool = False, **options):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: cannot read: {exc}") from exc
        entries, errors = load_bank_text(text)
        if errors:
            raise CommandError(
                f"{path.name}: {len(errors)} invalid question(s), nothing written:\n"
                + "\n".join(f"  {e}" for e in errors)
            )
        report = bank_import(entries=entries, dry_run=dry_run)
        if report.errors:
            raise CommandError(
                f"{path.name}: {len(report.errors)} invalid question(s), nothing written:\n"
                + "\n".join(f"  {e}" for e in report.errors)
            )
        for warning in report.warnings[:10]:
            self.stdout.write(self.style.WARNING(f"  {warning}"))
        if len(report.warnings) > 10:
            self.stdout.write(self.style.WARNING(f"  … and {len(report.warnings) - 10} more"))
        summary = (
            f"{path.name}: {len(report.created)} new, {len(report.changed)} changed, "
            f"{len(report.unchanged)} unchanged"
        )
        if dry_run:
            self.stdout.write(self.style.WARNING(f"Dry run: {summary}; nothing was written."))
        else:
            self.stdout.write(self.style.SUCCESS(summary))

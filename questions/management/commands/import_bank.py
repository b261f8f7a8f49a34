from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from questions.services.bank_files import bank_text_import


class Command(BaseCommand):
    help = (
        "Create or update questions from a bank YAML file (format: questions/bank.py), matched "
        "by key. All or nothing: when any question is invalid, nothing is written and every "
        "problem is listed with its key (and line). The admin's “Import YAML” does the same."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List new and changed questions (unchanged ones too with -v 2); write nothing.",
        )

    def handle(self, *args, path: Path, dry_run: bool = False, **options):
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: cannot read: {exc}") from exc
        report = bank_text_import(text=text, dry_run=dry_run)
        if report.problem:
            raise CommandError(f"{path.name}: {report.problem} Nothing written.")
        if report.errors:
            raise CommandError(
                f"{path.name}: {len(report.errors)} invalid question(s), nothing written:\n"
                + "\n".join(
                    f"  {e.label}: {e.message}" + (f" (line {e.line})" if e.line else "")
                    for e in report.errors
                )
            )
        for warning in report.warnings[:10]:
            self.stdout.write(self.style.WARNING(f"  {warning}"))
        if len(report.warnings) > 10:
            self.stdout.write(self.style.WARNING(f"  … and {len(report.warnings) - 10} more"))
        if dry_run:
            for key in report.created:
                self.stdout.write(f"  new        {key}")
            for key, names in report.changed_with_fields:
                self.stdout.write(f"  changed    {key} ({', '.join(names)})")
            if options["verbosity"] >= 2:
                for key in report.unchanged:
                    self.stdout.write(f"  unchanged  {key}")
            summary = f"Dry run: {path.name}: {report.summary()}; nothing was written."
            self.stdout.write(self.style.WARNING(summary))
        else:
            self.stdout.write(self.style.SUCCESS(f"{path.name}: {report.summary()}"))

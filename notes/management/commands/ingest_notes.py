from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from notes.services import FileIngestReport, notes_ingest


class DryRunRollback(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Ingest study notes into sections and facts. PATH may be a file or a folder; .md, "
        ".markdown and .txt are read as Markdown, .tsv as a glossary. Unchanged files are "
        "skipped; a changed file replaces its sections and facts in one transaction; questions "
        "whose facts disappeared become stale. Exits non-zero when any file failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
        parser.add_argument(
            "--dry-run", action="store_true", help="Read and report everything; write nothing."
        )

    def handle(self, *args, paths: list[Path], dry_run: bool = False, **options):
        try:
            with transaction.atomic():
                summary = notes_ingest(paths=paths, on_file=self.write_file_line)
                if dry_run:
                    raise DryRunRollback
        except DryRunRollback:
            pass
        self.write_summary(summary)
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written."))
        if summary.failed:
            raise CommandError(
                f"{len(summary.errors)} problem(s):\n" + "\n".join(f"  {e}" for e in summary.errors)
            )

    def write_file_line(self, report: FileIngestReport) -> None:
        if report.outcome == "failed":
            self.stdout.write(self.style.ERROR(f"  ✗ {report.error}"))
            return
        linked = f"{report.facts_linked / report.facts:.0%} linked" if report.facts else ""
        detail = f"{report.sections} sections, {report.facts} facts"
        if report.outcome == "unchanged":
            self.stdout.write(f"  = {report.name}: unchanged ({detail})")
            return
        extra = f", {linked}" if linked else ""
        if report.outcome == "updated":
            extra += f", {report.facts_kept} kept, {report.facts_removed} removed"
        self.stdout.write(
            self.style.SUCCESS(f"  ✓ {report.name}: {report.outcome}, {detail}{extra}")
        )
        for warning in report.warnings[:5]:
            self.stdout.write(self.style.WARNING(f"      {warning}"))
        if len(report.warnings) > 5:
            self.stdout.write(
                self.style.WARNING(f"      … and {len(report.warnings) - 5} more warnings")
            )

    def write_summary(self, summary) -> None:
        files = [f for f in summary.files if f.outcome != "failed"]
        facts = sum(f.facts for f in files if f.outcome != "unchanged")
        linked = sum(f.facts_linked for f in files if f.outcome != "unchanged")
        kinds: dict[str, int] = {}
        for report in files:
            for kind, count in report.facts_by_kind.items():
                kinds[kind] = kinds.get(kind, 0) + count
        warnings = sum(len(f.warnings) for f in files)
        unchanged = sum(f.outcome == "unchanged" for f in files)
        self.stdout.write(
            self.style.MIGRATE_HEADING(
                f"{len(files)} file(s) read, {unchanged} unchanged, "
                f"{len(summary.errors)} problem(s)"
            )
        )
        if facts:
            self.stdout.write(
                f"  {sum(f.sections for f in files)} sections, {facts} new or changed facts "
                f"({linked / facts:.1%} linked to a service), {warnings} warnings"
            )
            if summary.trust:
                self.stdout.write(
                    f"  trust: {summary.trust.outdated} facts outdated "
                    f"({summary.trust.errata_applied} errata applied), "
                    f"{len(summary.trust.conflicts)} conflicts "
                    f"({summary.trust.open_conflicts} facts withheld until resolved)"
                )
            self.stdout.write(
                "  by kind: "
                + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]))
            )

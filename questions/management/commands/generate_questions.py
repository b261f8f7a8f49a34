from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from questions.bank import dump_bank_text
from questions.bank_export import bank_entries_all
from questions.services import bank_generate


class Command(BaseCommand):
    help = (
        "Generate questions from the ingested facts (deterministic: a fixed default seed gives "
        "the same bank byte for byte). New questions are published; regenerated ones keep their "
        "key; generated questions no longer produced become stale; authored ones are untouched."
    )

    def add_arguments(self, parser):
        parser.add_argument("--certification", help="Only this exam, e.g. SAA-C03.")
        parser.add_argument("--service", help="Only questions about this service (short name).")
        parser.add_argument("--seed", type=int, default=None, help="Override the default seed.")
        parser.add_argument(
            "--write-bank",
            nargs="?",
            const=str(settings.FIXTURES_DIR / "question_bank.yaml"),
            default=None,
            metavar="PATH",
            help="Also export the whole bank to PATH (default fixtures/question_bank.yaml).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Generate and report; write nothing."
        )

    def handle(self, *args, **options):
        try:
            report = bank_generate(
                certification=options["certification"],
                service=options["service"],
                seed=options["seed"],
                dry_run=options["dry_run"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages[:10])) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(report.entries)} questions: {report.created} new, {report.updated} "
                f"changed, {report.unchanged} unchanged, {report.stale} now stale"
            )
        )
        gates = {k: v for k, v in report.rejected.items() if ":" not in k and v}
        if gates:
            self.stdout.write(
                "Rejected candidates by gate: "
                + ", ".join(f"{gate} {count}" for gate, count in gates.items())
            )
        if options["dry_run"]:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written."))
        elif options["write_bank"]:
            path = Path(options["write_bank"])
            entries = bank_entries_all()
            path.write_text(dump_bank_text(entries), encoding="utf-8")
            self.stdout.write(self.style.SUCCESS(f"Wrote {len(entries)} questions to {path}."))

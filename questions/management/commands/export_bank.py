from pathlib import Path

from django.core.management.base import BaseCommand

from questions.bank import dump_bank_text
from questions.bank_export import bank_entries_all


class Command(BaseCommand):
    help = "Write every question to a bank YAML file (or standard output with '-')."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default="-", help="Output file, '-' for stdout.")

    def handle(self, *args, path: str = "-", **options):
        entries = bank_entries_all()
        text = dump_bank_text(entries)
        if path == "-":
            self.stdout.write(text, ending="")
            return
        Path(path).write_text(text, encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(entries)} question(s) to {path}."))

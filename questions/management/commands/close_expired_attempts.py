from django.core.management.base import BaseCommand
from django.utils import timezone

from questions.models import Attempt
from questions.services import attempts_close_expired


class Command(BaseCommand):
    help = (
        "Submit every exam attempt whose deadline has passed, scoring unanswered questions as "
        "wrong. Attempts also close on the next request that touches them; run this from cron "
        "so abandoned attempts are scored too."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count expired attempts; submit none."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        if dry_run:
            count = Attempt.objects.expired(timezone.now()).count()
            self.stdout.write(self.style.WARNING(f"Dry run: {count} expired attempt(s) to close."))
            return
        closed = attempts_close_expired()
        self.stdout.write(self.style.SUCCESS(f"Closed {closed} expired attempt(s)."))

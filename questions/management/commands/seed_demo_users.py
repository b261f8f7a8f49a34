from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from questions.services import DEMO_ACCOUNTS, demo_users_ensure


class Command(BaseCommand):
    help = (
        "Create the demo learner and demo instructor (development only) and print their "
        "credentials. Running it again resets their passwords."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Print the accounts; write nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        accounts = DEMO_ACCOUNTS
        if not dry_run:
            try:
                accounts = demo_users_ensure()
            except ImproperlyConfigured as exc:
                raise CommandError(str(exc)) from exc
        for account in accounts:
            self.stdout.write(
                self.style.SUCCESS(
                    f"  {account.role:<10} username: {account.username:<11} "
                    f"password: {account.password}"
                )
            )
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written."))

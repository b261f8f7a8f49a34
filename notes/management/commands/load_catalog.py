from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from notes.services import blueprint_load, service_catalog_load


class DryRunRollback(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Create or update the exam blueprints (fixtures/certifications.yaml) and the AWS service "
        "catalog (fixtures/services.yaml). Safe to run again: unchanged rows are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; write nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        fixtures = settings.FIXTURES_DIR
        try:
            with transaction.atomic():
                for label, loader, path in (
                    ("Blueprints", blueprint_load, fixtures / "certifications.yaml"),
                    ("Services", service_catalog_load, fixtures / "services.yaml"),
                ):
                    report = loader(path=path)
                    self.stdout.write(
                        self.style.SUCCESS(
                            f"{label}: {report.created} created, {report.updated} updated, "
                            f"{report.unchanged} unchanged ({path.name})"
                        )
                    )
                if dry_run:
                    raise DryRunRollback
        except DryRunRollback:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written."))
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from notes.models import Fact
from notes.services import blueprint_load, errata_load, facts_trust_refresh, service_catalog_load


class DryRunRollback(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Create or update the exam blueprints (fixtures/certifications.yaml), the AWS service "
        "catalog (fixtures/services.yaml) and the errata (fixtures/errata.yaml), then re-check "
        "ingested facts against the errata. Safe to run again: unchanged rows are left alone."
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
                    ("Errata", errata_load, fixtures / "errata.yaml"),
                ):
                    report = loader(path=path)
                    self.stdout.write(
                        self.style.SUCCESS(
                            f"{label}: {report.created} created, {report.updated} updated, "
                            f"{report.unchanged} unchanged ({path.name})"
                        )
                    )
                if Fact.objects.exists():
                    trust = facts_trust_refresh()
                    self.stdout.write(
                        f"Facts: {trust.outdated} outdated, {len(trust.conflicts)} conflicts, "
                        f"{trust.open_conflicts} withheld ({trust.changed} changed status)"
                    )
                if dry_run:
                    raise DryRunRollback
        except DryRunRollback:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written."))
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc

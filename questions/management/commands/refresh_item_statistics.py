from django.core.management.base import BaseCommand

from questions.models import ItemStatistic
from questions.services.statistics import item_statistics_refresh
from questions.statistics import MIN_ANSWERS_FOR_FLAGS


class Command(BaseCommand):
    help = (
        "Recompute the item statistics of every question (times answered, facility, "
        "discrimination, how often each option was chosen, and the automatic flags) from all "
        "submitted attempts. Submitting an attempt already refreshes its questions in the "
        "background; run this after changing keys or rescoring, or to rebuild them all. "
        "Nothing is recorded but the statistics, so there is no dry run."
    )

    def handle(self, *args, **options):
        refreshed = item_statistics_refresh()
        flagged = ItemStatistic.objects.flagged().count()
        self.stdout.write(
            self.style.SUCCESS(f"Refreshed the statistics of {refreshed} question(s).")
        )
        style = self.style.WARNING if flagged else self.style.SUCCESS
        self.stdout.write(
            style(
                f"{flagged} question(s) flagged (flags need {MIN_ANSWERS_FOR_FLAGS}+ answers); "
                "see Item statistics in the admin."
            )
        )

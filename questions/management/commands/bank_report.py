from collections import Counter

from django.core.management.base import BaseCommand
from django.db.models import Count

from notes.models import Erratum, Fact
from questions.bank_export import generation_inputs
from questions.generation import DEFAULT_SEED, generate
from questions.models import Question


class Command(BaseCommand):
    help = (
        "Report the question bank: counts by certification, domain, task statement, service, "
        "template, kind and status; candidates rejected by each quality gate; conflicting and "
        "outdated facts and the questions withheld because of them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all-statuses", action="store_true", help="Count every status, not only published."
        )
        parser.add_argument(
            "--list", dest="list_items", action="store_true", help="List conflicts and errata."
        )

    def section(self, title: str) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING(title))

    def table(self, rows) -> None:
        for label, count in rows:
            self.stdout.write(f"  {count:6d}  {label}")

    def handle(self, *args, all_statuses: bool = False, list_items: bool = False, **options):
        questions = Question.objects.all() if all_statuses else Question.objects.published()
        total = questions.count()
        self.section(f"{'All' if all_statuses else 'Published'} questions: {total}")
        self.table(
            (f"{row['certification__code']}", row["n"])
            for row in questions.values("certification__code")
            .annotate(n=Count("pk"))
            .order_by("certification__code")
        )
        self.section("By domain")
        self.table(
            (f"{r['certification__code']} D{r['domain__number']} {r['domain__name']}", r["n"])
            for r in questions.values("certification__code", "domain__number", "domain__name")
            .annotate(n=Count("pk"))
            .order_by("certification__code", "domain__number")
        )
        self.section("By task statement")
        self.table(
            (f"{r['certification__code']} {r['task_statement__code']}", r["n"])
            for r in questions.values("certification__code", "task_statement__code")
            .annotate(n=Count("pk"))
            .order_by("certification__code", "task_statement__code")
        )
        self.section("By kind")
        kinds = Counter(
            f"{kind} (choose {select})" if kind == "multiple" else kind
            for kind, select in questions.values_list("kind", "select_count")
        )
        self.table(sorted(kinds.items()))
        if total:
            multiple = sum(v for k, v in kinds.items() if k.startswith("multiple"))
            self.stdout.write(f"  multiple response: {multiple / total:.1%}")
        self.section("By template")
        self.table(
            (r["template"] or "(authored)", r["n"])
            for r in questions.values("template").annotate(n=Count("pk")).order_by("-n")
        )
        self.section("By status (all questions)")
        self.table(
            (r["status"], r["n"])
            for r in Question.objects.values("status").annotate(n=Count("pk")).order_by("status")
        )
        self.section("By service (top 25)")
        self.table(
            (r["services__short_name"] or "(none)", r["n"])
            for r in questions.values("services__short_name")
            .annotate(n=Count("pk"))
            .order_by("-n", "services__short_name")[:25]
        )
        self.report_trust(list_items=list_items)

    def report_trust(self, *, list_items: bool) -> None:
        facts, services, blueprints = generation_inputs()
        result = generate(facts, services, blueprints=blueprints, seed=DEFAULT_SEED)
        gates = {k: v for k, v in result.rejected.items() if ":" not in k}
        considered = {
            k.split(":", 1)[1]: v for k, v in result.rejected.items() if k.startswith("considered:")
        }
        self.section("Candidates built per template")
        self.table(sorted(considered.items(), key=lambda kv: -kv[1]))
        self.section("Candidates rejected by gate")
        self.table(sorted(gates.items(), key=lambda kv: -kv[1]))
        conflict = Fact.objects.filter(status=Fact.Status.CONFLICT)
        outdated = Fact.objects.filter(status=Fact.Status.OUTDATED)
        applied = Erratum.objects.filter(facts__isnull=False).distinct()
        self.section("Trust")
        pairs = {
            tuple(sorted((a, b)))
            for a, b in Fact.conflicts_with.through.objects.values_list("from_fact", "to_fact")
        }
        self.stdout.write(
            f"  {len(pairs):6d}  conflicts (pairs of facts), {conflict.count()} facts"
        )
        self.stdout.write(
            f"  {outdated.count():6d}  outdated facts, {applied.count()} errata applied"
        )
        withheld = sum(count for gate, count in result.rejected.items() if gate.startswith("fact_"))
        self.stdout.write(f"  {withheld:6d}  candidate questions withheld (disputed facts)")
        if list_items:
            self.section("Conflicts")
            by_id = Fact.objects.select_related("section__source", "subject").in_bulk(
                {i for pair in pairs for i in pair}
            )
            for a, b in sorted(pairs):
                fa, fb = by_id[a], by_id[b]
                self.stdout.write(
                    f"  {fa.subject}: “{fa.statement[:70]}” ({fa.section.source.name}:"
                    f"{fa.line_start}) ⟷ “{fb.statement[:70]}” ({fb.section.source.name}:"
                    f"{fb.line_start})"
                )
            self.section("Errata applied")
            for erratum in applied.annotate(n=Count("facts")).order_by("key"):
                self.stdout.write(f"  {erratum.key}: {erratum.n} fact(s) → {erratum.current_value}")

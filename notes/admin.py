from django.contrib import admin, messages
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html, format_html_join

from notes.models import (
    Certification,
    Domain,
    Erratum,
    Fact,
    FactTag,
    NoteSource,
    Section,
    Service,
    TaskStatement,
)
from notes.services import erratum_save, fact_reject, fact_resolve_conflict


class DomainInlineFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        weights = [
            form.cleaned_data["weight"]
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        self.instance.validate_weights(weights)


class DomainInline(admin.TabularInline):
    model = Domain
    formset = DomainInlineFormSet
    extra = 0
    fields = ["number", "name", "weight"]


@admin.register(Certification)
class CertificationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "question_count", "minutes", "passing_score"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    fieldsets = [
        (None, {"fields": ["code", "name", "level"]}),
        (
            "Exam format",
            {
                "fields": [
                    "question_count",
                    "unscored_count",
                    "minutes",
                    "passing_score",
                    ("score_min", "score_max"),
                ]
            },
        ),
    ]
    inlines = [DomainInline]


class TaskStatementInline(admin.TabularInline):
    model = TaskStatement
    extra = 0
    fields = ["code", "text"]


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["__str__", "certification", "number", "weight"]
    list_filter = ["certification"]
    search_fields = ["name"]
    fieldsets = [(None, {"fields": ["certification", "number", "name", "weight"]})]
    inlines = [TaskStatementInline]


@admin.register(TaskStatement)
class TaskStatementAdmin(admin.ModelAdmin):
    list_display = ["code", "text", "domain"]
    list_filter = ["domain__certification", "domain"]
    search_fields = ["code", "text"]
    fieldsets = [(None, {"fields": ["domain", "code", "text"]})]
    list_select_related = ["domain__certification"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["short_name", "name", "category", "kind", "parent", "retired"]
    list_filter = ["category", "kind", "retired"]
    search_fields = ["short_name", "name", "aliases", "former_names"]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "category", "kind", "parent", "retired"]}),
        ("Matching", {"fields": ["aliases", "former_names"]}),
    ]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]


@admin.register(NoteSource)
class NoteSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "path", "line_count", "ingested_at"]
    search_fields = ["name", "path"]
    fieldsets = [(None, {"fields": ["name", "path", "content_hash", "line_count", "ingested_at"]})]
    readonly_fields = ["name", "path", "content_hash", "line_count", "ingested_at"]


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["heading", "source", "line_start", "line_end"]
    list_filter = ["source"]
    search_fields = ["heading_path", "raw_markdown"]
    fieldsets = [
        (None, {"fields": ["source", "position", "heading_path", "level"]}),
        ("Lines", {"fields": [("line_start", "line_end"), "raw_markdown"]}),
    ]
    list_select_related = ["source"]


class FactTagInline(admin.TabularInline):
    model = FactTag
    extra = 0
    autocomplete_fields = ["task_statement"]


@admin.register(Fact)
class FactAdmin(admin.ModelAdmin):
    list_display = [
        "statement",
        "kind",
        "subject",
        "status",
        "resolution",
        "source_name",
        "line_start",
    ]
    list_filter = ["status", "resolution", "kind", "subject__category", "section__source"]
    search_fields = ["statement", "concept", "subject__short_name"]
    fieldsets = [
        (None, {"fields": ["statement", "kind", "status", "resolution", "subject", "concept"]}),
        ("Value", {"fields": ["value", "value_number", "unit"]}),
        ("Trust", {"fields": ["erratum", "correction", "conflicting_facts"]}),
        ("Provenance", {"fields": ["section", ("line_start", "line_end"), "content_hash"]}),
    ]
    readonly_fields = ["status", "erratum", "correction", "conflicting_facts", "content_hash"]
    autocomplete_fields = ["subject"]
    raw_id_fields = ["section"]
    list_select_related = ["subject", "section__source"]
    inlines = [FactTagInline]
    actions = ["keep_in_conflict", "reject_facts"]

    @admin.display(description="File", ordering="section__source__name")
    def source_name(self, fact: Fact) -> str:
        return fact.section.source.name

    @admin.display(description="Correction")
    def correction(self, fact: Fact) -> str:
        if not fact.erratum:
            return "—"
        return f"{fact.erratum.current_value} ({fact.erratum.reason})"

    @admin.display(description="Conflicts with")
    def conflicting_facts(self, fact: Fact) -> str:
        others = fact.conflicts_with.select_related("section__source")
        if not others:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="../../{}/change/">{}</a> — {}:{} ({})</li>',
                (
                    (o.pk, o.statement, o.section.source.name, o.line_start, o.get_status_display())
                    for o in others
                ),
            ),
        )

    @admin.action(description="Keep: this fact is right (rejects the facts it conflicts with)")
    def keep_in_conflict(self, request, queryset) -> None:
        for fact in queryset:
            report = fact_resolve_conflict(fact=fact)
        self.message_user(
            request,
            f"Kept {queryset.count()} fact(s); {len(report.conflicts)} conflicts remain.",
            messages.SUCCESS,
        )

    @admin.action(description="Reject: these facts are wrong (never keyed)")
    def reject_facts(self, request, queryset) -> None:
        for fact in queryset:
            fact_reject(fact=fact)
        self.message_user(request, f"Rejected {queryset.count()} fact(s).", messages.SUCCESS)


@admin.register(Erratum)
class ErratumAdmin(admin.ModelAdmin):
    list_display = [
        "key",
        "subject",
        "attribute",
        "change",
        "current_value",
        "checked_on",
        "fact_count",
    ]
    list_filter = ["change", "subject__category"]
    search_fields = ["key", "attribute", "pattern", "current_value", "reason"]
    fieldsets = [
        (None, {"fields": ["key", "subject", "attribute", "change"]}),
        ("Matching", {"fields": ["pattern"]}),
        ("Correction", {"fields": ["outdated_value", "current_value", "reason", "checked_on"]}),
    ]
    autocomplete_fields = ["subject"]

    @admin.display(description="Facts")
    def fact_count(self, erratum: Erratum) -> int:
        return erratum.facts.count()

    def save_model(self, request, obj, form, change) -> None:
        report = erratum_save(erratum=obj)
        self.message_user(request, f"{report.outdated} facts are outdated now.", messages.INFO)

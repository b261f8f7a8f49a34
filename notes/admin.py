from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from notes.models import (
    Certification,
    Domain,
    Fact,
    FactTag,
    NoteSource,
    Section,
    Service,
    TaskStatement,
)


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
    list_display = ["statement", "kind", "subject", "status", "source_name", "line_start"]
    list_filter = ["kind", "status", "subject__category", "section__source"]
    search_fields = ["statement", "concept", "subject__short_name"]
    fieldsets = [
        (None, {"fields": ["statement", "kind", "status", "subject", "concept"]}),
        ("Value", {"fields": ["value", "value_number", "unit"]}),
        ("Provenance", {"fields": ["section", ("line_start", "line_end"), "content_hash"]}),
    ]
    autocomplete_fields = ["subject"]
    raw_id_fields = ["section"]
    list_select_related = ["subject", "section__source"]
    inlines = [FactTagInline]

    @admin.display(description="File", ordering="section__source__name")
    def source_name(self, fact: Fact) -> str:
        return fact.section.source.name

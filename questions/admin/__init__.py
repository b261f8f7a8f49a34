from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from questions.models import (
    Attempt,
    AttemptQuestion,
    Choice,
    ChoiceSpec,
    Question,
    validate_choice_set,
)
from questions.services import ChoiceData, question_create, question_update


class ChoiceInlineFormSet(BaseInlineFormSet):
    """Checks the choice-set rules against the question as edited, so errors show on the form."""

    def kept_forms(self):
        return [
            form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        question = self.instance
        validate_choice_set(
            kind=question.kind,
            select_count=question.select_count or 0,
            choices=[
                ChoiceSpec(form.cleaned_data["text"], form.cleaned_data["is_correct"])
                for form in self.kept_forms()
            ],
        )


class ChoiceInline(admin.TabularInline):
    model = Choice
    formset = ChoiceInlineFormSet
    fields = ["text", "is_correct", "rationale"]
    extra = 0
    min_num = 4


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["key", "short_stem", "certification", "domain", "kind", "status", "origin"]
    list_filter = ["certification", "domain", "services", "status", "origin", "kind", "template"]
    search_fields = ["key", "stem", "choices__text"]
    list_select_related = ["certification", "domain"]
    autocomplete_fields = ["services", "task_statement"]
    raw_id_fields = ["source_facts"]
    fieldsets = [
        (None, {"fields": ["key", "status", "origin"]}),
        ("What it tests", {"fields": ["certification", "domain", "task_statement", "services"]}),
        ("Question", {"fields": ["kind", "select_count", "stem", "explanation"]}),
        ("Provenance", {"fields": ["template", "source_facts"], "classes": ["collapse"]}),
    ]
    inlines = [ChoiceInline]

    def get_urls(self):
        # Bank import/export pages live in questions/admin/bank_io.py, under this admin's URLs.
        return bank_io.question_admin_urls(self) + super().get_urls()

    @admin.display(description="Stem")
    def short_stem(self, question: Question) -> str:
        return question.stem if len(question.stem) <= 90 else question.stem[:89] + "…"

    # Writes go through questions.services, like the rest of the site: save_model defers to
    # save_related, which has the choices the service needs to validate the whole question.
    def save_model(self, request, obj, form, change) -> None:
        pass

    def save_related(self, request, form, formsets, change) -> None:
        choice_formset = next(fs for fs in formsets if isinstance(fs, ChoiceInlineFormSet))
        choices = [
            ChoiceData(
                f.cleaned_data["text"], f.cleaned_data["is_correct"], f.cleaned_data["rationale"]
            )
            for f in choice_formset.kept_forms()
        ]
        relations = {
            "services": form.cleaned_data.get("services", []),
            "source_facts": form.cleaned_data.get("source_facts", []),
        }
        # The service saved the choices; the admin's history message reads these lists.
        choice_formset.new_objects, choice_formset.changed_objects = [], []
        choice_formset.deleted_objects = []
        if change:
            question_update(question=form.instance, choices=choices, **relations)
        else:
            created = question_create(
                choices=choices,
                **relations,
                **{
                    name: value
                    for name, value in form.cleaned_data.items()
                    if name not in relations
                },
            )
            # The admin logs and redirects with the object it passed to save_model.
            form.instance.pk = created.pk
            form.instance._state.adding = False


class AttemptQuestionInline(admin.TabularInline):
    model = AttemptQuestion
    fields = ["position", "question", "selected", "flagged", "answered_at", "is_correct"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    """Read-only: attempts are learners' records, written only by the exam services."""

    list_display = [
        "pk",
        "learner",
        "certification",
        "mode",
        "status",
        "started_at",
        "scaled_score",
        "passed",
    ]
    list_filter = ["certification", "mode", "status", "passed", "auto_submitted"]
    search_fields = ["learner__username", "learner__email"]
    list_select_related = ["learner", "certification"]
    fieldsets = [
        (None, {"fields": ["learner", "certification", "mode", "status", "instant_feedback"]}),
        (
            "Time",
            {
                "fields": [
                    "started_at",
                    "deadline",
                    "extra_minutes",
                    "submitted_at",
                    "auto_submitted",
                ]
            },
        ),
        (
            "Score",
            {"fields": ["question_count", "correct_count", "percent", "scaled_score", "passed"]},
        ),
    ]
    inlines = [AttemptQuestionInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Attempt._meta.fields] + ["domains"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# The other admin modules register their own models.
from questions.admin import bank_io, reports, statistics, uploads  # noqa: E402, F401

"""Question admin: choices inline, live preview, item statistics in the list, bulk curation and
the edit history (view a revision against the one before, restore it)."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from notes.models import Domain, TaskStatement
from questions.admin.uploads import NoteUploadFilter
from questions.bank import BankFormatError, dump_bank_text, parse_entry
from questions.models import (
    Attempt,
    AttemptQuestion,
    Choice,
    ChoiceSpec,
    Question,
    QuestionReport,
    QuestionRevision,
    validate_choice_set,
)
from questions.selectors import LETTERS, question_rescore_count
from questions.services import (
    BulkResult,
    ChoiceData,
    answered_choice_message,
    choice_answer_counts,
    question_create,
    question_revision_restore,
    question_update,
    questions_move,
    questions_set_status,
)

PREVIEW_MAX_CHOICES = len(LETTERS)


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
        deleted = [
            form.instance
            for form in self.forms
            if form.cleaned_data and form.cleaned_data.get("DELETE") and form.instance.pk
        ]
        if deleted:
            chosen = choice_answer_counts(question, [choice.pk for choice in deleted])
            refused = [answered_choice_message(c, chosen[c.pk]) for c in deleted if chosen[c.pk]]
            if refused:
                raise ValidationError(refused)
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


# --- Live preview -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PreviewOption:
    letter: str
    text: str
    is_correct: bool
    rationale: str


@dataclass(frozen=True, slots=True)
class QuestionPreview:
    """A question as the learner's exam page shows it, from the saved row or an unsaved form."""

    stem: str
    explanation: str
    is_multiple: bool
    select_count: int
    options: list[PreviewOption]


class PreviewInputError(ValueError):
    """The posted form is not an edit of a question (tampered or truncated)."""


def _preview_from_question(question: Question) -> QuestionPreview:
    return QuestionPreview(
        stem=question.stem,
        explanation=question.explanation,
        is_multiple=question.kind == Question.Kind.MULTIPLE,
        select_count=question.select_count,
        options=[
            PreviewOption(LETTERS[i], c.text, c.is_correct, c.rationale)
            for i, c in enumerate(question.choices.all()[:PREVIEW_MAX_CHOICES])
        ],
    )


def _preview_from_post(data) -> QuestionPreview:
    """Read what the preview shows from the change form as typed. Half-typed input (an empty
    stem, a missing choice) is shown as it is; only input no form could send is refused."""
    kind = data.get("kind", Question.Kind.SINGLE)
    if kind not in Question.Kind.values:
        raise PreviewInputError(f"unknown kind {kind!r}")
    is_multiple = kind == Question.Kind.MULTIPLE
    raw_select = (data.get("select_count") or "").strip()
    try:
        select_count = int(raw_select) if raw_select else (2 if is_multiple else 1)
        total = int(data.get("choices-TOTAL_FORMS", 0))
    except ValueError as exc:
        raise PreviewInputError("counts must be whole numbers") from exc
    if not 0 <= total <= PREVIEW_MAX_CHOICES or not 0 < select_count <= PREVIEW_MAX_CHOICES:
        raise PreviewInputError("counts out of range")
    options = []
    for index in range(total):
        prefix = f"choices-{index}-"
        text = (data.get(prefix + "text") or "").strip()
        if data.get(prefix + "DELETE") or not text:
            continue
        options.append(
            PreviewOption(
                letter=LETTERS[len(options)],
                text=text,
                is_correct=bool(data.get(prefix + "is_correct")),
                rationale=(data.get(prefix + "rationale") or "").strip(),
            )
        )
    return QuestionPreview(
        stem=data.get("stem") or "",
        explanation=data.get("explanation") or "",
        is_multiple=is_multiple,
        select_count=select_count if is_multiple else 1,
        options=options,
    )


# --- Bulk move ----------------------------------------------------------------------------------


class DomainChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, domain: Domain) -> str:
        return f"{domain.certification.code} · domain {domain.number}: {domain.name}"


class TaskStatementChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, statement: TaskStatement) -> str:
        return f"{statement.domain.certification.code} · {statement.code} {statement.text}"


class QuestionMoveForm(forms.Form):
    domain = DomainChoiceField(
        queryset=Domain.objects.select_related("certification").order_by(
            "certification__code", "number"
        ),
        help_text="Questions of another certification than this domain's are left where they are.",
    )
    task_statement = TaskStatementChoiceField(
        queryset=TaskStatement.objects.select_related("domain__certification").order_by(
            "domain__certification__code", "code"
        ),
        required=False,
        help_text="Optional; it must belong to the domain. Empty clears the task statement.",
    )

    def clean(self):
        cleaned = super().clean()
        domain, statement = cleaned.get("domain"), cleaned.get("task_statement")
        if domain and statement and statement.domain_id != domain.pk:
            self.add_error("task_statement", "This task statement belongs to another domain.")
        return cleaned


# --- List filters -------------------------------------------------------------------------------


class OpenReportsFilter(admin.SimpleListFilter):
    title = "open reports"
    parameter_name = "open_reports"

    def lookups(self, request, model_admin):
        return [("yes", "Has open reports"), ("no", "No open reports")]

    def queryset(self, request, queryset):
        has_open = Exists(
            QuestionReport.objects.filter(
                question=OuterRef("pk"), status=QuestionReport.Status.OPEN
            )
        )
        if self.value() == "yes":
            return queryset.filter(has_open)
        if self.value() == "no":
            return queryset.exclude(has_open)
        return queryset


class FlaggedByStatisticsFilter(admin.SimpleListFilter):
    title = "statistics flags"
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return [("yes", "Flagged"), ("no", "Not flagged")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(statistic__flag_count__gt=0)
        if self.value() == "no":
            return queryset.exclude(statistic__flag_count__gt=0)
        return queryset


class DomainListFilter(admin.RelatedFieldListFilter):
    """Domain names include their certification's code: read both in one query."""

    def field_choices(self, field, request, model_admin):
        return [
            (domain.pk, str(domain))
            for domain in Domain.objects.select_related("certification").order_by(
                "certification__code", "number"
            )
        ]


class TaskStatementListFilter(admin.RelatedFieldListFilter):
    def field_choices(self, field, request, model_admin):
        return [
            (statement.pk, f"{statement.domain.certification.code} {statement.code}")
            for statement in TaskStatement.objects.select_related("domain__certification").order_by(
                "domain__certification__code", "code"
            )
        ]


# --- Question admin -----------------------------------------------------------------------------


def _revision_text(snapshot: dict) -> str:
    """A revision as the bank file of that one question (the format instructors know)."""
    try:
        return dump_bank_text([parse_entry(snapshot)])
    except BankFormatError:
        return json.dumps(snapshot, indent=2, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: str  # "add", "remove", "hunk" or "context"
    text: str


def revision_diff(previous: dict | None, current: dict) -> list[DiffLine]:
    """The YAML of `current` against the revision before it (all lines added for the first)."""
    old = _revision_text(previous).splitlines() if previous is not None else []
    lines = []
    for line in difflib.unified_diff(old, _revision_text(current).splitlines(), lineterm="", n=3):
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "add", "-": "remove", "@": "hunk"}.get(line[:1], "context")
        lines.append(DiffLine(kind, line))
    return lines


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = [
        "key",
        "short_stem",
        "exam",
        "domain_label",
        "kind",
        "status",
        "origin",
        "facility",
        "discrimination",
        "open_reports",
    ]
    list_filter = [
        "certification",
        ("domain", DomainListFilter),
        ("task_statement", TaskStatementListFilter),
        "services",
        "status",
        "origin",
        "kind",
        "template",
        OpenReportsFilter,
        FlaggedByStatisticsFilter,
        NoteUploadFilter,
    ]
    search_fields = ["key", "stem", "choices__text"]
    list_select_related = ["certification", "domain__certification"]
    autocomplete_fields = ["services", "task_statement"]
    raw_id_fields = ["source_facts"]
    fieldsets = [
        (None, {"fields": ["key", "status", "origin"]}),
        ("What it tests", {"fields": ["certification", "domain", "task_statement", "services"]}),
        ("Question", {"fields": ["kind", "select_count", "stem", "explanation"]}),
        ("Provenance", {"fields": ["template", "source_facts"], "classes": ["collapse"]}),
    ]
    inlines = [ChoiceInline]
    actions = [
        "publish_questions",
        "retire_questions",
        "draft_questions",
        "move_questions",
        "export_as_yaml",
    ]

    @admin.action(description="Export selected as YAML", permissions=["view"])
    def export_as_yaml(self, request, queryset):
        return bank_io.export_selected_as_yaml(self, request, queryset)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        own = [
            path("preview/", wrap(self.preview_view), name=f"{name}_preview"),
            path(
                "<path:object_id>/revisions/<int:number>/",
                wrap(self.revision_view),
                name=f"{name}_revision",
            ),
            path(
                "<path:object_id>/revisions/<int:number>/restore/",
                wrap(self.revision_restore_view),
                name=f"{name}_revision_restore",
            ),
        ]
        # Bank import/export pages (bank_io.py) and the question-keyed rescore page (reports.py)
        # live in their area modules, under this admin's URLs.
        return (
            own
            + bank_io.question_admin_urls(self)
            + reports.question_admin_urls(self)
            + super().get_urls()
        )

    def get_queryset(self, request):
        # Statistics and open reports come with the list's one query (they are sort keys too).
        # Open reports are counted in a subquery: no GROUP BY over the whole bank, and the
        # changelist's COUNT(*) can leave them out.
        open_reports = (
            QuestionReport.objects.filter(
                question=OuterRef("pk"), status=QuestionReport.Status.OPEN
            )
            .order_by()
            .values("question")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                facility_value=F("statistic__facility"),
                discrimination_value=F("statistic__discrimination"),
                open_report_count=Coalesce(Subquery(open_reports), 0),
            )
        )

    # Short forms: the list must leave room for the statistics columns.
    @admin.display(description="Exam", ordering="certification__code")
    def exam(self, question: Question) -> str:
        return question.certification.code

    @admin.display(description="Domain", ordering="domain__number")
    def domain_label(self, question: Question) -> str:
        return f"{question.domain.number}. {question.domain.name}"

    @admin.display(description="Stem")
    def short_stem(self, question: Question) -> str:
        return Truncator(question.stem).chars(90)

    @admin.display(description="Facility", ordering="facility_value")
    def facility(self, question: Question) -> str:
        value = getattr(question, "facility_value", None)
        return "–" if value is None else f"{value:.2f}"

    @admin.display(description="Discrimination", ordering="discrimination_value")
    def discrimination(self, question: Question) -> str:
        value = getattr(question, "discrimination_value", None)
        return "–" if value is None else f"{value:.2f}"

    @admin.display(description="Open reports", ordering="open_report_count")
    def open_reports(self, question: Question) -> str:
        count = getattr(question, "open_report_count", 0)
        if not count:
            return "0"
        try:
            url = reverse("admin:questions_questionreport_changelist")
        except NoReverseMatch:
            return str(count)
        return format_html(
            '<a href="{}?question__id__exact={}&amp;status__exact=open">{}</a>',
            url,
            question.pk,
            count,
        )

    # --- Saving: writes go through questions.services, like the rest of the site -------------

    # save_model defers to save_related, which has the choices the service needs to validate
    # the whole question.
    def save_model(self, request, obj, form, change) -> None:
        pass

    def save_related(self, request, form, formsets, change) -> None:
        choice_formset = next(fs for fs in formsets if isinstance(fs, ChoiceInlineFormSet))
        # Each kept row names its stored choice, so ids (learners' answers) follow the option
        # whatever is deleted or reordered around it.
        choices = [
            ChoiceData(
                f.cleaned_data["text"],
                f.cleaned_data["is_correct"],
                f.cleaned_data["rationale"],
                pk=f.instance.pk,
            )
            for f in choice_formset.kept_forms()
        ]
        relations = {
            "services": form.cleaned_data.get("services", []),
            "source_facts": form.cleaned_data.get("source_facts", []),
        }
        history = {"changed_by": request.user, "change_source": QuestionRevision.Source.ADMIN}
        # The service saved the choices; the admin's history message reads these lists.
        choice_formset.new_objects, choice_formset.changed_objects = [], []
        choice_formset.deleted_objects = []
        if change:
            question_update(
                question=form.instance,
                choices=choices,
                choices_by_id=True,
                **relations,
                **history,
            )
        else:
            created = question_create(
                choices=choices,
                **relations,
                **history,
                **{
                    name: value
                    for name, value in form.cleaned_data.items()
                    if name not in relations
                },
            )
            # The admin logs and redirects with the object it passed to save_model.
            form.instance.pk = created.pk
            form.instance._state.adding = False

    def response_change(self, request, obj):
        if getattr(obj, "key_changed", False):
            self._warn_key_changed(request, obj)
        return super().response_change(request, obj)

    def _warn_key_changed(self, request, question: Question) -> None:
        """Answers already marked stay marked against the old key until rescored: say so."""
        count = question_rescore_count(question)
        if not count:
            return
        messages.warning(
            request,
            format_html(
                "The key changed: {} submitted attempts were marked against the old key. "
                '<a href="{}">Rescore them</a>',
                count,
                reverse("admin:questions_question_rescore", args=[question.pk]),
            ),
        )

    # --- Change page: live preview and edit history --------------------------------------------

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["preview"] = _preview_from_question(obj) if obj is not None else None
        context["preview_url"] = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_preview"
        )
        context["revisions"] = (
            list(QuestionRevision.objects.filter(question=obj).select_related("changed_by"))
            if obj is not None
            else []
        )
        context["can_restore"] = obj is not None and self.has_change_permission(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    @method_decorator(require_POST)
    def preview_view(self, request):
        """The question as the learner would see it, from the unsaved form. Never saves."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        try:
            preview = _preview_from_post(request.POST)
        except PreviewInputError as exc:
            return HttpResponseBadRequest(f"Cannot preview this form: {exc}.")
        return HttpResponse(
            render_to_string(
                "admin/questions/question/_preview.html", {"preview": preview}, request=request
            )
        )

    def _question_or_404(self, request, object_id) -> Question:
        question = get_object_or_404(Question, pk=unquote(object_id))
        if not self.has_view_or_change_permission(request, question):
            raise PermissionDenied
        return question

    def revision_view(self, request, object_id, number):
        """One revision: who, when, how, and its YAML against the revision before it."""
        question = self._question_or_404(request, object_id)
        revision = get_object_or_404(
            QuestionRevision.objects.select_related("changed_by"), question=question, number=number
        )
        previous = (
            QuestionRevision.objects.filter(question=question, number__lt=number)
            .order_by("-number")
            .first()
        )
        latest = question.revisions.order_by("-number").values_list("number", flat=True).first()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{question.key}: revision {revision.number}",
            "question": question,
            "revision": revision,
            "previous": previous,
            "diff": revision_diff(previous.snapshot if previous else None, revision.snapshot),
            "is_latest": revision.number == latest,
            "can_restore": self.has_change_permission(request, question),
        }
        return TemplateResponse(request, "admin/questions/question/revision.html", context)

    @method_decorator(require_POST)
    def revision_restore_view(self, request, object_id, number):
        question = self._question_or_404(request, object_id)
        if not self.has_change_permission(request, question):
            raise PermissionDenied
        revision = get_object_or_404(QuestionRevision, question=question, number=number)
        try:
            restored = question_revision_restore(revision=revision, restored_by=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, f"{question.key} is back as it was in revision {number}.")
            if restored.key_changed:
                self._warn_key_changed(request, restored)
        return HttpResponseRedirect(
            reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[question.pk]
            )
        )

    # --- Bulk actions ---------------------------------------------------------------------------

    def _report_bulk(self, request, result: BulkResult, done: str, refused: str) -> None:
        if result.changed:
            messages.success(request, f"{done} {len(result.changed)} question(s).")
        if result.unchanged:
            messages.info(request, f"{len(result.unchanged)} question(s) were already so.")
        if result.refused:
            messages.error(
                request,
                f"{refused} {len(result.refused)} question(s): " + "; ".join(result.refused),
            )

    def _set_status(self, request, queryset, status: str, done: str, refused: str) -> None:
        result = questions_set_status(questions=queryset, status=status, changed_by=request.user)
        self._report_bulk(request, result, done, refused)

    @admin.action(description="Publish selected questions", permissions=["change"])
    def publish_questions(self, request, queryset):
        self._set_status(request, queryset, Question.Status.PUBLISHED, "Published", "Not published")

    @admin.action(description="Retire selected questions", permissions=["change"])
    def retire_questions(self, request, queryset):
        self._set_status(request, queryset, Question.Status.RETIRED, "Retired", "Not retired")

    @admin.action(description="Send selected questions back to draft", permissions=["change"])
    def draft_questions(self, request, queryset):
        self._set_status(
            request, queryset, Question.Status.DRAFT, "Sent back to draft", "Not sent to draft"
        )

    @admin.action(
        description="Move selected questions to another domain / task statement",
        permissions=["change"],
    )
    def move_questions(self, request, queryset):
        """An intermediate page chooses the target; its form posts back to this action."""
        if "apply" in request.POST:
            form = QuestionMoveForm(request.POST)
            if form.is_valid():
                result = questions_move(
                    questions=queryset,
                    domain=form.cleaned_data["domain"],
                    task_statement=form.cleaned_data["task_statement"],
                    changed_by=request.user,
                )
                self._report_bulk(request, result, "Moved", "Did not move")
                return None
        else:
            form = QuestionMoveForm()
        questions = list(queryset.select_related("certification", "domain").order_by("key"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Move questions to another domain",
            "form": form,
            "questions": questions,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/questions/question/move.html", context)


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
            {
                "fields": [
                    "question_count",
                    "correct_count",
                    "percent",
                    "scaled_score",
                    "passed",
                    "rescored_at",
                ]
            },
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

"""Admin: the triage queue of learners' problem reports, with the "fix the key" page and the
rescoring of affected attempts. Every write goes through questions.services.reports."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.views.decorators.http import require_http_methods

# questions/admin/__init__.py defines its filters before it imports this module at its bottom.
from questions.admin import DomainListFilter
from questions.forms import parse_id
from questions.models import Question, QuestionReport
from questions.selectors import LETTERS, question_rescore_count, question_rescore_preview
from questions.services.reports import (
    KEY_FIXED_NOTE,
    WRONG_KEY_ACCEPT_NEEDS_NOTE,
    RescoreResult,
    attempts_rescore,
    question_key_fix,
    question_report_resolve,
)

DETAILS_EXCERPT_LENGTH = 80
OPEN_FIRST = Case(
    When(status=QuestionReport.Status.OPEN, then=Value(0)),
    default=Value(1),
    output_field=IntegerField(),
)


class QuestionReportChangeForm(forms.ModelForm):
    """An open report is resolved here: accept or reject it, with a note for the learner.
    What the learner wrote is shown read-only."""

    decision = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Leave open"),
            (QuestionReport.Status.ACCEPTED, "Accept"),
            (QuestionReport.Status.REJECTED, "Reject"),
        ],
        widget=forms.RadioSelect,
        help_text=(
            "Accepting a wrong-key report here does not change the key: use “Fix the key”, or "
            "say in the note why the key stays (for example, it was already fixed)."
        ),
    )

    class Meta:
        model = QuestionReport
        fields = ["resolution_note"]

    def clean(self) -> dict:
        data = super().clean()
        if self.instance.status != QuestionReport.Status.OPEN and data.get("decision"):
            raise ValidationError("This report has already been resolved.")
        if data.get("resolution_note") and not data.get("decision"):
            self.add_error("decision", "Accept or reject the report to send this note.")
        if (
            data.get("decision") == QuestionReport.Status.ACCEPTED
            and self.instance.reason == QuestionReport.Reason.WRONG_KEY
            and not data.get("resolution_note", "").strip()
        ):
            self.add_error("resolution_note", WRONG_KEY_ACCEPT_NEEDS_NOTE)
        return data


class KeyFixForm(forms.Form):
    """The question's choices, preset to the current key; the choice-set rules are checked by
    the service (question_key_fix), whose refusal is shown on this form."""

    note = forms.CharField(
        label="Note to the learners who reported",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=f"Optional. Without one they read: “{KEY_FIXED_NOTE}”",
    )

    def __init__(self, *args, question: Question, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = list(question.choices.all())
        options = [(c.pk, f"{LETTERS[i]}. {c.text}") for i, c in enumerate(choices)]
        keyed = [c.pk for c in choices if c.is_correct]
        if question.kind == Question.Kind.SINGLE:
            field = forms.TypedChoiceField(
                label="The correct answer",
                coerce=int,
                choices=options,
                widget=forms.RadioSelect,
                initial=keyed[0] if keyed else None,
                error_messages={"required": "Choose the correct answer."},
            )
        else:
            field = forms.TypedMultipleChoiceField(
                label=f"The {question.select_count} correct answers",
                coerce=int,
                choices=options,
                widget=forms.CheckboxSelectMultiple,
                initial=keyed,
                error_messages={"required": "Choose the correct answers."},
            )
        self.fields["correct"] = field
        self.order_fields(["correct", "note"])

    def correct_choice_ids(self) -> list[int]:
        value = self.cleaned_data["correct"]
        return list(value) if isinstance(value, list) else [value]


def rescore_message(result: RescoreResult) -> str:
    if not result.attempts_changed:
        return (
            f"Rescored {result.attempts_checked} submitted attempt(s): no score changed "
            "(they were already marked against this key)."
        )
    return (
        f"Rescored {result.attempts_checked} submitted attempt(s): {result.attempts_changed} "
        f"changed score ({result.items_changed} answer(s) re-marked); pass/fail changed for "
        f"{result.pass_fail_changed} ({result.now_passing} now pass, "
        f"{result.now_failing} now fail)."
    )


@admin.register(QuestionReport)
class QuestionReportAdmin(admin.ModelAdmin):
    form = QuestionReportChangeForm
    list_display = [
        "created_at",
        "reason",
        "status",
        "question_link",
        "reporter",
        "attempt_summary",
        "details_excerpt",
    ]
    list_filter = [
        "status",
        "reason",
        "question__certification",
        ("question__domain", DomainListFilter),
    ]
    search_fields = ["question__key", "question__stem", "details", "reporter__username"]
    list_select_related = ["question", "reporter", "attempt"]
    # Open reports first (the queue), newest first within each group.
    ordering = [OPEN_FIRST.asc(), "-created_at", "-pk"]
    actions = ["accept_reports", "reject_reports"]
    fieldsets = [
        (
            "The report",
            {
                "fields": [
                    "question_link",
                    "reason",
                    "details",
                    "reporter_name",
                    "attempt_summary",
                    "created_at",
                ]
            },
        ),
        ("Resolution", {"fields": ["status", "decision", "resolution_note"]}),
    ]
    resolved_fieldsets = [
        fieldsets[0],
        (
            "Resolution",
            {"fields": ["status", "resolved_at", "resolved_by_name", "resolution_note"]},
        ),
    ]
    # What the learner wrote, and the report's state, change only through the services.
    readonly_fields = [
        "question_link",
        "reason",
        "details",
        "reporter_name",
        "attempt_summary",
        "created_at",
        "status",
        "resolved_at",
        "resolved_by_name",
    ]

    # Names, not links: instructors have no rights over user accounts (a link would be a 403).
    @admin.display(description="Reporter")
    def reporter_name(self, report: QuestionReport) -> str:
        return report.reporter.get_username()

    @admin.display(description="Resolved by")
    def resolved_by_name(self, report: QuestionReport) -> str:
        return report.resolved_by.get_username() if report.resolved_by else "–"

    def get_fieldsets(self, request, obj=None):
        if obj is not None and obj.status != QuestionReport.Status.OPEN:
            return self.resolved_fieldsets
        return self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != QuestionReport.Status.OPEN:
            return [*self.readonly_fields, "resolution_note"]
        return self.readonly_fields

    def has_add_permission(self, request) -> bool:
        return False  # learners file reports from the review page

    # --- columns ---------------------------------------------------------------------------

    @admin.display(description="Question", ordering="question__key")
    def question_link(self, report: QuestionReport) -> str:
        url = reverse("admin:questions_question_change", args=[report.question_id])
        return format_html('<a href="{}">{}</a>', url, report.question.key)

    @admin.display(description="Attempt")
    def attempt_summary(self, report: QuestionReport) -> str:
        attempt = report.attempt
        if attempt is None:
            return "—"
        return f"#{attempt.pk} · {attempt.get_mode_display()} · {attempt.get_status_display()}"

    @admin.display(description="Details")
    def details_excerpt(self, report: QuestionReport) -> str:
        return Truncator(" ".join(report.details.split())).chars(DETAILS_EXCERPT_LENGTH)

    # --- writes through the services ---------------------------------------------------------

    def save_model(self, request, obj, form, change) -> None:
        decision = form.cleaned_data.get("decision")
        obj.resolved_now = bool(decision)
        if decision:
            question_report_resolve(
                report=obj,
                status=decision,
                resolved_by=request.user,
                note=form.cleaned_data.get("resolution_note", ""),
            )
            obj.refresh_from_db()

    def response_change(self, request, obj):
        if getattr(obj, "resolved_now", False):
            return super().response_change(request, obj)
        # "Leave open" (or saving a resolved report) writes nothing: do not say it changed.
        self.message_user(
            request, f"Nothing was changed: “{obj}” is still {obj.get_status_display().lower()}."
        )
        if "_continue" in request.POST:
            return HttpResponseRedirect(request.path)
        return HttpResponseRedirect(reverse("admin:questions_questionreport_changelist"))

    def _resolve_selected(self, request, queryset, status: str) -> None:
        open_reports = list(queryset.open())
        wrong_key = []
        if status == QuestionReport.Status.ACCEPTED:
            # Accepting tells the learner the key was wrong; only a key fix makes that true.
            wrong_key = [r for r in open_reports if r.reason == QuestionReport.Reason.WRONG_KEY]
            open_reports = [r for r in open_reports if r not in wrong_key]
        for report in open_reports:
            question_report_resolve(report=report, status=status, resolved_by=request.user)
        already = queryset.count() - len(open_reports) - len(wrong_key)
        verb = "accepted" if status == QuestionReport.Status.ACCEPTED else "rejected"
        self.message_user(request, f"{len(open_reports)} report(s) {verb}.", messages.SUCCESS)
        if wrong_key:
            self.message_user(
                request,
                f"{len(wrong_key)} wrong-key report(s) were left open: accept each with “Fix "
                "the key” on its page (or there, with a note, if the key is already right).",
                messages.WARNING,
            )
        if already:
            self.message_user(
                request,
                f"{already} report(s) were already resolved and were left as they were.",
                messages.WARNING,
            )

    @admin.action(description="Accept the selected open reports", permissions=["change"])
    def accept_reports(self, request, queryset) -> None:
        self._resolve_selected(request, queryset, QuestionReport.Status.ACCEPTED)

    @admin.action(description="Reject the selected open reports", permissions=["change"])
    def reject_reports(self, request, queryset) -> None:
        self._resolve_selected(request, queryset, QuestionReport.Status.REJECTED)

    # --- fix the key, rescore -----------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/fix-key/",
                self.admin_site.admin_view(self.fix_key_view),
                name="{}_{}_fix_key".format(*info),
            ),
            path(
                "<path:object_id>/rescore/",
                self.admin_site.admin_view(self.rescore_view),
                name="{}_{}_rescore".format(*info),
            ),
            *super().get_urls(),
        ]

    def can_fix_key(self, request, report: QuestionReport) -> bool:
        return (
            report.reason == QuestionReport.Reason.WRONG_KEY
            and report.status != QuestionReport.Status.REJECTED
            and self.has_change_permission(request, report)
            and request.user.has_perm("questions.change_question")
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        report = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "can_fix_key": report is not None and self.can_fix_key(request, report),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _report_for_key_fix(self, request, object_id) -> QuestionReport:
        report = self.get_object(request, object_id)
        if report is None:
            raise Http404("No such report.")
        if not self.can_fix_key(request, report):
            raise PermissionDenied
        return report

    def _page_context(self, request, report: QuestionReport, title: str) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": report,
            "report": report,
            "question": report.question,
            "title": title,
            "rescore_count": question_rescore_count(report.question),
            "change_url": reverse("admin:questions_questionreport_change", args=[report.pk]),
            "question_url": reverse("admin:questions_question_change", args=[report.question_id]),
        }

    def fix_key_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Fix the key in one step: change which choices are correct and accept the report
        (and the other open wrong-key reports on the question); then offer rescoring."""
        report = self._report_for_key_fix(request, object_id)
        question = report.question
        form = KeyFixForm(request.POST if request.method == "POST" else None, question=question)
        if request.method == "POST" and form.is_valid():
            try:
                question_key_fix(
                    question=question,
                    correct_choice_ids=form.correct_choice_ids(),
                    fixed_by=request.user,
                    report=report,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as refused:
                form.add_error(None, refused.messages)
            else:
                messages.success(
                    request,
                    f"The key of {question.key} is fixed and the wrong-key reports on it are "
                    "accepted. Rescore the attempts that answered it to update learners' scores.",
                )
                return HttpResponseRedirect(question_rescore_url(question.pk, report=report))
        context = self._page_context(request, report, f"Fix the key of {question.key}")
        context.update(
            form=form,
            choices=list(question.choices.all()),
            other_open=QuestionReport.objects.open()
            .filter(question=question, reason=QuestionReport.Reason.WRONG_KEY)
            .exclude(pk=report.pk)
            .count(),
        )
        return TemplateResponse(
            request,
            "admin/questions/questionreport/fix_key.html",
            context,
            status=400 if form.errors else 200,
        )

    def rescore_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Rescoring is per question: the question's rescore page, coming back to the report."""
        report = self.get_object(request, object_id)
        if report is None:
            raise Http404("No such report.")
        return HttpResponseRedirect(question_rescore_url(report.question_id, report=report))


# --- Rescore a question's attempts (under the question admin's URLs) ------------------------------


def question_rescore_url(question_id: int, *, report: QuestionReport | None = None) -> str:
    url = reverse("admin:questions_question_rescore", args=[question_id])
    return f"{url}?report={report.pk}" if report is not None else url


def question_admin_urls(model_admin) -> list:
    """Pages of this area under the question admin: QuestionAdmin.get_urls includes them."""

    @require_http_methods(["GET", "POST"])
    def rescore_view(request: HttpRequest, question_id: int) -> HttpResponse:
        return question_rescore_view(model_admin, request, question_id)

    return [
        path(
            "<int:question_id>/rescore/",
            model_admin.admin_site.admin_view(rescore_view),
            name="questions_question_rescore",
        )
    ]


def question_rescore_view(model_admin, request: HttpRequest, question_id: int) -> HttpResponse:
    """What rescoring would change, then (POST) re-mark every submitted attempt with the
    question against its current key. Anyone who may change questions may rescore: a key
    change by any route calls for it."""
    question = get_object_or_404(Question, pk=question_id)
    if not model_admin.has_view_or_change_permission(request, question):
        raise PermissionDenied
    can_rescore = model_admin.has_change_permission(request, question)
    # Coming from a report: go back to it afterwards (only a report on this very question).
    report_id = parse_id(request.GET.get("report", ""))
    report = (
        QuestionReport.objects.filter(pk=report_id, question=question).first()
        if report_id is not None
        else None
    )
    back_url = (
        reverse("admin:questions_questionreport_change", args=[report.pk])
        if report is not None
        else reverse("admin:questions_question_change", args=[question.pk])
    )
    if request.method == "POST":
        if not can_rescore:
            raise PermissionDenied
        result = attempts_rescore(question=question)
        messages.success(request, rescore_message(result))
        return HttpResponseRedirect(back_url)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"Rescore the attempts with {question.key}",
        "question": question,
        "report": report,
        "preview": question_rescore_preview(question),
        "can_rescore": can_rescore,
        "back_url": back_url,
    }
    return TemplateResponse(request, "admin/questions/question/rescore.html", context)

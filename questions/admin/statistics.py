"""Admin: item statistics for instructors, worst items first, and difficulty by domain and
service. Read-only: the numbers are recomputed by `item_statistics_refresh` (after every
submitted attempt, and by `manage.py refresh_item_statistics`); definitions in
`questions.statistics`."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch, Q
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.views.decorators.http import require_GET

from notes.models import Certification

# The package defines its list filters before importing this module (at its bottom), so they
# are there to import; the domain filter reads every domain with its certification in one query.
from questions.admin import DomainListFilter
from questions.models import Choice, ItemStatistic
from questions.selectors import LETTERS, DifficultyRow, difficulty_overview
from questions.statistics import (
    FLAG_ORDER,
    MIN_ANSWERS_FOR_FLAGS,
    TOO_EASY_ABOVE,
    TOO_HARD_BELOW,
)

FLAG_LABELS = dict(ItemStatistic.Flag.choices)


class FlagFilter(admin.SimpleListFilter):
    title = "flag"
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return [("any", "Any flag"), *ItemStatistic.Flag.choices]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "any":
            return queryset.flagged()
        if value in FLAG_LABELS:
            # Flags are stored in a fixed order without repeats, so a code sits at one of the
            # first len(FLAG_ORDER) positions; index lookups work on SQLite and PostgreSQL
            # alike (JSON "contains" does not exist on SQLite).
            at_any_position = Q()
            for index in range(len(FLAG_ORDER)):
                at_any_position |= Q(**{f"flags__{index}": value})
            return queryset.filter(at_any_position)
        return queryset


class AnswersFilter(admin.SimpleListFilter):
    title = "answers"
    parameter_name = "answers"

    def lookups(self, request, model_admin):
        return [
            ("enough", f"{MIN_ANSWERS_FOR_FLAGS} or more (flags apply)"),
            ("few", f"1 to {MIN_ANSWERS_FOR_FLAGS - 1}"),
            ("none", "None yet"),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "enough":
                return queryset.filter(answered__gte=MIN_ANSWERS_FOR_FLAGS)
            case "few":
                return queryset.filter(answered__gt=0, answered__lt=MIN_ANSWERS_FOR_FLAGS)
            case "none":
                return queryset.filter(answered=0)
        return queryset


def _signed(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:+.2f}".replace("-", "−")


@admin.register(ItemStatistic)
class ItemStatisticAdmin(admin.ModelAdmin):
    """Worst items first: flagged ones (most flags first), then the hardest; items nobody has
    answered yet last."""

    list_display = [
        "question_link",
        "certification",
        "domain",
        "answered",
        "facility_display",
        "discrimination_display",
        "flag_labels",
        "option_summary",
    ]
    # The question column links to the question; the option summary to this item's details.
    list_display_links = ["option_summary"]
    list_filter = [
        FlagFilter,
        "question__certification",
        ("question__domain", DomainListFilter),
        AnswersFilter,
    ]
    search_fields = ["question__key", "question__stem"]
    ordering = [
        "-flag_count",
        F("facility").asc(nulls_last=True),
        F("discrimination").asc(nulls_last=True),
    ]
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["question_link", "certification", "domain", "computed_at"]}),
        (
            "Answers",
            {
                "fields": [
                    "answered",
                    "correct",
                    "facility_display",
                    "discrimination_display",
                    "flag_labels",
                ]
            },
        ),
        ("Options", {"fields": ["option_table"]}),
    ]
    readonly_fields = [
        "question_link",
        "certification",
        "domain",
        "computed_at",
        "answered",
        "correct",
        "facility_display",
        "discrimination_display",
        "flag_labels",
        "option_table",
    ]
    actions = None

    def get_queryset(self, request):
        choices = Choice.objects.only("pk", "question_id", "position", "is_correct", "text")
        return (
            super()
            .get_queryset(request)
            .select_related("question__certification", "question__domain")
            .prefetch_related(Prefetch("question__choices", queryset=choices))
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        difficulty = self.admin_site.admin_view(self.difficulty_view)
        return [
            path("difficulty/", difficulty, name="questions_itemstatistic_difficulty"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        context = {
            "title": "Item statistics: worst items first",
            **self._definitions_context(),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    @staticmethod
    def _definitions_context() -> dict:
        return {
            "min_answers_for_flags": MIN_ANSWERS_FOR_FLAGS,
            "too_hard_below": TOO_HARD_BELOW,
            "too_easy_above": TOO_EASY_ABOVE,
        }

    # --- Columns ---------------------------------------------------------------------------

    @admin.display(description="Question", ordering="question__key")
    def question_link(self, statistic: ItemStatistic) -> str:
        question = statistic.question
        url = reverse("admin:questions_question_change", args=[question.pk])
        stem = Truncator(question.stem).chars(70)
        return format_html('<a href="{}">{}</a><br><small>{}</small>', url, question.key, stem)

    @admin.display(description="Certification", ordering="question__certification__code")
    def certification(self, statistic: ItemStatistic) -> str:
        return statistic.question.certification.code

    @admin.display(description="Domain", ordering="question__domain__number")
    def domain(self, statistic: ItemStatistic) -> str:
        domain = statistic.question.domain
        return f"{domain.number}. {domain.name}"

    @admin.display(description="Facility", ordering=F("facility").asc(nulls_last=True))
    def facility_display(self, statistic: ItemStatistic) -> str:
        return "–" if statistic.facility is None else f"{statistic.facility:.2f}"

    @admin.display(description="Discrimination", ordering=F("discrimination").asc(nulls_last=True))
    def discrimination_display(self, statistic: ItemStatistic) -> str:
        return _signed(statistic.discrimination)

    @admin.display(description="Flags", ordering="flag_count")
    def flag_labels(self, statistic: ItemStatistic) -> str:
        if not statistic.flags:
            return "–"
        return format_html_join(
            "", "<div>{}</div>", ((FLAG_LABELS.get(code, code),) for code in statistic.flags)
        )

    def _options(self, statistic: ItemStatistic) -> list[tuple[str, bool, int, str]]:
        """(letter, correct, times chosen, text) per option, in the bank's order."""
        choices = sorted(statistic.question.choices.all(), key=lambda choice: choice.position)
        return [
            (
                LETTERS[index],
                choice.is_correct,
                statistic.option_counts.get(str(choice.pk), 0),
                choice.text,
            )
            for index, choice in enumerate(choices)
        ]

    @admin.display(description="Times each option was chosen (✓ keyed)")
    def option_summary(self, statistic: ItemStatistic) -> str:
        return " · ".join(
            f"{letter}{' ✓' if correct else ''} {count}"
            for letter, correct, count, _ in self._options(statistic)
        )

    @admin.display(description="Options")
    def option_table(self, statistic: ItemStatistic) -> str:
        rows = format_html_join(
            "",
            "<tr><th scope='row'>{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (letter, "keyed" if correct else "distractor", count, text)
                for letter, correct, count, text in self._options(statistic)
            ),
        )
        return format_html(
            "<table><thead><tr><th scope='col'>Option</th><th scope='col'>Role</th>"
            "<th scope='col'>Chosen</th><th scope='col'>Text</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            rows,
        )

    # --- Difficulty by domain and service ----------------------------------------------------

    def difficulty_view(self, request):
        return _difficulty_view(request, model_admin=self)


class DifficultyFilterForm(forms.Form):
    certification = forms.ModelChoiceField(
        queryset=Certification.objects.order_by("code"),
        to_field_name="code",
        required=False,
        empty_label="All certifications",
    )


CHART_WIDTH = 640
BAR_WIDTH = 560
ROW_HEIGHT = 40
BAR_HEIGHT = 14
CHART_TOP = 22
SERVICES_CHARTED = 20


@dataclass(frozen=True, slots=True)
class FacilityBar:
    label: str
    facility: float | None
    answers: int
    y_text: int
    y_bar: int
    y_value: int
    width: float
    outside: bool  # mean facility beyond a flag threshold
    tick_top: int  # the threshold lines cross the bar, not the label above it
    tick_bottom: int


@dataclass(frozen=True, slots=True)
class FacilityChart:
    bars: list[FacilityBar]
    width: int
    height: int
    bar_width: int
    bar_height: int
    value_x: int
    hard_x: float
    easy_x: float


def facility_chart(rows: list[DifficultyRow]) -> FacilityChart:
    """Horizontal bars of mean facility (0 to 1) with the too-hard and too-easy lines."""
    bars = []
    for index, row in enumerate(rows):
        top = CHART_TOP + index * ROW_HEIGHT
        value = row.mean_facility
        bars.append(
            FacilityBar(
                label=f"{row.key} · {row.label}",
                facility=value,
                answers=row.answers,
                y_text=top + 12,
                y_bar=top + 17,
                y_value=top + 17 + BAR_HEIGHT - 2,
                width=0 if value is None else round(BAR_WIDTH * value, 1),
                outside=value is not None and not TOO_HARD_BELOW <= value <= TOO_EASY_ABOVE,
                tick_top=top + 17 - 3,
                tick_bottom=top + 17 + BAR_HEIGHT + 3,
            )
        )
    return FacilityChart(
        bars=bars,
        width=CHART_WIDTH,
        height=CHART_TOP + len(bars) * ROW_HEIGHT + 4,
        bar_width=BAR_WIDTH,
        bar_height=BAR_HEIGHT,
        value_x=BAR_WIDTH + 8,
        hard_x=round(BAR_WIDTH * TOO_HARD_BELOW, 1),
        easy_x=round(BAR_WIDTH * TOO_EASY_ABOVE, 1),
    )


@require_GET
def _difficulty_view(request, *, model_admin: ItemStatisticAdmin):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    form = DifficultyFilterForm(request.GET or None)
    certification = form.cleaned_data["certification"] if form.is_valid() else None
    overview = difficulty_overview(certification)
    charted_services = [row for row in overview.services if row.mean_facility is not None]
    context = {
        **model_admin.admin_site.each_context(request),
        **model_admin._definitions_context(),
        "opts": model_admin.model._meta,
        "title": "Difficulty by domain and service",
        "subtitle": certification.code if certification else "All certifications",
        "form": form,
        "overview": overview,
        "domain_chart": facility_chart(overview.domains),
        "service_chart": facility_chart(charted_services[:SERVICES_CHARTED]),
        "services_charted": min(len(charted_services), SERVICES_CHARTED),
    }
    return TemplateResponse(request, "admin/questions/itemstatistic/difficulty.html", context)

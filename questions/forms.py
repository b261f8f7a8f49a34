"""Forms for accounts, starting attempts and answering questions.

Answer forms only check what the request says (integers; for navigation, that the options
belong to the question and the count is right); the services check again before writing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from notes.models import Certification, Domain
from questions.models import Question, QuestionReport
from questions.selectors import ItemForAnswer

PRACTICE_MIN_QUESTIONS = 5
PRACTICE_MAX_QUESTIONS = 65
PRACTICE_DEFAULT_QUESTIONS = 10
PRACTICE_MAX_MINUTES = 240
EXTRA_MINUTES = 30
NUMBER_WORDS = {1: "ONE", 2: "TWO", 3: "THREE", 4: "FOUR", 5: "FIVE", 6: "SIX"}


def number_word(count: int) -> str:
    return NUMBER_WORDS.get(count, str(count))


def choose_message(select_count: int) -> str:
    return f"Choose {number_word(select_count)} options, or clear your selection."


class SignUpForm(UserCreationForm):
    email = forms.EmailField(
        required=True,
        help_text="For resetting your password. We send nothing else.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(
                "An account already uses this e-mail address. Log in, or reset its password.",
                code="duplicate_email",
            )
        return email


class _CertificationChoiceField(forms.ChoiceField):
    widget = forms.HiddenInput


class _StartForm(forms.Form):
    """Common to both start forms: the certification, chosen among those given."""

    certification = _CertificationChoiceField()

    def __init__(self, *args, certifications: Sequence[Certification], **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.certifications = {c.code: c for c in certifications}
        self.fields["certification"].choices = [(code, code) for code in self.certifications]

    def clean_certification(self) -> Certification:
        return self.certifications[self.cleaned_data["certification"]]


class MockExamForm(_StartForm):
    class Timing:
        STANDARD = "standard"
        EXTRA = "extra"
        UNTIMED = "untimed"

    timing = forms.ChoiceField(
        choices=[
            (Timing.STANDARD, "Standard time"),
            (Timing.EXTRA, f"Extra time (+{EXTRA_MINUTES} minutes)"),
            (Timing.UNTIMED, "Untimed"),
        ],
        initial=Timing.STANDARD,
        widget=forms.RadioSelect,
    )

    def service_arguments(self) -> dict:
        timing = self.cleaned_data["timing"]
        return {
            "certification": self.cleaned_data["certification"],
            "extra_minutes": EXTRA_MINUTES if timing == self.Timing.EXTRA else 0,
            "timed": timing != self.Timing.UNTIMED,
        }


class PracticeSetForm(_StartForm):
    class Timing:
        UNTIMED = "untimed"
        TIMED = "timed"

    domains = forms.TypedMultipleChoiceField(
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one domain."},
    )
    question_count = forms.IntegerField(
        label="Number of questions",
        min_value=PRACTICE_MIN_QUESTIONS,
        max_value=PRACTICE_MAX_QUESTIONS,
        initial=PRACTICE_DEFAULT_QUESTIONS,
        help_text=f"{PRACTICE_MIN_QUESTIONS} to {PRACTICE_MAX_QUESTIONS}.",
    )
    timing = forms.ChoiceField(
        choices=[(Timing.UNTIMED, "Untimed"), (Timing.TIMED, "Timed")],
        initial=Timing.UNTIMED,
        widget=forms.RadioSelect,
    )
    minutes = forms.IntegerField(
        label="Time limit in minutes",
        min_value=1,
        max_value=PRACTICE_MAX_MINUTES,
        required=False,
        help_text="Only for a timed set.",
    )
    instant_feedback = forms.BooleanField(
        label="Instant feedback: show the answer and explanation after each question",
        required=False,
        initial=True,
    )

    def __init__(self, *args, certifications: Sequence[Certification], **kwargs) -> None:
        super().__init__(*args, certifications=certifications, **kwargs)
        self.domains_by_id: dict[int, Domain] = {
            d.pk: d for c in certifications for d in c.domains.all()
        }
        self.fields["domains"].choices = [
            (d.pk, self._domain_label(d)) for d in self.domains_by_id.values()
        ]

    @staticmethod
    def _domain_label(domain: Domain) -> str:
        label = f"{domain.number}. {domain.name}"
        published = getattr(domain, "published", None)  # from certifications_for_practice()
        return label if published is None else f"{label} ({published} questions)"

    def clean(self) -> dict:
        data = super().clean()
        certification = data.get("certification")
        if certification is not None and "domains" in data:
            domains = [self.domains_by_id[pk] for pk in data["domains"]]
            if any(d.certification_id != certification.pk for d in domains):
                self.add_error("domains", "Choose domains of this exam.")
            else:
                data["domains"] = sorted(domains, key=lambda d: d.number)
        if data.get("timing") == self.Timing.TIMED and not data.get("minutes"):
            self.add_error("minutes", "Give a time limit in minutes, or choose untimed.")
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "certification": data["certification"],
            "domains": data["domains"],
            "question_count": data["question_count"],
            "minutes": data["minutes"] if data["timing"] == self.Timing.TIMED else None,
            "instant_feedback": data["instant_feedback"],
        }


class ChoiceIdsField(forms.Field):
    """A list of option ids from checkboxes or a radio group: integers, no duplicates."""

    default_error_messages = {"invalid": "Choose from the options shown."}

    def to_python(self, value) -> list[int]:
        if value in (None, "", [], ()):
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        try:
            ids = [int(str(v).strip()) for v in value]
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        return list(dict.fromkeys(ids))


class AnswerForm(forms.Form):
    """An answer saved as it is chosen. The service checks the ids belong to the question."""

    choice = ChoiceIdsField(required=False, widget=forms.SelectMultiple)


class FlagForm(forms.Form):
    flagged = forms.TypedChoiceField(
        choices=[("1", "Flag"), ("0", "Unflag")], coerce=lambda v: v == "1"
    )


class NavigationForm(forms.Form):
    """The question page's own form: save the answer, then move. Refuses a multiple-response
    selection that is neither empty nor exactly the number the question asks for."""

    class Action:
        NEXT = "next"
        PREVIOUS = "prev"
        REVIEW = "review"
        CHECK = "check"
        CLEAR = "clear"
        STAY = "stay"

    choice = ChoiceIdsField(required=False, widget=forms.SelectMultiple)
    action = forms.ChoiceField(
        required=False,
        choices=[
            (Action.NEXT, "Next"),
            (Action.PREVIOUS, "Previous"),
            (Action.REVIEW, "Review"),
            (Action.CHECK, "Check answer"),
            (Action.CLEAR, "Clear answer"),
            (Action.STAY, "Save"),
        ],
    )
    goto = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args, item: ItemForAnswer, total: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.item = item
        self.total = total

    def clean_goto(self) -> int | None:
        goto = self.cleaned_data["goto"]
        if goto is not None and goto > self.total:
            raise ValidationError(f"There are {self.total} questions.", code="max_value")
        return goto

    @property
    def tampered(self) -> bool:
        """Option ids that are not integers or not this question's: a 400, not a form error."""
        errors = self.errors.as_data().get("choice", [])
        return any(error.code in {"invalid", "foreign"} for error in errors)

    def clean_choice(self) -> list[int]:
        chosen = self.cleaned_data["choice"]
        if not set(chosen) <= set(self.item.choice_ids):
            raise ValidationError("That option does not belong to this question.", code="foreign")
        return chosen

    def clean(self) -> dict:
        data = super().clean()
        chosen = data.get("choice")
        if chosen is None:
            return data
        if data.get("action") == self.Action.CLEAR:
            data["choice"] = []
            return data
        count, wanted = len(chosen), self.item.select_count
        if self.item.kind == Question.Kind.SINGLE and count > 1:
            self.add_error("choice", ValidationError("Choose one option.", code="count"))
        elif self.item.kind == Question.Kind.MULTIPLE and count not in (0, wanted):
            self.add_error("choice", ValidationError(choose_message(wanted), code="count"))
        elif data.get("action") == self.Action.CHECK and count != wanted:
            message = (
                "Choose an option to check your answer."
                if wanted == 1
                else f"Choose {number_word(wanted)} options to check your answer."
            )
            self.add_error("choice", ValidationError(message, code="count"))
        return data

    def target(self) -> int | str:
        """Where to go after saving: a position, or "review"."""
        data = self.cleaned_data
        position = self.item.position
        if data.get("goto"):
            return data["goto"]
        action = data.get("action") or self.Action.STAY
        if action == self.Action.NEXT:
            return position + 1 if position < self.total else "review"
        if action == self.Action.PREVIOUS:
            return max(position - 1, 1)
        if action == self.Action.REVIEW:
            return "review"
        return position


class SubmitForm(forms.Form):
    confirm = forms.BooleanField(
        required=True, error_messages={"required": "Confirm that you want to submit."}
    )


class ReviewFilterForm(forms.Form):
    show = forms.ChoiceField(
        required=False, choices=[("all", "All"), ("wrong", "Wrong"), ("flagged", "Flagged")]
    )


REPORT_DETAILS_MAX_LENGTH = 2000


class ProblemReportForm(forms.Form):
    """A learner's report of a problem with one question of the answer review. `position` says
    which question; the view checks it belongs to the attempt and its answer has been shown."""

    position = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    show = forms.ChoiceField(
        required=False,
        choices=ReviewFilterForm.base_fields["show"].choices,
        widget=forms.HiddenInput,
    )
    reason = forms.ChoiceField(
        label="What is wrong?",
        choices=QuestionReport.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what is wrong with the question."},
    )
    details = forms.CharField(
        label="Details (optional)",
        required=False,
        max_length=REPORT_DETAILS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you think the answer should be, and why (a link helps).",
    )

    def __init__(self, *args, position: int | None = None, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        if position is not None:
            kwargs.setdefault("auto_id", f"report-{position}-%s")
        super().__init__(*args, **kwargs)

    @property
    def tampered(self) -> bool:
        """A missing or foreign question reference or filter: a 400, not a form error."""
        return bool({"position", "show"} & set(self.errors))

    @classmethod
    def for_review(
        cls, *, show: str, bound: ProblemReportForm | None = None
    ) -> Callable[[int], ProblemReportForm]:
        """Builds each card's form on the answer review: a blank one, or for the card it was
        posted from, the refused post with its errors and what the learner typed."""
        bound_position = bound.cleaned_data.get("position") if bound is not None else None

        def build(position: int) -> ProblemReportForm:
            if bound is not None and position == bound_position:
                return bound
            return cls(position=position, initial={"position": position, "show": show})

        return build


def parse_id(raw: str) -> int | None:
    """A row id from a query string or hidden field, or None when it cannot be one: ASCII
    digits only ("²".isdigit() is true) and short enough for a 64-bit column."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None

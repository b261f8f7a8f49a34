"""The question bank (questions, choices) and learners' attempts at exams built from it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from notes.models import Certification, Domain, Fact, Service, TaskStatement

SINGLE_ANSWER_MIN_CHOICES = 4
MULTIPLE_RESPONSE_EXTRA_CHOICES = 2  # at least select_count + 2 options, as on the real exam


@dataclass(frozen=True, slots=True)
class ChoiceSpec:
    """What the choice-set rule needs to know of one option (form row, YAML item or model)."""

    text: str
    is_correct: bool


def validate_choice_set(*, kind: str, select_count: int, choices: Sequence[ChoiceSpec]) -> None:
    """Rules across a question's choices, shared by services, the admin and the bank importer."""
    errors: list[str] = []
    correct = sum(1 for choice in choices if choice.is_correct)
    texts = [" ".join(choice.text.split()).casefold() for choice in choices]
    if kind == Question.Kind.SINGLE:
        if correct != 1:
            errors.append(
                f"A single-answer question has exactly one correct choice, not {correct}."
            )
        if len(choices) < SINGLE_ANSWER_MIN_CHOICES:
            errors.append(
                f"A single-answer question has at least {SINGLE_ANSWER_MIN_CHOICES} choices, "
                f"not {len(choices)}."
            )
    else:
        if correct != select_count:
            errors.append(
                f"A choose-{select_count} question has exactly {select_count} correct choices, "
                f"not {correct}."
            )
        minimum = select_count + MULTIPLE_RESPONSE_EXTRA_CHOICES
        if len(choices) < minimum:
            errors.append(
                f"A choose-{select_count} question has at least {minimum} choices, "
                f"not {len(choices)}."
            )
    if any(not text for text in texts):
        errors.append("Every choice has text.")
    if len(set(texts)) != len(texts):
        errors.append("Two choices have the same text.")
    if errors:
        raise ValidationError(errors, code="choice_set")


class QuestionQuerySet(models.QuerySet):
    def published(self) -> QuestionQuerySet:
        return self.filter(status=Question.Status.PUBLISHED)

    def for_certification(self, certification: Certification) -> QuestionQuerySet:
        return self.filter(certification=certification)


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "Multiple choice (one answer)"
        MULTIPLE = "multiple", "Multiple response"

    class Origin(models.TextChoices):
        GENERATED = "generated", "Generated from notes"
        AUTHORED = "authored", "Authored by an instructor"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"
        STALE = "stale", "Stale (source facts changed)"

    key = models.CharField(
        max_length=80,
        unique=True,
        validators=[RegexValidator(r"^[a-z0-9][a-z0-9-]*$", "Lowercase letters, digits, dashes.")],
        help_text="Stable key: keeps learners' history linked across regeneration.",
    )
    certification = models.ForeignKey(
        Certification, on_delete=models.PROTECT, related_name="questions"
    )
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="questions")
    task_statement = models.ForeignKey(
        TaskStatement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="questions",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    select_count = models.PositiveSmallIntegerField(
        default=1, help_text="How many choices the learner picks (1 for one answer)."
    )
    stem = models.TextField(help_text="Markdown.")
    explanation = models.TextField(help_text="Markdown; why the keyed answer is right.")
    template = models.CharField(
        max_length=40, blank=True, help_text="Generator template, empty for authored questions."
    )
    services = models.ManyToManyField(Service, related_name="questions", blank=True)
    source_facts = models.ManyToManyField(Fact, related_name="questions", blank=True)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.AUTHORED)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["certification", "domain", "key"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="single") & Q(select_count=1))
                | (Q(kind="multiple") & Q(select_count__gte=2)),
                name="question_select_count_matches_kind",
            ),
        ]
        indexes = [models.Index(fields=["certification", "status", "domain"])]

    def __str__(self) -> str:
        return f"{self.key}: {self.stem[:60]}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.kind == self.Kind.SINGLE and self.select_count != 1:
            errors["select_count"] = "A single-answer question selects exactly 1 choice."
        if self.kind == self.Kind.MULTIPLE and (self.select_count or 0) < 2:
            errors["select_count"] = "A multiple-response question selects at least 2 choices."
        if (
            self.domain_id
            and self.certification_id
            and self.domain.certification_id != self.certification_id
        ):
            errors["domain"] = "This domain belongs to another certification."
        if (
            self.task_statement_id
            and self.domain_id
            and self.task_statement.domain_id != self.domain_id
        ):
            errors["task_statement"] = "This task statement belongs to another domain."
        if errors:
            raise ValidationError(errors)

    def validate_choices(self) -> None:
        choices = [ChoiceSpec(c.text, c.is_correct) for c in self.choices.all()]
        validate_choice_set(kind=self.kind, select_count=self.select_count, choices=choices)


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField(help_text="Order in the bank (exams shuffle).")
    text = models.TextField()
    is_correct = models.BooleanField(default=False)
    rationale = models.TextField(help_text="Why this option is right or wrong.")

    class Meta:
        ordering = ["question", "position"]
        constraints = [
            models.UniqueConstraint(fields=["question", "position"], name="choice_unique_position"),
        ]

    def __str__(self) -> str:
        return self.text[:80]


class AttemptQuerySet(models.QuerySet):
    def for_learner(self, user) -> AttemptQuerySet:
        return self.filter(learner=user)

    def in_progress(self) -> AttemptQuerySet:
        return self.filter(status=Attempt.Status.IN_PROGRESS)

    def expired(self, now) -> AttemptQuerySet:
        return self.in_progress().filter(deadline__lte=now)


class Attempt(models.Model):
    """One sitting of a mock exam or practice set by one learner."""

    class Mode(models.TextChoices):
        MOCK = "mock", "Full mock exam"
        PRACTICE = "practice", "Practice set"

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted", "Submitted"

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts"
    )
    certification = models.ForeignKey(
        Certification, on_delete=models.PROTECT, related_name="attempts"
    )
    mode = models.CharField(max_length=10, choices=Mode.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    instant_feedback = models.BooleanField(default=False)
    domains = models.ManyToManyField(Domain, blank=True, related_name="+")
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True, help_text="Empty when untimed.")
    extra_minutes = models.PositiveSmallIntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)
    auto_submitted = models.BooleanField(default=False, help_text="Submitted at its deadline.")
    current_position = models.PositiveSmallIntegerField(default=1)
    # Filled in at submission.
    correct_count = models.PositiveSmallIntegerField(null=True, blank=True)
    question_count = models.PositiveSmallIntegerField(default=0)
    percent = models.FloatField(null=True, blank=True)
    scaled_score = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)

    objects = AttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__isnull=True) | Q(deadline__gt=models.F("started_at")),
                name="attempt_deadline_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status="in_progress") | Q(submitted_at__isnull=False),
                name="attempt_submitted_has_time",
            ),
        ]
        indexes = [models.Index(fields=["learner", "status"])]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} {self.certification.code} by {self.learner}"


class AttemptQuestion(models.Model):
    """A question as one attempt shows it: its position, option order and the learner's answer."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    choice_order = models.JSONField(help_text="Choice ids in the order this attempt shows them.")
    selected = models.JSONField(default=list, blank=True, help_text="Chosen choice ids.")
    flagged = models.BooleanField(default=False)
    answered_at = models.DateTimeField(null=True, blank=True)
    is_correct = models.BooleanField(null=True, blank=True, help_text="Set at submission.")

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "position"], name="attempt_item_position"),
            models.UniqueConstraint(fields=["attempt", "question"], name="attempt_item_question"),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id} #{self.position}"

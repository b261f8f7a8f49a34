"""The question bank (questions, choices) and learners' attempts at exams built from it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
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
    rescored_at = models.DateTimeField(
        null=True, blank=True, help_text="Last re-marked after an answer key was corrected."
    )

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


class QuestionRevision(models.Model):
    """A question as it stood after one change: who made it, how, and the whole question in the
    bank's YAML entry form, so a bad edit can be seen (compared with the one before) and undone.

    The first change to a question that has no history records its prior state first, so every
    recorded change has a revision to go back to."""

    class Source(models.TextChoices):
        BASELINE = "baseline", "State before the first recorded change"
        ADMIN = "admin", "Admin edit"
        BULK = "bulk", "Bulk action"
        IMPORT = "import", "Bank import"
        GENERATOR = "generator", "Regenerated from notes"
        REPORT = "report", "Key fixed from a learner's report"
        RESTORE = "restore", "Restored an earlier revision"

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(help_text="1 for the oldest revision of this question.")
    snapshot = models.JSONField(help_text="The question as a bank entry (see questions.bank).")
    source = models.CharField(max_length=10, choices=Source.choices)
    summary = models.CharField(max_length=500, blank=True, help_text="What changed, in words.")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["question", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["question", "number"], name="revision_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.question_id} r{self.number}"


class QuestionReportQuerySet(models.QuerySet):
    def open(self) -> QuestionReportQuerySet:
        return self.filter(status=QuestionReport.Status.OPEN)

    def by_learner(self, user) -> QuestionReportQuerySet:
        return self.filter(reporter=user)


class QuestionReport(models.Model):
    """A learner's report of a problem with a question, triaged by instructors."""

    class Reason(models.TextChoices):
        WRONG_KEY = "wrong_key", "The marked answer is wrong"
        AMBIGUOUS = "ambiguous", "More than one answer could be right"
        OUTDATED = "outdated", "Outdated: AWS has changed this"
        TYPO = "typo", "Typo or unclear wording"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="question_reports"
    )
    attempt = models.ForeignKey(
        Attempt,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
        help_text="The attempt the learner was reviewing.",
    )
    reason = models.CharField(max_length=12, choices=Reason.choices)
    details = models.TextField(blank=True, max_length=2000, validators=[MaxLengthValidator(2000)])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution_note = models.TextField(blank=True, help_text="Shown to the learner who reported.")

    objects = QuestionReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One open report per learner and question: a second click is not a second report.
            models.UniqueConstraint(
                fields=["question", "reporter"],
                condition=Q(status="open"),
                name="report_one_open_per_learner",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(resolved_at__isnull=False),
                name="report_resolved_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} on {self.question.key}"


class ItemStatisticQuerySet(models.QuerySet):
    def flagged(self) -> ItemStatisticQuerySet:
        return self.filter(flag_count__gt=0)


class ItemStatistic(models.Model):
    """Classical item analysis of one question over submitted attempts; recomputed by
    `item_statistics_refresh` (after each submission, as a background task)."""

    class Flag(models.TextChoices):
        TOO_HARD = "too_hard", "Too hard (facility below 0.2)"
        TOO_EASY = "too_easy", "Too easy (facility above 0.95)"
        NEGATIVE_DISCRIMINATION = "negative_discrimination", "Negative discrimination"
        DEAD_DISTRACTOR = "dead_distractor", "A distractor nobody chooses"

    question = models.OneToOneField(
        Question, on_delete=models.CASCADE, primary_key=True, related_name="statistic"
    )
    answered = models.PositiveIntegerField(default=0, help_text="Answers in submitted attempts.")
    correct = models.PositiveIntegerField(default=0)
    facility = models.FloatField(null=True, blank=True, help_text="Share answered correctly.")
    discrimination = models.FloatField(
        null=True, blank=True, help_text="Point-biserial: item score against attempt score."
    )
    option_counts = models.JSONField(
        default=dict, blank=True, help_text="Times each choice (by id) was chosen."
    )
    flags = models.JSONField(default=list, blank=True, help_text="Flag codes (30+ answers).")
    flag_count = models.PositiveSmallIntegerField(default=0)
    computed_at = models.DateTimeField()

    objects = ItemStatisticQuerySet.as_manager()

    class Meta:
        ordering = ["-flag_count", "facility"]
        constraints = [
            models.CheckConstraint(
                condition=Q(correct__lte=models.F("answered")), name="statistic_correct_le_answered"
            ),
        ]

    def __str__(self) -> str:
        return f"Statistics of {self.question_id}"


class NoteUploadQuerySet(models.QuerySet):
    def unfinished(self) -> NoteUploadQuerySet:
        return self.filter(status__in=[NoteUpload.Status.QUEUED, NoteUpload.Status.RUNNING])


class NoteUpload(models.Model):
    """A notes file an instructor uploaded: ingested and turned into draft questions by a
    background task. The text is kept here so any worker can process it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Done"
        FAILED = "failed", "Failed"

    name = models.CharField(max_length=255, help_text="File name as uploaded.")
    content = models.TextField(help_text="The file's text (UTF-8).")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="note_uploads",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    task_id = models.CharField(max_length=64, blank=True)
    progress = models.TextField(blank=True, help_text="One line per step, as the task runs.")
    error = models.TextField(blank=True)
    facts_added = models.PositiveIntegerField(default=0)
    questions_drafted = models.PositiveIntegerField(default=0)
    drafted_questions = models.ManyToManyField(
        Question, blank=True, related_name="note_uploads", help_text="Created by this upload."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = NoteUploadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

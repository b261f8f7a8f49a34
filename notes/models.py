"""The knowledge base: exam blueprints, the AWS service catalog, and facts ingested from notes.

Blueprints live here rather than in `questions` because facts are tagged with task statements,
and `questions` depends on `notes`, never the other way round.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q, Sum


class CertificationQuerySet(models.QuerySet):
    def with_blueprint(self) -> CertificationQuerySet:
        """Certifications with their domains and task statements, in two extra queries."""
        return self.prefetch_related(
            models.Prefetch(
                "domains",
                queryset=Domain.objects.order_by("number").prefetch_related("task_statements"),
            )
        )


class Certification(models.Model):
    class Level(models.TextChoices):
        ASSOCIATE = "associate", "Associate"
        PROFESSIONAL = "professional", "Professional"

    code = models.CharField(max_length=20, unique=True, help_text="Exam code, e.g. SAA-C03.")
    name = models.CharField(max_length=200)
    level = models.CharField(max_length=20, choices=Level.choices)
    question_count = models.PositiveSmallIntegerField(help_text="Questions on the exam in all.")
    unscored_count = models.PositiveSmallIntegerField(
        default=0, help_text="Unscored (pilot) questions among them."
    )
    minutes = models.PositiveSmallIntegerField()
    passing_score = models.PositiveSmallIntegerField()
    score_min = models.PositiveSmallIntegerField(default=100)
    score_max = models.PositiveSmallIntegerField(default=1000)

    objects = CertificationQuerySet.as_manager()

    class Meta:
        ordering = ["level", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(question_count__gt=0), name="certification_has_questions"
            ),
            models.CheckConstraint(
                condition=Q(unscored_count__lt=models.F("question_count")),
                name="certification_unscored_below_total",
            ),
            models.CheckConstraint(condition=Q(minutes__gt=0), name="certification_minutes_gt_0"),
            models.CheckConstraint(
                condition=Q(score_min__lt=models.F("score_max")),
                name="certification_score_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(passing_score__gte=models.F("score_min"))
                & Q(passing_score__lte=models.F("score_max")),
                name="certification_passing_score_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def scored_count(self) -> int:
        return self.question_count - self.unscored_count

    def validate_weights(self, weights: list[int] | None = None) -> None:
        """The domain weights of a blueprint add up to 100 (a rule across rows)."""
        if weights is None:
            total = self.domains.aggregate(total=Sum("weight"))["total"] or 0
        else:
            total = sum(weights)
        if total != 100:
            raise ValidationError(
                f"The domain weights of {self.code} add up to {total}%, not 100%.",
                code="weights_sum",
            )


class Domain(models.Model):
    certification = models.ForeignKey(
        Certification, on_delete=models.CASCADE, related_name="domains"
    )
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    weight = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(100)], help_text="Share of the exam, %."
    )

    class Meta:
        ordering = ["certification", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["certification", "number"], name="domain_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=0) & Q(weight__lte=100), name="domain_weight_0_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.certification.code} D{self.number} {self.name}"


class TaskStatement(models.Model):
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="task_statements")
    code = models.CharField(
        max_length=10,
        validators=[RegexValidator(r"^\d+\.\d+$", "Use the form 1.2.")],
        help_text="Domain number, dot, statement number: 1.2.",
    )
    text = models.CharField(max_length=300)

    class Meta:
        ordering = ["domain", "code"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "code"], name="task_statement_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.domain.certification.code} {self.code} {self.text}"

    def clean(self) -> None:
        if self.domain_id and self.code and not self.code.startswith(f"{self.domain.number}."):
            raise ValidationError(
                {
                    "code": f"Task statement codes in domain {self.domain.number} start with "
                    f"{self.domain.number}."
                }
            )


class Service(models.Model):
    class Category(models.TextChoices):
        COMPUTE = "compute", "Compute"
        CONTAINERS = "containers", "Containers"
        SERVERLESS = "serverless", "Serverless"
        STORAGE = "storage", "Storage"
        DATABASE = "database", "Database"
        NETWORKING = "networking", "Networking"
        CONTENT_DELIVERY = "content_delivery", "Content delivery"
        SECURITY = "security", "Security"
        IDENTITY = "identity", "Identity"
        INTEGRATION = "integration", "Application integration"
        ANALYTICS = "analytics", "Analytics"
        MACHINE_LEARNING = "machine_learning", "Machine learning"
        MANAGEMENT = "management", "Management"
        MONITORING = "monitoring", "Monitoring"
        DEVELOPER_TOOLS = "developer_tools", "Developer tools"
        MIGRATION = "migration", "Migration"
        COST_MANAGEMENT = "cost_management", "Cost management"
        END_USER_COMPUTING = "end_user_computing", "End-user computing"
        IOT = "iot", "Internet of Things"
        MEDIA = "media", "Media"
        FRONTEND_MOBILE = "frontend_mobile", "Front-end and mobile"
        GOVERNANCE = "governance", "Governance"

    class Kind(models.TextChoices):
        SERVICE = "service", "Service"
        FEATURE = "feature", "Feature"

    name = models.CharField(max_length=200, unique=True, help_text="Current official name.")
    short_name = models.CharField(max_length=80, unique=True, help_text="What stems use.")
    category = models.CharField(max_length=30, choices=Category.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SERVICE)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="features",
        help_text="For a feature: the service it belongs to.",
    )
    aliases = models.JSONField(default=list, blank=True, help_text="Other names the notes use.")
    former_names = models.JSONField(
        default=list, blank=True, help_text="Retired names; notes that use them still match."
    )
    retired = models.BooleanField(default=False)

    class Meta:
        ordering = ["short_name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="service_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.short_name

    def clean(self) -> None:
        if self.kind == self.Kind.FEATURE and self.parent_id is None:
            raise ValidationError({"parent": "A feature belongs to a service."})
        for field_name in ("aliases", "former_names"):
            value = getattr(self, field_name)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValidationError({field_name: "A list of names."})


class NoteSource(models.Model):
    """One ingested notes file; its content hash makes re-ingestion incremental."""

    path = models.CharField(max_length=500, unique=True, help_text="As given to ingest_notes.")
    name = models.CharField(max_length=255, help_text="File name, shown next to facts.")
    content_hash = models.CharField(max_length=64)
    line_count = models.PositiveIntegerField(default=0)
    ingested_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Section(models.Model):
    source = models.ForeignKey(NoteSource, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveIntegerField(help_text="Order within the file.")
    heading_path = models.JSONField(
        default=list, blank=True, help_text="Headings, outermost first; empty before the first."
    )
    level = models.PositiveSmallIntegerField(default=0)
    line_start = models.PositiveIntegerField()
    line_end = models.PositiveIntegerField()
    raw_markdown = models.TextField(blank=True)

    class Meta:
        ordering = ["source", "position"]
        constraints = [
            models.UniqueConstraint(fields=["source", "position"], name="section_unique_position"),
            models.CheckConstraint(
                condition=Q(line_start__gte=1) & Q(line_end__gte=models.F("line_start")),
                name="section_line_range_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source.name}: {self.heading}"

    @property
    def heading(self) -> str:
        return " › ".join(self.heading_path) or "(top of file)"


class Erratum(models.Model):
    """A correction instructors keep for what older notes state that is no longer true of AWS.

    Ingestion matches errata against facts: a matched fact becomes `outdated`, carries the
    correction, and questions use the corrected value and say so.
    """

    class Change(models.TextChoices):
        VALUE = "value", "Value changed"
        RETIRED = "retired", "Retired"
        RENAMED = "renamed", "Renamed"
        BEHAVIOUR = "behaviour", "Behaviour changed"

    key = models.SlugField(max_length=80, unique=True)
    subject = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="errata"
    )
    attribute = models.CharField(max_length=200, help_text="What changed, e.g. maximum retention.")
    pattern = models.CharField(
        max_length=500, help_text="Regular expression matched (case-insensitive) on statements."
    )
    change = models.CharField(max_length=10, choices=Change.choices, default=Change.VALUE)
    current_value = models.CharField(max_length=300, help_text="What is true today.")
    outdated_value = models.CharField(max_length=300, blank=True, help_text="What notes say.")
    reason = models.CharField(max_length=300, help_text="One line: what changed and when.")
    checked_on = models.DateField(help_text="When this was last checked against AWS docs.")

    class Meta:
        ordering = ["key"]
        verbose_name_plural = "errata"

    def __str__(self) -> str:
        return f"{self.key}: {self.current_value}"

    def clean(self) -> None:
        try:
            re.compile(self.pattern)
        except re.error as exc:
            raise ValidationError({"pattern": f"Not a valid regular expression: {exc}"}) from exc


class FactQuerySet(models.QuerySet):
    def usable(self) -> FactQuerySet:
        """Facts a question may be keyed on: not disputed, not superseded."""
        return self.filter(status=Fact.Status.ACTIVE)


class Fact(models.Model):
    class Kind(models.TextChoices):
        DEFINITION = "definition", "Definition"
        ACRONYM = "acronym", "Acronym expansion"
        GLOSSARY = "glossary", "Glossary entry"
        ATTRIBUTE = "attribute", "Attribute or limit"
        FEATURE = "feature", "Feature"
        USE_CASE = "use_case", "Use case"
        COMPARISON = "comparison", "Comparison"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CONFLICT = "conflict", "Conflicting"
        OUTDATED = "outdated", "Outdated"

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="facts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="facts"
    )
    concept = models.CharField(
        max_length=200, blank=True, help_text="A named concept under the service."
    )
    statement = models.TextField()
    value = models.CharField(max_length=200, blank=True)
    value_number = models.FloatField(null=True, blank=True, help_text="In the unit's base.")
    unit = models.CharField(max_length=20, blank=True)
    line_start = models.PositiveIntegerField()
    line_end = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    erratum = models.ForeignKey(
        Erratum, null=True, blank=True, on_delete=models.SET_NULL, related_name="facts"
    )
    conflicts_with = models.ManyToManyField(
        "self", symmetrical=True, blank=True, help_text="Facts that state another value."
    )
    resolution = models.CharField(
        max_length=10,
        choices=[("", "Unresolved"), ("kept", "Kept (correct)"), ("rejected", "Rejected (wrong)")],
        blank=True,
        help_text="An instructor's verdict on a conflicting fact; survives re-ingestion.",
    )
    task_statements = models.ManyToManyField(
        TaskStatement, through="FactTag", related_name="facts", blank=True
    )

    objects = FactQuerySet.as_manager()

    class Meta:
        ordering = ["section", "line_start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(line_start__gte=1) & Q(line_end__gte=models.F("line_start")),
                name="fact_line_range_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.statement[:80]


class FactTag(models.Model):
    fact = models.ForeignKey(Fact, on_delete=models.CASCADE, related_name="tags")
    task_statement = models.ForeignKey(TaskStatement, on_delete=models.CASCADE)
    confidence = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["fact", "task_statement"], name="fact_tag_unique"),
            models.CheckConstraint(
                condition=Q(confidence__gt=0) & Q(confidence__lte=1),
                name="fact_tag_confidence_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_statement} ({self.confidence:.2f})"

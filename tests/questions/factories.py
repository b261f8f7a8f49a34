import factory
from django.utils import timezone

from questions.models import Choice, Question
from tests.notes.factories import CertificationFactory, DomainFactory


class QuestionFactory(factory.django.DjangoModelFactory):
    """A valid single-answer question with four choices (the first one correct)."""

    class Meta:
        model = Question
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"test-question-{n}")
    domain = factory.SubFactory(DomainFactory)
    certification = factory.LazyAttribute(lambda o: o.domain.certification)
    kind = Question.Kind.SINGLE
    select_count = 1
    stem = "Which AWS service stores objects?"
    explanation = "Amazon S3 is object storage."
    origin = Question.Origin.AUTHORED
    status = Question.Status.PUBLISHED

    @factory.post_generation
    def choices(self, create, extracted, **kwargs):
        if not create:
            return
        count = extracted if isinstance(extracted, int) else 4 + (self.select_count - 1) * 2
        correct = self.select_count
        for position in range(1, count + 1):
            ChoiceFactory(question=self, position=position, is_correct=position <= correct)


class ChoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Choice
        skip_postgeneration_save = True

    question = factory.SubFactory(QuestionFactory)
    position = factory.Sequence(lambda n: n + 1)
    text = factory.LazyAttribute(lambda o: f"Option {o.position}")
    is_correct = False
    rationale = factory.LazyAttribute(
        lambda o: "This is the keyed answer." if o.is_correct else "This does not fit."
    )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "auth.User"
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"learner{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("correct-horse-battery")


class SubmittedAttemptFactory(factory.django.DjangoModelFactory):
    """A submitted practice attempt with its totals set directly (no items unless added)."""

    class Meta:
        model = "questions.Attempt"
        skip_postgeneration_save = True

    # No usable password: hashing one per attempt would make 30-answer data sets slow.
    learner = factory.SubFactory(UserFactory, password=factory.Transformer.Force("!"))
    certification = factory.SubFactory(CertificationFactory)
    mode = "practice"
    status = "submitted"
    started_at = factory.LazyFunction(timezone.now)
    submitted_at = factory.LazyAttribute(lambda o: o.started_at)
    question_count = 10
    correct_count = 5
    percent = factory.LazyAttribute(lambda o: 100 * o.correct_count / o.question_count)


class SubmittedAnswerFactory(factory.django.DjangoModelFactory):
    """One question of a submitted attempt, answered with `selected` (choice ids)."""

    class Meta:
        model = "questions.AttemptQuestion"
        skip_postgeneration_save = True

    question = factory.SubFactory(QuestionFactory)
    attempt = factory.SubFactory(
        SubmittedAttemptFactory, certification=factory.SelfAttribute("..question.certification")
    )
    position = 1
    choice_order = factory.LazyAttribute(
        lambda o: list(o.question.choices.order_by("position").values_list("pk", flat=True))
    )
    selected = factory.LazyFunction(list)
    is_correct = False
    answered_at = factory.LazyAttribute(lambda o: o.attempt.submitted_at if o.selected else None)


class QuestionReportFactory(factory.django.DjangoModelFactory):
    """An open report by a learner on a question (no attempt unless given)."""

    class Meta:
        model = "questions.QuestionReport"
        skip_postgeneration_save = True

    question = factory.SubFactory(QuestionFactory)
    reporter = factory.SubFactory(UserFactory)
    attempt = None
    reason = "wrong_key"
    details = "I think option 2 is the right one."
    status = "open"


class NoteUploadFactory(factory.django.DjangoModelFactory):
    """A queued upload of a small Markdown notes file (no task is queued for it)."""

    class Meta:
        model = "questions.NoteUpload"
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"notes-{n}.md")
    content = "# Amazon S3\n\nAmazon S3 stores objects in buckets.\n"
    uploaded_by = factory.SubFactory(UserFactory, is_staff=True)
    status = "queued"
    progress = "00:00:00 Uploaded; waiting for a worker.\n"

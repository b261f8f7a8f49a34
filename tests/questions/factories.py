import factory

from questions.models import Choice, Question
from tests.notes.factories import DomainFactory


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

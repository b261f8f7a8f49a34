import factory
from django.utils import timezone

from notes.models import (
    Certification,
    Domain,
    Fact,
    NoteSource,
    Section,
    Service,
    TaskStatement,
)


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certification
        django_get_or_create = ["code"]
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"TST-C{n:02d}")
    name = factory.LazyAttribute(lambda o: f"Test certification {o.code}")
    level = Certification.Level.ASSOCIATE
    question_count = 65
    unscored_count = 15
    minutes = 130
    passing_score = 720
    score_min = 100
    score_max = 1000


class DomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Domain
        skip_postgeneration_save = True

    certification = factory.SubFactory(CertificationFactory)
    number = factory.Sequence(lambda n: n + 1)
    name = factory.LazyAttribute(lambda o: f"Domain {o.number}")
    weight = 25


class TaskStatementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaskStatement
        skip_postgeneration_save = True

    domain = factory.SubFactory(DomainFactory)
    code = factory.LazyAttribute(lambda o: f"{o.domain.number}.1")
    text = "Design something well"


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        skip_postgeneration_save = True

    short_name = factory.Sequence(lambda n: f"SVC{n}")
    name = factory.LazyAttribute(lambda o: f"Amazon Test Service {o.short_name}")
    category = Service.Category.STORAGE
    aliases = factory.LazyFunction(list)


class NoteSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NoteSource
        skip_postgeneration_save = True

    path = factory.Sequence(lambda n: f"notes/file{n}.md")
    name = factory.LazyAttribute(lambda o: o.path.rsplit("/", 1)[-1])
    content_hash = "0" * 64
    line_count = 100
    ingested_at = factory.LazyFunction(timezone.now)


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section
        skip_postgeneration_save = True

    source = factory.SubFactory(NoteSourceFactory)
    position = factory.Sequence(lambda n: n)
    heading_path = factory.LazyFunction(lambda: ["Storage", "S3"])
    level = 2
    line_start = 1
    line_end = 10
    raw_markdown = "## S3\n\n- Objects up to 5 TB\n"


class FactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fact
        skip_postgeneration_save = True

    section = factory.SubFactory(SectionFactory)
    kind = Fact.Kind.ATTRIBUTE
    subject = factory.SubFactory(ServiceFactory)
    statement = "An S3 object can be at most 5 TB."
    value = "5 TB"
    line_start = factory.LazyAttribute(lambda o: o.section.line_start)
    line_end = factory.LazyAttribute(lambda o: o.section.line_end)
    content_hash = factory.Sequence(lambda n: f"{n:064d}")

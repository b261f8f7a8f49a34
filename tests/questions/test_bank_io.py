"""Bank import and export from the admin: a dry-run summary before anything is written, an
invalid file writes nothing, the confirmation cannot be forged, and exports round-trip."""

from __future__ import annotations

import re
from io import StringIO

import pytest
import yaml
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from notes.models import Domain
from questions.admin.bank_io import SESSION_KEY
from questions.bank import dump_bank_text, load_bank_text
from questions.bank_export import bank_entries_all
from questions.models import Question, QuestionRevision
from questions.services import bank_import
from tests.questions.factories import QuestionFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog")]

IMPORT_URL = reverse("admin:questions_question_import")
PREVIEW_URL = reverse("admin:questions_question_import_preview")
CONFIRM_URL = reverse("admin:questions_question_import_confirm")
EXPORT_URL = reverse("admin:questions_question_export")
CHANGELIST_URL = reverse("admin:questions_question_changelist")


def entry(key: str, **changes) -> dict:
    return {
        "key": key,
        "certification": "SAA-C03",
        "domain": 2,
        "task_statement": "2.2",
        "services": ["S3"],
        "kind": "single",
        "select": 1,
        "origin": "authored",
        "status": "published",
        "stem": f"Which storage option fits case {key}?",
        "choices": [
            {"text": "S3 Standard", "correct": True, "rationale": "Spans three or more AZs."},
            {"text": "S3 One Zone-IA", "correct": False, "rationale": "One AZ only."},
            {"text": "EBS gp3", "correct": False, "rationale": "Block storage in one AZ."},
            {"text": "Instance store", "correct": False, "rationale": "Ephemeral, one host."},
        ],
        "explanation": "S3 Standard stores objects across Availability Zones.",
        **changes,
    }


def bank(*entries: dict) -> str:
    return yaml.safe_dump({"version": 1, "questions": list(entries)}, sort_keys=False)


def upload(client, text: str | bytes, name: str = "bank.yaml"):
    data = text.encode() if isinstance(text, str) else text
    return client.post(PREVIEW_URL, {"bank_file": SimpleUploadedFile(name, data)})


def import_text(text: str) -> None:
    entries, errors = load_bank_text(text)
    assert not errors
    assert not bank_import(entries=entries).errors


def page_text(response) -> str:
    """The response's visible text with whitespace collapsed, for phrase assertions."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


# --- Import ---------------------------------------------------------------------------------


def test_preview_lists_new_changed_and_unchanged_and_writes_nothing(instructor_client):
    import_text(bank(entry("kept-as-is"), entry("to-be-reworded")))
    before = dump_bank_text(bank_entries_all())
    text = bank(
        entry("kept-as-is"),
        entry("to-be-reworded", stem="A reworded stem?", status="draft"),
        entry("brand-new"),
    )
    response = upload(instructor_client, text)
    assert response.status_code == 200
    page = page_text(response)
    assert "bank.yaml: 3 questions" in page
    assert "New 1 Changed 1 Unchanged 1 Errors 0" in page
    assert "New questions (1) brand-new" in page
    assert "Changed questions (1) to-be-reworded : stem, status" in page
    assert "Unchanged questions (1) kept-as-is" in page
    assert 'value="Import 2 questions"' in response.content.decode()
    # A dry run: the bank is exactly as it was.
    assert dump_bank_text(bank_entries_all()) == before
    assert not Question.objects.filter(key="brand-new").exists()


def test_confirm_imports_the_previewed_file_and_records_who(instructor_client, instructor):
    import_text(bank(entry("to-be-reworded")))
    text = bank(entry("to-be-reworded", stem="A reworded stem?"), entry("brand-new"))
    upload(instructor_client, text)
    digest = instructor_client.session[SESSION_KEY]["digest"]
    response = instructor_client.post(CONFIRM_URL, {"digest": digest})
    assert response.status_code == 302
    assert response.url == CHANGELIST_URL
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Imported bank.yaml: 1 new, 1 changed, 0 unchanged."
    ]
    assert Question.objects.get(key="to-be-reworded").stem == "A reworded stem?"
    assert Question.objects.filter(key="brand-new").exists()
    revision = QuestionRevision.objects.filter(question__key="to-be-reworded").first()
    assert revision.source == QuestionRevision.Source.IMPORT
    assert revision.changed_by == instructor
    # The pending import is used up: confirming again writes nothing more.
    assert SESSION_KEY not in instructor_client.session
    again = instructor_client.post(CONFIRM_URL, {"digest": digest})
    assert again.status_code == 302 and again.url == IMPORT_URL


def test_an_invalid_question_shows_every_error_by_key_and_line_and_writes_nothing(
    instructor_client,
):
    text = bank(
        entry("good-one"),
        entry("bad-domain", domain=9),
        entry("bad-service", services=["NotAService"]),
    )
    response = upload(instructor_client, text)
    assert response.status_code == 422
    page = page_text(response)
    assert "2 of 3 questions are invalid: nothing was written." in page
    # Each error names its key, the line where the question starts and the problem.
    lines = {key: text.splitlines().index(f"- key: {key}") + 1 for key in ("bad-domain",)}
    assert f"bad-domain {lines['bad-domain']} SAA-C03 has no domain 9" in page
    assert "bad-service" in page and "unknown service(s): NotAService" in page
    assert CONFIRM_URL not in response.content.decode()  # no confirmation offered
    assert 'value="Import' not in response.content.decode()
    assert SESSION_KEY not in instructor_client.session
    assert not Question.objects.exists()


def test_a_format_error_names_the_question_by_position(instructor_client):
    no_key = entry("x")
    del no_key["key"]
    text = bank(entry("fine"), no_key)
    response = upload(instructor_client, text)
    assert response.status_code == 422
    line = len(yaml.safe_dump({"version": 1, "questions": [entry("fine")]}).splitlines()) + 1
    assert f"#2 {line} missing field(s): key" in page_text(response)
    assert not Question.objects.exists()


def test_a_yaml_syntax_error_names_the_line_and_writes_nothing(instructor_client):
    text = "version: 1\nquestions:\n  - key: broken\n    stem: [unclosed\n"
    response = upload(instructor_client, text)
    assert response.status_code == 422
    page = page_text(response)
    assert "The file is not valid YAML: line 5, column 1" in page
    assert "Nothing was written." in page
    assert not Question.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"questions: nope\n", "The file is not a question bank: expected a mapping"),
        (b"version: 1\nquestions: []\n", "The file holds no questions."),
    ],
)
def test_a_file_that_is_not_a_bank_is_refused(instructor_client, content, message):
    response = upload(instructor_client, content)
    assert response.status_code == 422
    assert message in page_text(response)


def test_a_file_that_is_not_utf8_is_refused_on_the_form(instructor_client):
    response = upload(instructor_client, "key: café".encode("latin-1"))
    assert response.status_code == 400
    assert "The file is not UTF-8 text" in response.content.decode()
    assert SESSION_KEY not in instructor_client.session


def test_a_forged_or_stale_confirmation_writes_nothing(instructor_client):
    upload(instructor_client, bank(entry("brand-new")))
    forged = "0" * 64
    response = instructor_client.post(CONFIRM_URL, {"digest": forged})
    assert response.status_code == 302 and response.url == IMPORT_URL
    assert "Nothing was written" in str(next(iter(get_messages(response.wsgi_request))))
    assert instructor_client.post(CONFIRM_URL, {"digest": "not-a-digest"}).status_code == 302
    # A second upload replaces the first: the first one's digest no longer imports anything.
    first = instructor_client.session[SESSION_KEY]["digest"]
    upload(instructor_client, bank(entry("another-one")))
    instructor_client.post(CONFIRM_URL, {"digest": first})
    assert not Question.objects.exists()


def test_a_file_that_stopped_fitting_since_the_preview_writes_nothing(instructor_client):
    upload(instructor_client, bank(entry("brand-new"), entry("second-new")))
    digest = instructor_client.session[SESSION_KEY]["digest"]
    # Between the two steps the catalog changes: the file's domain 2 no longer exists.
    Domain.objects.filter(certification__code="SAA-C03", number=2).update(number=7)
    response = instructor_client.post(CONFIRM_URL, {"digest": digest})
    assert response.status_code == 422
    assert "SAA-C03 has no domain 2" in page_text(response)
    assert not Question.objects.exists()


def test_import_needs_add_and_change_permissions(client, catalog):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_question"))
    client.force_login(viewer)
    assert client.get(IMPORT_URL).status_code == 403
    assert upload(client, bank(entry("brand-new"))).status_code == 403
    assert client.post(CONFIRM_URL, {"digest": "0" * 64}).status_code == 403
    assert not Question.objects.exists()
    # Viewing is enough to export, and the change list offers only the export.
    assert client.get(EXPORT_URL).status_code == 200
    changelist = client.get(CHANGELIST_URL).content.decode()
    assert "Export YAML" in changelist and "Import YAML" not in changelist


def test_a_learner_is_sent_to_the_admin_login(client, catalog):
    client.force_login(UserFactory(username="a-learner"))
    for response in (client.get(IMPORT_URL), client.get(EXPORT_URL)):
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


def test_import_form_renders_and_only_takes_posts_to_preview(instructor_client):
    response = instructor_client.get(IMPORT_URL)
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.content.decode()
    assert instructor_client.get(PREVIEW_URL).status_code == 405
    assert instructor_client.get(CONFIRM_URL).status_code == 405


# --- Export ---------------------------------------------------------------------------------


def test_export_downloads_the_whole_bank_in_the_bank_format(instructor_client):
    import_text(bank(entry("one"), entry("two", status="draft")))
    response = instructor_client.get(EXPORT_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/yaml; charset=utf-8"
    day = timezone.localdate().strftime("%Y%m%d")
    assert response["Content-Disposition"] == f'attachment; filename="question-bank-{day}.yaml"'
    out = StringIO()
    call_command("export_bank", stdout=out)
    assert response.content.decode() == out.getvalue()


def test_export_follows_the_change_list_filter_and_search(instructor_client):
    import_text(bank(entry("one"), entry("two", status="draft"), entry("three", status="draft")))
    response = instructor_client.get(EXPORT_URL, {"status__exact": "draft", "q": "three"})
    entries, errors = load_bank_text(response.content.decode())
    assert not errors
    assert [e.key for e in entries] == ["three"]
    drafts = instructor_client.get(EXPORT_URL, {"status__exact": "draft"})
    assert [e.key for e in load_bank_text(drafts.content.decode())[0]] == ["three", "two"]
    # The change list links its own filter to the export.
    changelist = instructor_client.get(CHANGELIST_URL, {"status__exact": "draft"})
    assert "Export these 2 as YAML" in changelist.content.decode()
    assert f"{EXPORT_URL}?status__exact=draft" in changelist.content.decode()


def test_export_with_a_bad_filter_says_so(instructor_client):
    response = instructor_client.get(EXPORT_URL, {"no_such_field": "1"})
    assert response.status_code == 302
    assert "not valid" in str(next(iter(get_messages(response.wsgi_request))))


def test_export_selected_action_exports_only_those(instructor_client):
    import_text(bank(entry("one"), entry("two"), entry("three")))
    chosen = Question.objects.filter(key__in=["one", "three"])
    response = instructor_client.post(
        CHANGELIST_URL,
        {"action": "export_as_yaml", "_selected_action": [q.pk for q in chosen]},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="question-bank-')
    assert [e.key for e in load_bank_text(response.content.decode())[0]] == ["one", "three"]


def test_export_reads_the_bank_in_a_fixed_number_of_queries(
    instructor_client, django_assert_max_num_queries
):
    domain = Domain.objects.get(certification__code="SAA-C03", number=1)
    QuestionFactory.create_batch(30, domain=domain)
    with django_assert_max_num_queries(12):
        response = instructor_client.get(EXPORT_URL)
    assert len(load_bank_text(response.content.decode())[0]) == 30


def test_exported_file_imports_back_as_all_unchanged(instructor_client):
    import_text(
        bank(
            entry("one"),
            entry(
                "two",
                kind="multiple",
                select=2,
                choices=[
                    {"text": f"Option {i}", "correct": i < 2, "rationale": f"Reason {i}"}
                    for i in range(5)
                ],
            ),
        )
    )
    exported = instructor_client.get(EXPORT_URL).content
    response = upload(instructor_client, exported, name="question-bank-20250101.yaml")
    page = page_text(response)
    assert "New 0 Changed 0 Unchanged 2 Errors 0" in page
    assert "there is nothing to import" in page
    assert "Import 0" not in page
    assert SESSION_KEY not in instructor_client.session


# --- The commands share the path ----------------------------------------------------------


def test_import_bank_dry_run_lists_each_question(catalog, tmp_path):
    import_text(bank(entry("kept-as-is"), entry("to-be-reworded")))
    path = tmp_path / "bank.yaml"
    path.write_text(
        bank(entry("kept-as-is"), entry("to-be-reworded", explanation="Reworded."), entry("new"))
    )
    out = StringIO()
    call_command("import_bank", str(path), "--dry-run", "-v", "2", stdout=out)
    lines = out.getvalue().splitlines()
    assert "  new        new" in lines
    assert "  changed    to-be-reworded (explanation)" in lines
    assert "  unchanged  kept-as-is" in lines
    assert lines[-1] == "Dry run: bank.yaml: 1 new, 1 changed, 1 unchanged; nothing was written."
    assert not Question.objects.filter(key="new").exists()


def test_import_bank_names_the_line_of_an_invalid_question(catalog, tmp_path):
    path = tmp_path / "bank.yaml"
    text = bank(entry("good"), entry("bad", domain=9))
    path.write_text(text)
    line = text.splitlines().index("- key: bad") + 1
    with pytest.raises(CommandError) as excinfo:
        call_command("import_bank", str(path), "--dry-run", stdout=StringIO())
    assert f"bad: SAA-C03 has no domain 9 (line {line})" in str(excinfo.value)
    path.write_text("questions: [unclosed\n")
    with pytest.raises(CommandError, match="not valid YAML: line 2, column 1"):
        call_command("import_bank", str(path), stdout=StringIO())


def test_a_write_that_fails_midway_rolls_back_the_whole_import(catalog, monkeypatch):
    """Validation catches bad files before any write; this is the other half: if a write fails
    after others succeeded (here the second changed question's save), nothing stays written."""
    import_text(bank(entry("first-changed"), entry("second-changed")))
    before = dump_bank_text(bank_entries_all())
    real_save = Question.save

    def failing_save(self, *args, **kwargs):
        if self.key == "second-changed":
            raise RuntimeError("disk full")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Question, "save", failing_save)
    entries, errors = load_bank_text(
        bank(
            entry("brand-new"),
            entry("first-changed", stem="Reworded first?"),
            entry("second-changed", stem="Reworded second?"),
        )
    )
    assert not errors
    with pytest.raises(RuntimeError, match="disk full"):
        bank_import(entries=entries)
    monkeypatch.setattr(Question, "save", real_save)
    assert dump_bank_text(bank_entries_all()) == before
    assert not Question.objects.filter(key="brand-new").exists()
    assert not QuestionRevision.objects.exists()


def test_a_dry_run_reads_the_file_in_a_fixed_number_of_queries(catalog):
    """Validating each entry must not query per entry: a file of 30 costs what one of 3 does."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(count: int) -> int:
        entries, errors = load_bank_text(bank(*(entry(f"dry-{count}-{n}") for n in range(count))))
        assert not errors
        with CaptureQueriesContext(connection) as captured:
            report = bank_import(entries=entries, dry_run=True)
        assert len(report.created) == count and not report.written
        return len(captured)

    assert queries_for(30) == queries_for(3)

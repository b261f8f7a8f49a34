"""An instructor's day in Chromium: the demo instructor writes a "choose TWO" question in the
admin (watching the live preview), saves it as a draft, publishes it with the bulk action, and a
learner then gets it in a practice set."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from playwright.sync_api import Browser, Page, expect

from notes.models import Domain
from questions.models import Question

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STEM = "A media company must keep two copies of every upload. Which TWO services can help?"
OPTIONS = [
    ("Amazon S3 Cross-Region Replication", True),
    ("AWS Backup with a cross-Region copy rule", True),
    ("Amazon EC2 instance store", False),
    ("Amazon ElastiCache for Redis", False),
    ("AWS Shield Advanced", False),
]


@pytest.fixture
def demo_accounts(site):
    """The accounts `make run` creates (it runs seed_demo_users with DEBUG on)."""
    with override_settings(DEBUG=True):
        call_command("seed_demo_users", stdout=StringIO())


def admin_log_in(page: Page, site: str) -> None:
    page.goto(site + "/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    page.get_by_label("Username").fill("instructor")
    page.get_by_label("Password").fill("instructor-demo-pass")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Site administration")


def add_choose_two_question(page: Page) -> None:
    page.get_by_role("link", name="Questions", exact=True).first.click()
    page.get_by_role("link", name="Add question").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add question")
    page.get_by_label("Key").fill("two-copies-of-uploads")
    page.get_by_label("Status").select_option(label="Draft")
    page.get_by_label("Origin").select_option(label="Authored by an instructor")
    domain = Domain.objects.get(certification__code="SAA-C03", number=2)
    page.get_by_label("Certification").select_option(label=str(domain.certification))
    page.get_by_label(re.compile(r"^Domain:?$")).select_option(label=str(domain))
    page.get_by_label("Kind").select_option(label="Multiple response")
    page.get_by_label("Select count").fill("2")
    page.get_by_label("Stem").fill(STEM)
    # The live preview follows the typing: the learner's view of the unsaved stem.
    preview = page.locator("#question-preview .preview-body")
    expect(preview.locator(".stem")).to_have_text(STEM)
    page.get_by_label("Explanation").fill(
        "Replication and cross-Region backup copies both keep a second copy."
    )
    rows = page.locator("#choices-group tr.form-row:not(.empty-form)")
    expect(rows).to_have_count(4)  # the inline starts with its minimum of four choices
    page.get_by_role("button", name="Add another Choice").click()
    expect(rows).to_have_count(5)
    for index, (text, correct) in enumerate(OPTIONS):
        page.locator(f"[name=choices-{index}-text]").fill(text)
        page.locator(f"[name=choices-{index}-rationale]").fill(
            "It keeps a second copy." if correct else "It does not keep a durable copy."
        )
        if correct:
            page.locator(f"[name=choices-{index}-is_correct]").check()
    expect(preview.locator("fieldset.options input[type=checkbox]")).to_have_count(5)
    expect(preview).to_contain_text("Choose TWO.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")


def publish_with_the_bulk_action(page: Page, key: str) -> None:
    row = page.locator("#result_list tr").filter(has_text=key)
    row.locator("input.action-select").check()
    page.get_by_label("Action:").select_option(label="Publish selected questions")
    page.get_by_role("button", name="Run").click()
    expect(page.locator(".messagelist .success")).to_contain_text("Published 1 question(s).")


def test_demo_instructor_publishes_a_choose_two_question_a_learner_then_gets(
    page: Page, browser: Browser, site, demo_accounts
):
    # The catalog is loaded and the bank is empty: the new question is the only one there is.
    assert not Question.objects.exists()
    console = []
    page.on("console", lambda message: console.append(message.text))
    admin_log_in(page, site)
    add_choose_two_question(page)
    question = Question.objects.get(key="two-copies-of-uploads")
    assert question.status == Question.Status.DRAFT
    publish_with_the_bulk_action(page, "two-copies-of-uploads")
    question.refresh_from_db()
    assert question.status == Question.Status.PUBLISHED
    assert question.revisions.filter(source="bulk", summary__contains="published").exists()
    assert (question.kind, question.select_count) == (Question.Kind.MULTIPLE, 2)
    assert [(c.text, c.is_correct) for c in question.choices.all()] == OPTIONS
    expect(page.locator("#result_list")).to_contain_text("two-copies-of-uploads")
    expect(page.get_by_role("link", name="Import YAML")).to_be_visible()
    # No Content-Security-Policy refusals or script errors in the admin pages.
    assert not [m for m in console if m.startswith(("Refused to", "Uncaught"))], console

    # A learner, in a browser of their own, starts a practice set of that domain.
    learner = browser.new_context().new_page()
    learner.on("console", lambda message: console.append(message.text))
    learner.goto(site + "/accounts/login/")
    learner.get_by_label("Username").fill("learner")
    learner.get_by_label("Password").fill("learner-demo-pass")
    learner.get_by_role("button", name="Log in").click()
    expect(learner).to_have_url(re.compile(r"/dashboard/$"))
    saa = learner.get_by_role("article").filter(has_text="SAA-C03")
    practice = saa.locator("form[action$='/attempts/practice/']")
    for number in (1, 3, 4):
        practice.get_by_role("checkbox", name=re.compile(rf"^\s*{number}\. ")).uncheck()
    expect(practice.get_by_role("checkbox", name=re.compile(r"^\s*2\. "))).to_be_checked()
    practice.get_by_label("Number of questions").fill("5")  # the smallest set allowed
    practice.get_by_role("button", name="Start SAA-C03 practice set").click()
    expect(learner.locator("#question-heading")).to_have_text("Question 1 of 1")
    expect(learner.locator("#stem")).to_have_text(STEM)
    expect(learner.locator("fieldset.options legend")).to_have_text("Choose TWO.")
    options = learner.locator("fieldset.options input[type=checkbox]")
    expect(options).to_have_count(5)
    # The options come shuffled: all five are there, in some order.
    shown = sorted(learner.locator("fieldset.options .option-text").all_inner_texts())
    assert shown == sorted(text for text, _ in OPTIONS)
    assert not [m for m in console if m.startswith(("Refused to", "Uncaught"))], console
    learner.context.close()

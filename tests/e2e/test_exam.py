"""A learner's day in Chromium: sign up, sit a full mock by keyboard, run out of time, and review
wrong answers with the notes they came from."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from notes.models import Certification
from questions.models import Attempt, Choice, Question
from tests.notes.factories import FactFactory, SectionFactory
from tests.questions.factories import QuestionFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-unusual-passphrase-42"
BANK_SIZE = 74  # at least 70 published questions, split across domains by blueprint weight


@pytest.fixture
def saa_bank(catalog):
    """A published SAA-C03 bank a little larger than a full mock, two multiple-response
    questions per domain."""
    certification = Certification.objects.get(code="SAA-C03")
    for domain in certification.domains.all():
        for index in range(-(-BANK_SIZE * domain.weight // 100)):
            multiple = index < 2
            QuestionFactory(
                domain=domain,
                stem=f"SAA domain {domain.number}, question {index}: which design fits best?",
                kind=Question.Kind.MULTIPLE if multiple else Question.Kind.SINGLE,
                select_count=2 if multiple else 1,
            )
    return certification


def sign_up(page: Page, site: str, username: str) -> None:
    page.goto(site + "/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def log_in(page: Page, site: str, username: str) -> None:
    page.goto(site + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def heading(page: Page):
    return page.locator("#question-heading")


def focused(page: Page) -> dict:
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return {id: e.id, tag: e.tagName, type: e.type || '', value: e.value || ''}; }"
    )


def tab_to_option(page: Page, *, skip: set[str]) -> dict:
    """Press Tab until an answer option not in `skip` has the focus (keyboard only)."""
    for _ in range(12):
        page.keyboard.press("Tab")
        element = focused(page)
        if element["id"].startswith("choice-") and element["value"] not in skip:
            return element
    raise AssertionError(f"No answer option reached by Tab (last focus: {element})")


def option_order(page: Page) -> list[str]:
    return page.locator("fieldset.options input[name=choice]").evaluate_all(
        "inputs => inputs.map(i => i.value)"
    )


def checked_options(page: Page) -> list[str]:
    return page.locator("fieldset.options input[name=choice]:checked").evaluate_all(
        "inputs => inputs.map(i => i.value)"
    )


def tab_until(page: Page, element_id: str) -> None:
    for _ in range(20):
        page.keyboard.press("Tab")
        if focused(page)["id"] == element_id:
            return
    raise AssertionError(f"#{element_id} not reached by Tab")


def check_resume_after_reload(page, attempt_url, position, orders, chosen, flagged) -> None:
    """Reload mid-exam: the same order, every earlier answer and both flags are kept."""
    page.reload()
    expect(heading(page)).to_have_text(f"Question {position} of 65")
    expect(heading(page)).to_be_focused()
    assert option_order(page) == orders[position]
    for earlier in range(1, position):
        cell = page.locator(f"#nav-{earlier} button")
        expect(cell).to_have_class(re.compile(r"\banswered\b"))
        if earlier in flagged:
            expect(cell).to_have_class(re.compile(r"\bflagged\b"))
        else:
            expect(cell).not_to_have_class(re.compile(r"\bflagged\b"))
    expect(page.locator("#progress")).to_contain_text(f"{position - 1} of 65 answered · 2 flagged")
    for earlier in (3, 4, 12):  # e.g. a flagged one, an arrow-key answer
        page.goto(f"{attempt_url}q/{earlier}/")
        expect(heading(page)).to_have_text(f"Question {earlier} of 65")
        assert option_order(page) == orders[earlier]
        assert sorted(checked_options(page)) == sorted(chosen[earlier])
        pressed = "true" if earlier in flagged else "false"
        expect(page.locator("#flag-toggle")).to_have_attribute("aria-pressed", pressed)
    page.goto(f"{attempt_url}q/{position}/")
    expect(heading(page)).to_have_text(f"Question {position} of 65")
    expect(heading(page)).to_be_focused()


def test_full_mock_by_keyboard_with_reload_review_and_report(page: Page, site, saa_bank):
    console = []
    page.on("console", lambda message: console.append(message.text))
    sign_up(page, site, "kbd-learner")
    saa = page.get_by_role("article").filter(has_text="SAA-C03")
    saa.get_by_role("button", name="Start SAA-C03 mock exam").click()
    expect(heading(page)).to_have_text("Question 1 of 65")
    expect(page.locator(".timer-value")).to_have_text(re.compile(r"^2:\d\d:\d\d$"))

    attempt_url = re.sub(r"q/1/$", "", page.url)
    chosen: dict[int, list[str]] = {}
    orders: dict[int, list[str]] = {}
    flagged = {3, 7}
    reload_at = 31
    refused = False
    for position in range(1, 66):
        expect(heading(page)).to_have_text(f"Question {position} of 65")
        expect(heading(page)).to_be_focused()
        orders[position] = option_order(page)
        if position == 3:
            # Previous/Next swap the page in place and push the URL: Back shows question 2 again,
            # reloaded from the server with its answer.
            page.go_back()
            expect(heading(page)).to_have_text("Question 2 of 65")
            assert checked_options(page) == chosen[2]
            page.go_forward()
            expect(heading(page)).to_have_text("Question 3 of 65")
            expect(heading(page)).to_be_focused()
        if position == reload_at:
            check_resume_after_reload(page, attempt_url, position, orders, chosen, flagged)
        multiple = page.locator("fieldset.options input[type=checkbox]").count() > 0
        if multiple:
            expect(page.locator("legend")).to_have_text("Choose TWO.")
            first = tab_to_option(page, skip=set())
            page.keyboard.press("Space")
            expect(page.locator("#save-status")).to_contain_text("1 of two chosen")
            if not refused:
                # Moving on with one of two is refused; the message takes the focus.
                page.keyboard.press("n")
                expect(page.get_by_role("alert")).to_have_text(
                    "Choose TWO options, or clear your selection."
                )
                expect(page.locator("#form-error")).to_be_focused()
                expect(heading(page)).to_have_text(f"Question {position} of 65")
                assert checked_options(page) == [first["value"]]
                refused = True
            second = tab_to_option(page, skip={first["value"]})
            page.keyboard.press("Space")
            picks = [first["value"], second["value"]]
        else:
            first = tab_to_option(page, skip=set())
            if position % 2:
                page.keyboard.press("Space")  # the focused (first) option
                picks = [first["value"]]
            else:
                page.keyboard.press("ArrowDown")  # arrow keys move and select, natively
                picks = [focused(page)["value"]]
                assert picks[0] == orders[position][1]
        expect(page.locator("#save-status")).to_contain_text("Answer saved.")
        chosen[position] = picks
        if position == 3:
            page.keyboard.press("f")  # the shortcut leaves the focus where it was
            expect(page.locator("#flag-toggle")).to_have_attribute("aria-pressed", "true")
            assert focused(page)["value"] == picks[-1]
        elif position == 7:
            tab_until(page, "flag-toggle")
            page.keyboard.press("Space")
            expect(page.locator("#flag-toggle")).to_have_attribute("aria-pressed", "true")
            expect(page.locator("#flag-toggle")).to_be_focused()  # focus survives the swap
        page.keyboard.press("n")

    # "Next" on the last question goes to the review screen.
    expect(page.get_by_role("heading", level=1)).to_have_text("Review before submitting")
    expect(page.locator("#flagged-heading")).to_contain_text("(2)")
    expect(page.locator("#unanswered-heading")).to_contain_text("(0)")
    expect(page.locator("#answered-heading")).to_contain_text("(65)")

    # The server has exactly what was chosen, in the order shown.
    attempt = Attempt.objects.get(learner__username="kbd-learner")
    for item in attempt.items.all():
        assert [str(pk) for pk in item.choice_order] == orders[item.position]
        assert sorted(map(str, item.selected)) == sorted(chosen[item.position])
        assert item.flagged == (item.position in flagged)

    page.get_by_role("link", name="Submit exam…").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Submit your exam?")
    page.get_by_role("button", name="Yes, submit my exam").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Score report")
    expect(page.locator(".score-value")).to_have_text(re.compile(r"^\d{3,4}$"))
    chart = page.get_by_role("img", name="Percent correct by domain")
    expect(chart).to_be_visible()
    domains = page.locator("table.breakdown").first
    for name in (
        "Design Secure Architectures",
        "Design Resilient Architectures",
        "Design High-Performing Architectures",
        "Design Cost-Optimized Architectures",
    ):
        expect(domains.get_by_role("row").filter(has_text=name)).to_be_visible()
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED and not attempt.auto_submitted
    assert refused
    # No CSP violations, failed requests or script errors (the refusal above is a 422 on purpose).
    assert not [m for m in console if "status of 422" not in m], console


def test_timed_practice_set_expires_and_is_submitted(page: Page, site, saa_bank):
    UserFactory(username="timed-learner")
    log_in(page, site, "timed-learner")
    saa = page.get_by_role("article").filter(has_text="SAA-C03")
    practice = saa.locator("form[action$='/attempts/practice/']")
    practice.get_by_label("Number of questions").fill("5")
    practice.get_by_label("Timed", exact=True).check()
    practice.get_by_label("Time limit in minutes").fill("1")
    practice.get_by_role("button", name="Start SAA-C03 practice set").click()
    expect(heading(page)).to_have_text("Question 1 of 5")
    expect(page.locator(".timer-value")).to_have_text(re.compile(r"^[01]:\d\d$"))
    announcer = page.locator("#timer-announce")
    expect(announcer).to_have_text("")  # milestones already passed are not announced on load
    # Move the deadline (the countdown only shows the server's): crossing 5 minutes left is
    # announced once to screen readers.
    attempt = Attempt.objects.get(learner__username="timed-learner")
    Attempt.objects.filter(pk=attempt.pk).update(
        deadline=timezone.now() + timedelta(minutes=5, seconds=2)
    )
    page.reload()
    expect(announcer).to_have_text("")
    expect(announcer).to_have_text("5 minutes left.", timeout=6_000)
    # Now a few seconds from now.
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() + timedelta(seconds=4))
    page.reload()
    expect(page.locator(".timer")).to_have_class(re.compile(r"\btimer-low\b"))
    # At zero the page goes to the server, which submits the attempt and shows the report.
    expect(page.get_by_role("heading", level=1)).to_have_text("Score report", timeout=15_000)
    expect(page.locator(".messages")).to_contain_text("Time is up")
    expect(page.locator(".exam-name")).to_contain_text("automatically, at the deadline")
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED and attempt.auto_submitted


def test_review_of_wrong_answers_shows_the_source_note(page: Page, site, saa_bank):
    UserFactory(username="review-learner")
    section = SectionFactory(
        source__name="saa-storage.md",
        heading_path=["Storage", "Amazon S3"],
        line_start=40,
        line_end=52,
        raw_markdown="## Amazon S3\n\n- A single object can be up to **5 TB**.\n",
    )
    for question in Question.objects.filter(certification=saa_bank):
        question.source_facts.add(FactFactory(section=section))
    log_in(page, site, "review-learner")
    saa = page.get_by_role("article").filter(has_text="SAA-C03")
    practice = saa.locator("form[action$='/attempts/practice/']")
    practice.get_by_label("Number of questions").fill("5")
    practice.get_by_label(re.compile("Instant feedback")).uncheck()
    practice.get_by_role("button", name="Start SAA-C03 practice set").click()
    expect(heading(page)).to_have_text("Question 1 of 5")
    # Answer question 1 wrongly, by clicking a wrong option's label.
    attempt = Attempt.objects.get(learner__username="review-learner")
    item = attempt.items.get(position=1)
    wrong = Choice.objects.filter(question_id=item.question_id, is_correct=False).first()
    picks = [wrong.pk]
    if item.question.select_count == 2:
        picks.append(Choice.objects.filter(question_id=item.question_id, is_correct=False)[1].pk)
    for pk in picks:
        page.locator(f"label[for=choice-{pk}]").click()
    expect(page.locator("#save-status")).to_contain_text("Answer saved.")
    page.get_by_role("button", name="Review all and submit").click()
    page.get_by_role("link", name="Submit exam…").click()
    page.get_by_role("button", name="Yes, submit my exam").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Score report")
    page.get_by_role("link", name=re.compile(r"Review wrong answers")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review your answers")
    expect(page.get_by_role("link", name=re.compile(r"Wrong \(5\)"))).to_have_attribute(
        "aria-current", "page"
    )
    first = page.locator("article#q1")
    expect(first).to_contain_text("Incorrect")
    expect(first).to_contain_text("Your choice")
    expect(first).to_contain_text("Correct answer")
    expect(first).to_contain_text(item.question.explanation)
    note = first.locator("figure.note")
    expect(note).to_contain_text("saa-storage.md")
    expect(note).to_contain_text("Storage › Amazon S3")
    expect(note).to_contain_text("lines 40–52")
    expect(note.locator("strong")).to_have_text("5 TB")
    # Retrying the wrong answers starts an instant-feedback practice set of them.
    page.get_by_role("button", name=re.compile("Retry my wrong answers")).first.click()
    expect(heading(page)).to_have_text("Question 1 of 5")
    expect(page.locator(".exam-name")).to_contain_text("instant feedback")


def test_without_javascript_every_control_still_works(browser, site, saa_bank):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    UserFactory(username="nojs-learner")
    log_in(page, site, "nojs-learner")
    saa = page.get_by_role("article").filter(has_text="SAA-C03")
    practice = saa.locator("form[action$='/attempts/practice/']")
    for number in (1, 2, 3):  # domain 4 only: all 15 of its questions, two of them "Choose TWO"
        practice.get_by_role("checkbox", name=re.compile(rf"^\s*{number}\. ")).uncheck()
    practice.get_by_label("Number of questions").fill("15")
    practice.get_by_label(re.compile("Instant feedback")).uncheck()
    practice.get_by_role("button", name="Start SAA-C03 practice set").click()
    attempt = Attempt.objects.get(learner__username="nojs-learner")
    expect(heading(page)).to_have_text("Question 1 of 15")
    expect(page.locator(".timer-value")).to_have_text("Untimed")
    expect(page.locator("[data-strike]").first).to_be_hidden()  # strike-out needs JavaScript
    # A multiple-response question refuses one option, keeps it ticked, and says why.
    multiple = attempt.items.filter(question__kind=Question.Kind.MULTIPLE).first()
    single = attempt.items.filter(question__kind=Question.Kind.SINGLE).order_by("position")[0]
    page.get_by_role("button", name=f"Question {multiple.position}, not answered").click()
    expect(heading(page)).to_have_text(f"Question {multiple.position} of 15")
    page.locator("fieldset.options input").first.check()
    page.get_by_role("button", name=re.compile("Save and (next|review)")).click()
    expect(page.get_by_role("alert")).to_have_text("Choose TWO options, or clear your selection.")
    expect(page.locator("fieldset.options input").first).to_be_checked()
    page.locator("fieldset.options input").nth(1).check()
    page.get_by_role("button", name=re.compile("Save and (next|review)")).click()
    page.wait_for_url(re.compile(rf"/(q/{multiple.position + 1}|review)/$"))
    multiple.refresh_from_db()
    assert len(multiple.selected) == 2
    # Answer and flag a single-answer question with plain form posts.
    page.goto(f"{site}/attempts/{attempt.pk}/q/{single.position}/")
    page.locator("fieldset.options input").nth(2).check()
    page.get_by_role("button", name="Flag for review").click()  # the selection is not saved yet
    expect(page.locator("#flag-toggle")).to_have_attribute("aria-pressed", "true")
    page.locator("fieldset.options input").nth(2).check()
    page.get_by_role("button", name=re.compile("Save and (next|review)")).click()
    page.wait_for_url(re.compile(rf"/(q/{single.position + 1}|review)/$"))
    single.refresh_from_db()
    assert single.selected == [single.choice_order[2]] and single.flagged
    page.get_by_role("button", name="Review all and submit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review before submitting")
    expect(page.locator("#flagged-heading")).to_contain_text("(1)")
    page.get_by_role("link", name="Submit exam…").click()
    page.get_by_role("button", name="Yes, submit my exam").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Score report")
    expect(page.get_by_role("img", name="Percent correct by domain")).to_be_visible()
    context.close()

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_newcomer_sees_both_blueprints(page: Page, site):
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(site + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("AWS Solutions Architect")
    for code in ("SAA-C03", "SAP-C02"):
        expect(page.get_by_role("article").filter(has_text=code)).to_be_visible()
    saa = page.get_by_role("article").filter(has_text="SAA-C03")
    expect(saa).to_contain_text("130 minutes")
    expect(saa.get_by_role("row").filter(has_text="Design Secure Architectures")).to_contain_text(
        "30%"
    )
    # Task statements open from the domain row, by keyboard too.
    saa.get_by_text("1. Design Secure Architectures").focus()
    page.keyboard.press("Enter")
    expect(saa.get_by_text("Control who and what can reach AWS resources")).to_be_visible()
    # htmx loads under the strict Content-Security-Policy (nonce), with no console errors.
    assert page.evaluate("typeof window.htmx") == "object"
    assert not messages, messages

"""Section Markdown renders to HTML that cannot run script in a learner's browser."""

from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from notes.rendering import ALLOWED_TAGS, render_markdown_safe


def test_keeps_structure():
    html = render_markdown_safe("## S3\n\n- **Durable**: 11 nines\n\n|a|b|\n|-|-|\n|1|2|\n")
    assert "<h2>S3</h2>" in html
    assert "<strong>Durable</strong>" in html
    assert "<table>" in html
    assert "<td>1</td>" in html


def test_removes_scripts_handlers_and_javascript_links():
    html = render_markdown_safe(
        "<script>alert(1)</script>\n\n[click](javascript:alert(2)) "
        '<a href="https://docs.aws.amazon.com" onclick="steal()">docs</a> '
        '<img src="x" onerror="alert(3)"> <iframe src="https://evil"></iframe> '
        '<p style="background:url(x)">styled</p>'
    )
    lowered = html.lower()
    for banned in (
        "<script",
        "alert(",
        "javascript:",
        "onclick",
        "onerror",
        "<img",
        "<iframe",
        "style=",
    ):
        assert banned not in lowered, banned
    assert 'href="https://docs.aws.amazon.com"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<script>",
                "</script>",
                "<a href='javascript:x()'>",
                " onload=",
                "<img src=x onerror=y>",
                "**",
                "[",
                "](",
                ")",
                "javascript:",
                "\n",
                "# ",
                "<svg onload=alert(1)>",
                "text",
                "<",
            ]
        ),
        max_size=30,
    ).map("".join)
)
def test_fuzzed_markup_never_yields_active_content(text):
    collector = TagCollector()
    collector.feed(render_markdown_safe(text))
    for tag, attrs in collector.tags:
        assert tag in ALLOWED_TAGS
        for name, value in attrs:
            assert not name.startswith("on")
            assert not (value or "").strip().lower().startswith("javascript:")

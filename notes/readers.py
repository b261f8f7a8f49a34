"""Readers: turn one study-notes file into `ParsedSection`s of plain-text `Block`s.

Pure Python (no Django). Two formats:

* Markdown (`read_markdown`). Block structure (headings, lists, tables, fences, quotes) is found
  by a small line-based scanner: every section and block must carry exact 1-based line numbers,
  and the `markdown` package reports none. Each inline fragment (a heading, a list item, a
  paragraph, a table cell) is then rendered with `markdown` and stripped to plain text by
  `clean_inline` (nh3 with no allowed tags + `html.unescape`). So the regexes here only decide
  where a block starts and ends; inline syntax (emphasis, links, code spans, entities, raw HTML)
  is always interpreted by `markdown`.
* Tab-separated glossary (`read_glossary_tsv`): "Terms, Full Form, Definition, NOTE" rows grouped by
  "Topic N) …" rows.

Line numbers follow `split_lines`: "\\n", "\\r\\n" and "\\r" end a line, a final newline does not
start another one (the convention `notes.ingest` uses for `line_count`).

Decisions worth knowing:

* Navigation is noise: `<!-- toc_start -->`…`<!-- toc_end -->` regions, list items and paragraphs
  that are only links to `#anchors` or `.md` files, `<a name=…>` anchors, arrow links
  (`[↖](#top)`), images, HTML comments and horizontal rules produce no blocks.
* A leading tab counts as 2 columns when measuring list indentation: the notes use one tab for one
  nesting level next to 2-space levels, and nesting is relative (an item's parent is the nearest
  item above it that is indented less), so 2-, 3- and 4-space styles all work.
* Table columns whose header is a placeholder (".", "-", empty) have the header "" in `cells`, and
  their value stands alone in `text` ("Row label; Limit: 10 GB").
* A section whose heading is only a placeholder ("TODO 10", "WIP") or whose blocks are all
  placeholders ("TODO", "TBD", "coming soon") keeps its place but loses its blocks; a warning says
  so. Empty sections are kept silently (parents of sub-sections are often empty).
* Glossary "question" rows (after a "question"/"Questions" marker row, until the next header or
  topic row) become "paragraph" blocks: text "question: answer", cells ("question", "answer"),
  context (topic, "Questions"). They are statements the author wanted to remember, so keeping them
  lets the extractor decide; they are not "glossary" blocks because they define no term.
* Headings whose text cleans to nothing (`# [↖](#top)`) still open a section but add nothing to
  `heading_path`. Text before the first heading is a level-0 section only if it yields blocks.
* "•" lines are read as list items (without lazy continuation, since they are not Markdown).
* Code blocks keep their raw text (no cleaning); every other block's text is clean plain text.
* Glossary: a topic's heading is its title without the "Topic(s) N) :-" prefix; empty padding
  columns beyond the fourth are ignored; a row with content beyond the fourth column is skipped
  with a warning, and so are the rows right below it that only repeat its cells (a spilled HTML
  table); a lone term with nothing else ("[illegible]") is skipped with a warning.
* `NoteFormatError` only for unusable input: a NUL character, or a glossary without a header row
  before its first entry (or with no rows at all).
* Inline rendering is linear: brackets Python-Markdown would scan quadratically (unmatched, or
  nested deeper than links ever are) are escaped first, and fragments over 4,000 characters (far
  longer than any real one) are rendered in pieces cut at spaces.
"""

from __future__ import annotations

import html
import re
import textwrap
import threading
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

import markdown
import nh3

from notes.blocks import Block, ParsedSection, ReadResult

__all__ = [
    "NoteFormatError",
    "clean_inline",
    "read_glossary_tsv",
    "read_markdown",
    "split_lines",
]


class NoteFormatError(ValueError):
    """The input cannot be read at all; the message names the file and line."""


# --------------------------------------------------------------------------------------------
# Lines
# --------------------------------------------------------------------------------------------


def split_lines(text: str) -> list[str]:
    """The file's lines, numbered from 1 by position + 1 (see the module docstring)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()  # a final newline ends the last line, it does not open a new one
    return lines


def _label(file_name: str) -> str:
    return file_name or "<text>"


def _warning(label: str, line: int, message: str) -> str:
    return f"{label}:{line}: {message}"


# --------------------------------------------------------------------------------------------
# Inline cleaning
# --------------------------------------------------------------------------------------------

_ARROW_CHARS = "↖↑↓"
_ARROW_LINK = r"\[\s*(?:[↖↑↓←→↗↘↙⬆⬇]+\s*)*\]\([^)\s]*\)"  # [↖](#top), [](#x)
_ARROW_LINK_RE = re.compile(_ARROW_LINK)
_ARROWS_RE = re.compile(f"[{_ARROW_CHARS}]")
# Tags we let `markdown`/nh3 treat as HTML; any other "<" is text ("/home/<user>", "<200 nodes").
_KNOWN_TAGS = (
    "a|abbr|b|big|blockquote|br|caption|center|cite|code|col|colgroup|dd|del|details|div|dl|dt|"
    "em|figcaption|figure|font|h[1-6]|hr|i|iframe|img|input|ins|kbd|label|li|mark|ol|p|pre|q|s|"
    "samp|small|span|strike|strong|style|script|sub|summary|sup|table|tbody|td|tfoot|th|thead|"
    "tr|tt|u|ul|var"
)
_UNKNOWN_LT_RE = re.compile(
    rf"<(?!/?(?:{_KNOWN_TAGS})(?![\w-]))(?!!--)(?!(?:https?|ftp|mailto):)", re.IGNORECASE
)
# Where HTML separates items (line breaks, list items, cells) the text gets "; ".
_SEPARATOR = "\ue000"  # private-use character: not whitespace, never in real notes
_SEPARATOR_TAG_RE = re.compile(
    r"<\s*br\b[^<>]*>|</?(?:li|ul|ol|p|div|tr|td|th|dd|dt|table|h[1-6])\b[^<>]*>",
    re.IGNORECASE,
)
# Applied after whitespace is collapsed, so each run is short (linear time).
_SEPARATOR_RUN_RE = re.compile(f" ?{_SEPARATOR}[ {_SEPARATOR}]*")
_ENTITY_RE = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
# Only text with one of these needs `markdown` (rendering is ~100x slower than the plain path).
_NEEDS_MARKDOWN_RE = re.compile(
    r"[*`\[<\\]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]\w*);"
)
_BACKSLASH_ESCAPE_RE = re.compile(r"\\([!-/:-@\[-`{-~])")
_EMPHASIS_RUN_RE = re.compile(r"\*{2,}")
_LEFTOVER_TAG_START_RE = re.compile(r"<(?=\s*(?:br|a\s))", re.IGNORECASE)

_DROPPED_BLOCK_PROCESSORS = (
    "empty",
    "indent",
    "code",
    "hashheader",
    "setextheader",
    "hr",
    "olist",
    "ulist",
    "quote",
    "reference",
)
_DROPPED_INLINE_PATTERNS = (
    "reference",
    "image_reference",
    "short_reference",
    "short_image_ref",
    "automail",
    "linebreak",
)
_BRACKET_RE = re.compile(r"\\.|[\[\]()]")  # a backslash escape, or a bracket
_OPENER_OF = {"]": "[", ")": "("}
_MAX_BRACKET_DEPTH = 3
_MARKDOWN_CHUNK = 4000
_thread_state = threading.local()


def _inline_markdown() -> markdown.Markdown:
    """A per-thread Markdown instance that only knows paragraphs and inline syntax.

    Fragments reach it without their block markers, but "1. x", "# x" or "> x" inside a fragment
    must stay text, so the block processors (lists, headings, quotes, code) are removed.
    """
    renderer = getattr(_thread_state, "markdown", None)
    if renderer is None:
        renderer = markdown.Markdown(output_format="html")
        for name in _DROPPED_BLOCK_PROCESSORS:
            renderer.parser.blockprocessors.deregister(name, strict=False)
        for name in _DROPPED_INLINE_PATTERNS:
            renderer.inlinePatterns.deregister(name, strict=False)
        renderer.preprocessors.deregister("html_block", strict=False)
        renderer.treeprocessors.deregister("prettify", strict=False)
        _thread_state.markdown = renderer
    return renderer


def _defuse_brackets(text: str) -> str:
    """Escape the `[` and `(` that make Python-Markdown's link scanning quadratic.

    Its link pattern scans from every `[` (and link `(`) to the matching closer: runs of unmatched
    or deeply nested brackets cost O(n²). Unmatched openers cannot start a link anyway, and real
    links nest at most `[![img](a)](b)`, so escaping those keeps the output and bounds the work.
    """
    if "[" not in text and "(" not in text:
        return text
    escaped: list[int] = []
    open_at: dict[str, list[int]] = {"[": [], "(": []}
    for match in _BRACKET_RE.finditer(text):
        char = match[0]
        if char in open_at:
            stack = open_at[char]
            if len(stack) < _MAX_BRACKET_DEPTH:
                stack.append(match.start())
            else:
                escaped.append(match.start())
        elif char in _OPENER_OF and open_at[_OPENER_OF[char]]:
            open_at[_OPENER_OF[char]].pop()
    escaped += open_at["["] + open_at["("]
    if not escaped:
        return text
    pieces, previous = [], 0
    for position in sorted(escaped):
        pieces += [text[previous:position], "\\"]
        previous = position
    pieces.append(text[previous:])
    return "".join(pieces)


def _render_markdown(text: str) -> str:
    renderer = _inline_markdown()
    renderer.reset()
    try:
        return renderer.convert(_defuse_brackets(_UNKNOWN_LT_RE.sub("&lt;", text)))
    except RecursionError:
        # Defensive: thousands of nested emphasis markers. Keep the text as is; `_scrub` still
        # removes the markup that matters.
        return html.escape(text, quote=False)


def _html_to_text(fragment: str) -> str:
    """Strip tags (separating list items, cells and line breaks with "; ") and entities."""
    marked = _SEPARATOR_TAG_RE.sub(_SEPARATOR, fragment)
    text = html.unescape(nh3.clean(marked, tags=set()))
    return _join_separators(text)


def _join_separators(text: str) -> str:
    return _SEPARATOR_RUN_RE.sub("; ", " ".join(text.split()))


def _scrub(text: str) -> str:
    """Remove markup that survived rendering (unclosed `**`, stray pipes, arrows, leading `#`).

    Repeated until stable because one removal can create another leftover ("<`a " → "<a ").
    """
    previous = None
    while text != previous:
        previous = text
        text = text.replace("`", "").replace("|", " ").replace("~~", "")
        text = _ARROWS_RE.sub("", text)
        text = _EMPHASIS_RUN_RE.sub("", text)
        text = _LEFTOVER_TAG_START_RE.sub("", text)
        text = text.replace("](", "] (")
        text = " ".join(text.split())
        text = text.strip(" ;").lstrip("#")
    return text


@lru_cache(maxsize=16384)
def clean_inline(markdown_text: str) -> str:
    """Inline Markdown/HTML → one line of plain text.

    Keeps link text (drops URLs and arrow-only links), drops images, tags, comments and entities,
    turns `<br/>` and HTML list items into "; ", collapses whitespace. The result never contains
    `**`, `](`, `<br`, `<a `, arrows (↖↑↓), backticks, `|` or a leading `#`.
    """
    text = " ".join(markdown_text.split())
    text = _ARROW_LINK_RE.sub(" ", text)
    if _NEEDS_MARKDOWN_RE.search(text):
        rendered = (_html_to_text(_render_markdown(chunk)) for chunk in _chunks(text))
        text = " ".join(rendered)
        text = _BACKSLASH_ESCAPE_RE.sub(r"\1", text)  # escapes Python-Markdown does not know
    return _scrub(text)


def _chunks(text: str) -> list[str]:
    """Cut very long text at spaces into pieces of at most _MARKDOWN_CHUNK characters.

    Python-Markdown splices a placeholder into the whole string for each inline token, which is
    quadratic in the fragment length; bounded pieces keep cleaning linear. Real fragments are far
    shorter (the longest in the notes is ~1,100 characters), so they are never cut.
    """
    pieces = []
    while len(text) > _MARKDOWN_CHUNK:
        cut = text.rfind(" ", _MARKDOWN_CHUNK // 2, _MARKDOWN_CHUNK)
        cut = _MARKDOWN_CHUNK if cut == -1 else cut
        pieces.append(text[:cut])
        text = text[cut:]
    pieces.append(text)
    return pieces


# --------------------------------------------------------------------------------------------
# Markdown: line classification
# --------------------------------------------------------------------------------------------

_ATX_RE = re.compile(r"^ {0,3}(#{1,6})(?=[ \t]|$)(.*)$")
_HTML_HEADING_OPEN_RE = re.compile(r"^[ \t]*<h([1-6])(?:\s[^>]*)?>", re.IGNORECASE)
_SETEXT_RE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_HR_RE = re.compile(r"^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
_FENCE_OPEN_RE = re.compile(r"^([ \t]*)(`{3,}|~{3,})(.*)$")
_LIST_ITEM_RE = re.compile(r"^([ \t]*)([-*+•]|\d{1,9}[.)])(?:[ \t]+(.*))?$")
_QUOTE_RE = re.compile(r"^ {0,3}>")
_QUOTE_MARKER_RE = re.compile(r"^[ \t]*(?:>[ \t]?)+")
_ADMONITION_RE = re.compile(r"^\[!(\w+)\][ \t]*(.*)$")
_TABLE_DELIMITER_CHARS = frozenset("|:- \t")
_PIPE_SPLIT_RE = re.compile(r"(?<!\\)\|")
_BR_SPLIT_RE = re.compile(r"<\s*br\b[^<>]*>", re.IGNORECASE)
_CELL_BULLET_RE = re.compile(r"^(?:[-*+•]|\d{1,3}[.)])[ \t]+")
_TOC_START_RE = re.compile(r"<!--\s*toc_start\s*-->", re.IGNORECASE)
_TOC_END_RE = re.compile(r"<!--\s*toc_end\s*-->", re.IGNORECASE)
_NOISE_RE = re.compile(
    r"<a\s+(?:name|id)\s*=[^>]*>\s*(?:</a\s*>)?"  # anchors
    r"|!\[[^\]]*\]\([^)]*\)"  # Markdown images
    r"|<img\b[^>]*>"  # HTML images
    rf"|{_ARROW_LINK}",  # arrow links
    re.IGNORECASE,
)
_LINK_TEXT = r"\[(?:\\.|[^\[\]\\]|\[[^\]]*\])*\]"  # escapes and one level of [nested]
_INTERNAL_LINK = _LINK_TEXT + r"\(\s*(?:#[^)\s]*|[^)\s]*\.md(?:#[^)\s]*)?)\s*\)"
_NAV_ONLY_RE = re.compile(rf"^(?:{_INTERNAL_LINK}[\s,;·•|-]*)+$", re.IGNORECASE)
_PLACEHOLDER_CELLS = frozenset({"", ".", "..", "...", "-", "--", "–", "—"})
_PLACEHOLDER_TEXT_RE = re.compile(
    r"^\W*(?:(?:todo|to-?do|tbd|tba|wip|work in progress|coming soon|placeholder|"
    r"to be (?:added|done|written|completed|continued))\W*)?$",
    re.IGNORECASE,
)
_PLACEHOLDER_HEADING_RE = re.compile(
    r"^(?:todo|to-?do|tbd|wip|work in progress|coming soon)[\s\d.:#()-]*$", re.IGNORECASE
)
_TAB_WIDTH = 2  # see the module docstring: one tab is one nesting level in these notes


def _indent_width(line: str) -> int:
    width = 0
    for char in line:
        if char == " ":
            width += 1
        elif char == "\t":
            width += _TAB_WIDTH
        else:
            break
    return width


def _remove_comments(line: str) -> tuple[str, bool]:
    """The line without `<!-- … -->` comments, and False when a comment stays open at its end."""
    kept: list[str] = []
    position = 0
    while (start := line.find("<!--", position)) != -1:
        kept.append(line[position:start])
        end = line.find("-->", start + 4)
        if end == -1:
            return "".join(kept), False
        position = end + 3
    kept.append(line[position:])
    return "".join(kept), True


def _strip_closing_hashes(content: str) -> str:
    """`## Title ##` → "Title"; `## C#` keeps its hash (the closing run needs a space before)."""
    without = content.rstrip("#")
    if without == content:
        return content
    if not without or without[-1] in " \t":
        return without.rstrip()
    return content


def _is_noise_line(line: str) -> bool:
    """A line with nothing but anchors, images and arrow links."""
    return not _NOISE_RE.sub("", line).strip()


def _is_nav_only(text: str) -> bool:
    return bool(_NAV_ONLY_RE.match(text.strip()))


def _is_table_delimiter(line: str) -> bool:
    """`|-|-|`, `| --- | :-: |`: only pipes, dashes, colons and spaces, with a pipe and a dash."""
    return "|" in line and "-" in line and set(line) <= _TABLE_DELIMITER_CHARS


def _is_placeholder_cell(text: str) -> bool:
    return text.strip() in _PLACEHOLDER_CELLS


def _split_table_row(line: str) -> list[str]:
    """Cells of a pipe-table row; leading and trailing pipes are optional, `\\|` is a pipe."""
    row = line.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return [cell.strip().replace("\\|", "|") for cell in _PIPE_SPLIT_RE.split(row)]


def _clean_cell(raw: str) -> str:
    """A table cell: `<br/>` parts (often "* item" lines) cleaned and joined with "; "."""
    parts = (_CELL_BULLET_RE.sub("", part.strip()) for part in _BR_SPLIT_RE.split(raw))
    cleaned = (clean_inline(part) for part in parts if not _is_placeholder_cell(part))
    return "; ".join(part for part in cleaned if not _is_placeholder_cell(part))


def _next_match_index(lines: list[str], pattern: re.Pattern[str]) -> list[int]:
    """For each line, the index of the first line at or after it matching `pattern` (or -1).

    Precomputed so unclosed comments/TOC markers cost O(1) each, keeping the scan linear.
    """
    result = [-1] * len(lines)
    following = -1
    for index in range(len(lines) - 1, -1, -1):
        if pattern.search(lines[index]):
            following = index
        result[index] = following
    return result


# --------------------------------------------------------------------------------------------
# Markdown: scanner
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Heading:
    level: int
    text: str
    line_start: int
    line_end: int


@dataclass(slots=True)
class _ListEntry:
    """An item on the nesting stack; `text` is filled in when the item is finished."""

    indent: int
    text: str = ""


@dataclass(slots=True)
class _OpenItem:
    entry: _ListEntry
    line_start: int
    line_end: int
    context: tuple[str, ...]
    parts: list[str] = field(default_factory=list)
    lazy: bool = True  # may unindented lines continue it? Not for "•" lines, which aren't Markdown


class _MarkdownScanner:
    """One pass over the lines, emitting headings and blocks in line order."""

    def __init__(self, lines: list[str], label: str) -> None:
        self.lines = lines
        self.label = label
        self.headings: list[_Heading] = []
        self.blocks: list[Block] = []
        self.warnings: list[str] = []
        self._paragraph: list[tuple[int, str]] = []  # (line number, stripped text)
        self._list_stack: list[_ListEntry] = []
        self._item: _OpenItem | None = None
        self._blank_since_item = False
        self._next_toc_end = _next_match_index(lines, _TOC_END_RE)
        self._next_comment_end = _next_match_index(lines, re.compile("-->"))

    def scan(self) -> None:
        index = 0
        while index < len(self.lines):
            index = self._step(index)
        self._end_blocks()

    # -- dispatch ------------------------------------------------------------------------

    def _step(self, index: int) -> int:
        line = self.lines[index]
        if not line.strip():
            self._on_blank()
            return index + 1
        if _TOC_START_RE.search(line):
            return self._skip_toc(index)
        if "<!--" in line:
            line, closed = _remove_comments(line)
            if not closed:
                return self._skip_comment(index)
            if not line.strip():
                self._on_blank()
                return index + 1
        fence = _FENCE_OPEN_RE.match(line)
        if fence and not (fence[2][0] == "`" and "`" in fence[3]):
            return self._read_fence(index, fence)
        atx = _ATX_RE.match(line)
        if atx:
            self._end_blocks()
            text = _strip_closing_hashes(atx[2].strip())
            self._add_heading(len(atx[1]), text, index + 1, index + 1)
            return index + 1
        html_heading = _HTML_HEADING_OPEN_RE.match(line)
        if html_heading:
            return self._read_html_heading(index, line, int(html_heading[1]))
        setext = _SETEXT_RE.match(line)
        if setext and self._paragraph:
            self._read_setext(index, level=1 if setext[1][0] == "=" else 2)
            return index + 1
        if _HR_RE.match(line):
            self._end_blocks()
            return index + 1
        if _is_noise_line(line):
            self._on_blank()
            return index + 1
        if self._is_table_start(index, line):
            self._end_blocks()
            return self._read_table(index, line)
        if _QUOTE_RE.match(line):
            self._end_blocks()
            return self._read_quote(index)
        item = _LIST_ITEM_RE.match(line)
        if item:
            self._flush_paragraph()
            self._start_item(index, item)
            return index + 1
        return self._on_text(index, line)

    # -- state changes -------------------------------------------------------------------

    def _on_blank(self) -> None:
        self._flush_paragraph()
        if self._item is not None:
            self._blank_since_item = True

    def _end_blocks(self) -> None:
        """Something that ends paragraphs and lists (heading, rule, table, quote)."""
        self._flush_paragraph()
        self._finish_item()
        self._list_stack.clear()

    def _on_text(self, index: int, line: str) -> int:
        indent = _indent_width(line)
        if self._item is not None:
            # Lazy continuation, or an indented paragraph inside the item after a blank line.
            lazy = self._item.lazy and not self._blank_since_item
            if lazy or indent > self._item.entry.indent:
                self._item.parts.append(line.strip())
                self._item.line_end = index + 1
                self._blank_since_item = False
                return index + 1
            self._finish_item()
            if indent == 0:
                self._list_stack.clear()
        elif (
            not self._paragraph
            and not self._list_stack
            and indent >= 4
            and (index == 0 or not self.lines[index - 1].strip())
        ):
            return self._read_indented_code(index)
        self._paragraph.append((index + 1, line.strip()))
        return index + 1

    def _flush_paragraph(self) -> None:
        if not self._paragraph:
            return
        raw = " ".join(text for _, text in self._paragraph)
        if not _is_nav_only(raw):
            self._add_block("paragraph", raw, self._paragraph[0][0], self._paragraph[-1][0])
        self._paragraph = []

    def _start_item(self, index: int, match: re.Match[str]) -> None:
        self._finish_item()
        indent = _indent_width(match[1])
        while self._list_stack and self._list_stack[-1].indent >= indent:
            self._list_stack.pop()
        context = tuple(entry.text for entry in self._list_stack if entry.text)
        entry = _ListEntry(indent)
        self._list_stack.append(entry)
        content = (match[3] or "").strip()
        self._item = _OpenItem(entry, index + 1, index + 1, context, [content], match[2] != "•")
        self._blank_since_item = False

    def _finish_item(self) -> None:
        item, self._item = self._item, None
        if item is None:
            return
        raw = " ".join(part for part in item.parts if part)
        if _is_nav_only(raw):
            return  # a TOC entry: no block, and not a context for its children either
        item.entry.text = clean_inline(raw)
        if item.entry.text:
            self.blocks.append(
                Block("bullet", item.entry.text, item.line_start, item.line_end, item.context)
            )

    def _add_block(self, kind: str, raw: str, line_start: int, line_end: int) -> None:
        text = clean_inline(raw)
        if text:
            self.blocks.append(Block(kind, text, line_start, line_end))

    def _add_heading(self, level: int, raw: str, line_start: int, line_end: int) -> None:
        self.headings.append(_Heading(level, clean_inline(raw), line_start, line_end))

    # -- multi-line constructs -----------------------------------------------------------

    def _skip_toc(self, index: int) -> int:
        end = self._next_toc_end[index]
        if end == -1:
            self.warnings.append(_warning(self.label, index + 1, "toc_start without toc_end"))
            self._on_blank()
            return index + 1
        self._end_blocks()
        return end + 1

    def _skip_comment(self, index: int) -> int:
        following = index + 1
        end = self._next_comment_end[following] if following < len(self.lines) else -1
        self._on_blank()
        if end == -1:
            self.warnings.append(_warning(self.label, index + 1, "HTML comment is never closed"))
            return index + 1
        return end + 1

    def _read_fence(self, index: int, fence: re.Match[str]) -> int:
        indent, marker = fence[1], fence[2]
        if _indent_width(indent) == 0:
            self._end_blocks()
        else:  # a fence inside a list item: the list goes on after it
            self._flush_paragraph()
            self._finish_item()
        closing = re.compile(rf"^[ \t]*{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$")
        end = index + 1
        while end < len(self.lines) and not closing.match(self.lines[end]):
            end += 1
        if end == len(self.lines):
            self.warnings.append(_warning(self.label, index + 1, "code fence is never closed"))
            last = end  # 1-based number of the last line
        else:
            last = end + 1
        body = textwrap.dedent("\n".join(self.lines[index + 1 : end])).strip("\n")
        if body.strip():
            self.blocks.append(Block("code", body, index + 1, last))
        return last

    def _read_indented_code(self, index: int) -> int:
        end = index
        last_code = index
        while end < len(self.lines):
            line = self.lines[end]
            if line.strip():
                if _indent_width(line) < 4:
                    break
                last_code = end
            end += 1
        body = textwrap.dedent("\n".join(self.lines[index : last_code + 1]))
        self.blocks.append(Block("code", body, index + 1, last_code + 1))
        return last_code + 1

    def _read_html_heading(self, index: int, line: str, level: int) -> int:
        self._end_blocks()
        closing = re.compile(rf"</h{level}\s*>", re.IGNORECASE)
        parts = [_HTML_HEADING_OPEN_RE.sub("", line, count=1)]
        end = index
        while not closing.search(parts[-1]):
            if end + 1 >= len(self.lines) or not self.lines[end + 1].strip():
                break  # unclosed: the heading is what we gathered
            end += 1
            parts.append(self.lines[end])
        joined = " ".join(parts)
        found = closing.search(joined)
        inner, rest = (joined[: found.start()], joined[found.end() :]) if found else (joined, "")
        self._add_heading(level, inner, index + 1, end + 1)
        if rest.strip() and not _is_noise_line(rest):
            self._add_block("paragraph", rest, end + 1, end + 1)
        return end + 1

    def _read_setext(self, index: int, *, level: int) -> None:
        raw = " ".join(text for _, text in self._paragraph)
        start = self._paragraph[0][0]
        self._paragraph = []
        self._end_blocks()
        self._add_heading(level, raw, start, index + 1)

    def _is_table_start(self, index: int, line: str) -> bool:
        if "|" not in line or index + 1 >= len(self.lines):
            return False
        return _is_table_delimiter(self.lines[index + 1])

    def _read_table(self, index: int, line: str) -> int:
        headers = [_header_name(cell) for cell in _split_table_row(line)]
        end = index + 2
        while end < len(self.lines) and self._is_table_body_line(self.lines[end]):
            self._add_table_row(headers, self.lines[end], end + 1)
            end += 1
        return end

    def _is_table_body_line(self, line: str) -> bool:
        return (
            "|" in line
            and bool(line.strip())
            and not _ATX_RE.match(line)
            and not _HTML_HEADING_OPEN_RE.match(line)
            and not _FENCE_OPEN_RE.match(line)
        )

    def _add_table_row(self, headers: list[str], line: str, line_number: int) -> None:
        if _is_table_delimiter(line):
            return  # a repeated delimiter row
        cells: list[tuple[str, str]] = []
        for position, raw in enumerate(_split_table_row(line)):
            value = _clean_cell(raw)
            if value:
                header = headers[position] if position < len(headers) else ""
                cells.append((header, value))
        if cells:
            text = "; ".join(f"{header}: {value}" if header else value for header, value in cells)
            self.blocks.append(
                Block("table_row", text, line_number, line_number, cells=tuple(cells))
            )

    def _read_quote(self, index: int) -> int:
        end = index
        paragraph: list[tuple[int, str]] = []
        while end < len(self.lines) and _QUOTE_RE.match(self.lines[end]):
            content = _QUOTE_MARKER_RE.sub("", self.lines[end]).strip()
            if content:
                paragraph.append((end + 1, content))
            else:
                self._add_quote_paragraph(paragraph)
                paragraph = []
            end += 1
        self._add_quote_paragraph(paragraph)
        return end

    def _add_quote_paragraph(self, paragraph: list[tuple[int, str]]) -> None:
        if not paragraph:
            return
        raw = " ".join(text for _, text in paragraph)
        if _is_nav_only(raw):
            return
        admonition = _ADMONITION_RE.match(raw)
        if admonition:  # GitHub "> [!IMPORTANT]" callouts: keep the kind as a prefix
            if not clean_inline(admonition[2]):
                return
            raw = f"{admonition[1].capitalize()}: {admonition[2]}"
        self._add_block("paragraph", raw, paragraph[0][0], paragraph[-1][0])


def _header_name(raw: str) -> str:
    return "" if _is_placeholder_cell(raw) else _clean_cell(raw)


# --------------------------------------------------------------------------------------------
# Markdown: sections
# --------------------------------------------------------------------------------------------


def _build_sections(
    lines: list[str], headings: list[_Heading], blocks: list[Block]
) -> list[ParsedSection]:
    """One section per heading (its lines up to the next heading), plus a level-0 preamble."""
    blocks = sorted(blocks, key=lambda block: block.line_start)
    starts = [heading.line_start for heading in headings]
    grouped: list[list[Block]] = [[] for _ in range(len(headings) + 1)]  # [0] is the preamble
    for block in blocks:
        grouped[bisect_right(starts, block.line_start)].append(block)

    sections: list[ParsedSection] = []
    if grouped[0]:
        last = starts[0] - 1 if starts else len(lines)
        sections.append(_section((), 0, 1, last, lines, grouped[0]))
    ancestors: list[_Heading] = []
    for position, heading in enumerate(headings):
        last = starts[position + 1] - 1 if position + 1 < len(starts) else len(lines)
        while ancestors and ancestors[-1].level >= heading.level:
            ancestors.pop()
        ancestors.append(heading)
        path = tuple(ancestor.text for ancestor in ancestors if ancestor.text)
        sections.append(
            _section(path, heading.level, heading.line_start, last, lines, grouped[position + 1])
        )
    return sections


def _section(
    path: tuple[str, ...], level: int, first: int, last: int, lines: list[str], blocks: list[Block]
) -> ParsedSection:
    raw = "\n".join(lines[first - 1 : last])
    return ParsedSection(path, level, first, last, raw, blocks)


def _drop_placeholder_sections(sections: list[ParsedSection], label: str) -> list[str]:
    """Empty the blocks of TODO/WIP sections; return one warning per emptied section."""
    warnings = []
    for section in sections:
        title = section.heading_path[-1] if section.heading_path and section.level else ""
        placeholder_heading = bool(title and _PLACEHOLDER_HEADING_RE.match(title))
        prose = [block for block in section.blocks if block.kind != "code"]
        placeholder_body = bool(prose) and all(
            _PLACEHOLDER_TEXT_RE.match(block.text) for block in prose
        )
        if placeholder_heading or placeholder_body:
            name = title or "text before the first heading"
            warnings.append(
                _warning(label, section.line_start, f"placeholder section {name!r} skipped")
            )
            section.blocks = []
    return warnings


def read_markdown(text: str, *, file_name: str = "") -> ReadResult:
    """Read Markdown notes into sections (heading tree) and plain-text blocks."""
    label = _label(file_name)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise NoteFormatError(_warning(label, line, "NUL character: this is not a text file"))
    lines = split_lines(text)
    scanner = _MarkdownScanner(lines, label)
    scanner.scan()
    sections = _build_sections(lines, scanner.headings, scanner.blocks)
    warnings = scanner.warnings + _drop_placeholder_sections(sections, label)
    return ReadResult(sections=sections, warnings=warnings)


# --------------------------------------------------------------------------------------------
# Glossary TSV
# --------------------------------------------------------------------------------------------

_GLOSSARY_COLUMNS = ("term", "full_form", "definition", "note")
_HEADER_CELLS = (("terms", "term"), ("full form",), ("definition",), ("note", "notes"))
_TOPIC_RE = re.compile(r"^topics?\b[\s:)(.\-–]*(\d*)[\s:)(.\-–]*(.*)$", re.IGNORECASE)
_QUESTION_MARKER_RE = re.compile(r"^questions?\s*:?$", re.IGNORECASE)
_ENUMERATOR_RE = re.compile(r"^\d{1,3}(?:\s*[).:]\s*|\s+|$)")
_SEPARATOR_CELL_RE = re.compile(r"^[-–—=_.\s]+$")
_BRACKETED_PLACEHOLDER_RE = re.compile(r"^\[[^\]]*\]$")


def _split_tsv_row(line: str) -> list[str] | None:
    """Tab-separated cells; a cell starting with `"` is quoted (`""` is a quote).

    Returns None when a quoted cell is still open at the end of the line.
    """
    if '"' not in line:
        return line.split("\t")
    cells: list[str] = []
    position = 0
    while True:
        if line.startswith('"', position):
            cell, position = _read_quoted_cell(line, position)
            if cell is None:
                return None
        else:
            tab = line.find("\t", position)
            end = len(line) if tab == -1 else tab
            cell, position = line[position:end], end
        cells.append(cell)
        if position >= len(line):
            return cells
        position += 1  # the tab
        if position == len(line):
            cells.append("")
            return cells


def _read_quoted_cell(line: str, start: int) -> tuple[str | None, int]:
    parts: list[str] = []
    position = start + 1
    while True:
        quote = line.find('"', position)
        if quote == -1:
            return None, len(line)
        parts.append(line[position:quote])
        if line.startswith('"', quote + 1):  # "" is a literal quote
            parts.append('"')
            position = quote + 2
            continue
        tab = line.find("\t", quote + 1)
        end = len(line) if tab == -1 else tab
        parts.append(line[quote + 1 : end])  # lenient, like the csv module: text after the quote
        return "".join(parts), end


def _clean_glossary_cell(raw: str) -> str:
    """Glossary cells are plain text with some HTML (`<ul><li>`, `<code>`) and "•" bullets."""
    text = " ".join(raw.replace("\\$", "$").split())
    if "<" in text:
        text = _html_to_text(_UNKNOWN_LT_RE.sub("&lt;", text))
    elif _ENTITY_RE.search(text):
        text = html.unescape(text)
    return _scrub(_join_separators(text.replace("•", _SEPARATOR)))


def _glossary_text(term: str, full_form: str, definition: str, note: str) -> str:
    head = f"{term} ({full_form})" if term and full_form else term or full_form
    body = "; ".join(part for part in (definition, note) if part)
    return f"{head}: {body}" if head and body else head or body


def _question_text(question: str, answer: str) -> str:
    if question and answer:
        separator = " " if question[-1] in ".?!:" else ": "
        return f"{question}{separator}{answer}"
    return question or answer


@dataclass(slots=True)
class _GlossaryRow:
    line: int
    cells: tuple[str, str, str, str]  # cleaned: term, full form, definition, note
    raw_cells: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not any(self.cells)


class _GlossaryReader:
    """Row by row: header rows, topic rows, question runs, entries and their continuations."""

    def __init__(self, lines: list[str], label: str) -> None:
        self.lines = lines
        self.label = label
        self.warnings: list[str] = []
        self.sections: list[ParsedSection] = []
        self._topic = ""
        self._section: ParsedSection | None = None
        self._term = ""  # the entry continuation rows belong to
        self._in_questions = False
        self._last_question = ""
        self._seen_header = False
        # Cells of the last over-wide row, while the rows below only repeat them.
        self._spill_source: frozenset[str] = frozenset()

    def read(self) -> None:
        for index, line in enumerate(self.lines):
            if line.strip():
                self._read_row(index + 1, line)
        self._close_section(len(self.lines))

    def _read_row(self, number: int, line: str) -> None:
        row = self._parse_row(number, line)
        if row is None:
            return
        if self._is_spill_over(row):
            self.warnings.append(
                _warning(self.label, number, "repeats cells of the skipped row above; row skipped")
            )
            return
        if _is_header_row(row.cells):
            self._seen_header = True
            self._in_questions = False
            return
        if not self._seen_header:
            raise NoteFormatError(
                _warning(
                    self.label,
                    number,
                    "missing header row 'Terms<TAB>Full Form<TAB>Definition<TAB>NOTE'",
                )
            )
        if row.is_empty or all(_SEPARATOR_CELL_RE.match(cell) for cell in row.cells if cell):
            return  # an empty or "---<TAB>--" separator row
        term, full_form, definition, note = row.cells
        if _TOPIC_RE.match(term) and not (full_form or definition or note):
            self._start_topic(number, term)
        elif _QUESTION_MARKER_RE.match(term):
            self._in_questions = True
            self._last_question = ""
            if full_form or definition or note:
                self._add_question(row, ("", full_form, definition, note))
        elif self._is_placeholder_row(row):
            self.warnings.append(_warning(self.label, number, f"placeholder row {term!r} skipped"))
        elif self._in_questions:
            self._add_question(row, row.cells)
        elif term:
            self._add_entry(row)
        else:
            self._add_continuation(row)

    def _parse_row(self, number: int, line: str) -> _GlossaryRow | None:
        raw_cells = _split_tsv_row(line)
        if raw_cells is None:
            self.warnings.append(
                _warning(self.label, number, "quoted cell is never closed; row skipped")
            )
            return None
        while len(raw_cells) > len(_GLOSSARY_COLUMNS) and not raw_cells[-1].strip():
            raw_cells.pop()  # spreadsheets pad rows with empty columns
        if len(raw_cells) > len(_GLOSSARY_COLUMNS):
            self.warnings.append(
                _warning(
                    self.label,
                    number,
                    f"{len(raw_cells)} columns, expected at most {len(_GLOSSARY_COLUMNS)}; "
                    "row skipped",
                )
            )
            self._spill_source = frozenset(cell.strip() for cell in raw_cells)
            return None
        raw_cells += [""] * (len(_GLOSSARY_COLUMNS) - len(raw_cells))
        term, full_form, definition, note = (_clean_glossary_cell(cell) for cell in raw_cells)
        return _GlossaryRow(number, (term, full_form, definition, note), tuple(raw_cells))

    def _is_spill_over(self, row: _GlossaryRow) -> bool:
        """Rows right below an over-wide row that only repeat its cells (a spilled HTML table)."""
        source, self._spill_source = self._spill_source, frozenset()
        cells = {cell.strip() for cell in row.raw_cells} - {""}
        if not cells or not cells <= source:
            return False
        self._spill_source = source
        return True

    def _is_placeholder_row(self, row: _GlossaryRow) -> bool:
        """A lone term with nothing else ("[illegible]", a stray word) is not an entry."""
        term, full_form, definition, note = row.cells
        if full_form or definition or note:
            return False
        return bool(_BRACKETED_PLACEHOLDER_RE.match(term)) or not self._in_questions

    # -- sections -----------------------------------------------------------------------

    def _start_topic(self, number: int, cell: str) -> None:
        self._close_section(number - 1)
        match = _TOPIC_RE.match(cell)
        title = match[2].strip() if match else ""
        self._topic = title or cell
        self._section = ParsedSection((self._topic,), 1, number, number, "")
        self.sections.append(self._section)
        self._term = ""
        self._in_questions = False

    def _current_section(self, number: int) -> ParsedSection:
        if self._section is None:  # entries before any topic row
            self._section = ParsedSection((), 0, 1, number, "")
            self.sections.append(self._section)
        return self._section

    def _close_section(self, last_line: int) -> None:
        section = self._section
        if section is None:
            return
        section.line_end = max(section.line_start, last_line)
        section.raw_markdown = "\n".join(self.lines[section.line_start - 1 : section.line_end])

    def _context(self, *extra: str) -> tuple[str, ...]:
        return tuple(part for part in (self._topic, *extra) if part)

    # -- blocks ---------------------------------------------------------------------------

    def _add_entry(self, row: _GlossaryRow) -> None:
        self._term = row.cells[0]
        self._add_glossary_block(row, row.cells, self._context())

    def _add_continuation(self, row: _GlossaryRow) -> None:
        """A row with an empty Terms column adds to the entry above it."""
        cells = (self._term, *row.cells[1:])
        self._add_glossary_block(row, cells, self._context(self._term))

    def _add_glossary_block(
        self, row: _GlossaryRow, cells: tuple[str, ...], context: tuple[str, ...]
    ) -> None:
        text = _glossary_text(*cells)
        block = Block(
            "glossary",
            text,
            row.line,
            row.line,
            context=context,
            cells=tuple(zip(_GLOSSARY_COLUMNS, cells, strict=True)),
        )
        self._current_section(row.line).blocks.append(block)

    def _add_question(self, row: _GlossaryRow, cells: tuple[str, ...]) -> None:
        """Numbering ("1", "2)") is dropped; Terms/Full Form/Definition ask, NOTE answers."""
        parts = [_ENUMERATOR_RE.sub("", cell, count=1).strip() for cell in cells[:2]]
        parts.append(cells[2])
        question = ": ".join(part for part in parts if part)
        answer = cells[3]
        text = _question_text(question, answer)
        if not text:
            return
        # A row with only an answer (no number, no question) adds to the question above it.
        follows_previous = not question and not _ENUMERATOR_RE.match(" ".join(cells[:2]).strip())
        extra = (self._last_question,) if follows_previous and self._last_question else ()
        if not follows_previous:
            self._last_question = text
        block = Block(
            "paragraph",
            text,
            row.line,
            row.line,
            context=self._context("Questions", *extra),
            cells=(("question", question), ("answer", answer)),
        )
        self._current_section(row.line).blocks.append(block)


def _is_header_row(cells: tuple[str, ...]) -> bool:
    return all(
        cell.strip().lower() in names for cell, names in zip(cells, _HEADER_CELLS, strict=True)
    )


def read_glossary_tsv(text: str, *, file_name: str = "") -> ReadResult:
    """Read the tab-separated glossary: one section per topic, one block per row."""
    label = _label(file_name)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise NoteFormatError(_warning(label, line, "NUL character: this is not a text file"))
    lines = split_lines(text)
    if not any(line.strip() for line in lines):
        raise NoteFormatError(_warning(label, 1, "empty glossary: no header row"))
    reader = _GlossaryReader(lines, label)
    reader.read()
    return ReadResult(sections=reader.sections, warnings=reader.warnings)

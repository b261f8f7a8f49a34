"""Presentation helpers for the exam pages: Markdown, times, and server-rendered SVG charts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django import template
from django.utils.safestring import SafeString, mark_safe

from notes.rendering import render_markdown_safe
from questions.forms import number_word

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Markdown to sanitised HTML (nh3 strips scripts, handlers, styles and images)."""
    return mark_safe(render_markdown_safe(text or ""))  # sanitised by nh3


@register.filter
def choose_word(count: int) -> str:
    return number_word(count)


@register.filter
def epoch_ms(moment: datetime | None) -> str:
    return "" if moment is None else str(int(moment.timestamp() * 1000))


@register.simple_tag
def minutes_left(deadline: datetime | None, now: datetime) -> int:
    """Whole minutes left, rounded up (so "1 minute" until the very end)."""
    if deadline is None:
        return 0
    return max(0, math.ceil((deadline - now).total_seconds() / 60))


@register.filter
def duration(value: timedelta | None) -> str:
    if value is None:
        return "no limit"
    seconds = max(0, int(value.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min" + (f" {seconds} s" if seconds and minutes < 5 else "")
    return f"{seconds} s"


@register.filter
def percent(value: float | None) -> str:
    return "–" if value is None else f"{round(value)}%"


# --- Charts ----------------------------------------------------------------------------------

CHART_WIDTH = 560
BAR_WIDTH = 496
ROW_HEIGHT = 46
BAR_HEIGHT = 16
CHART_TOP = 18


@dataclass(frozen=True, slots=True)
class BarRow:
    label: str
    percent: float
    correct: int
    total: int
    meets: bool
    y_text: int
    y_bar: int
    y_value: int
    width: float


@dataclass(frozen=True, slots=True)
class BarChart:
    rows: list[BarRow]
    width: int
    height: int
    bar_width: int
    bar_height: int
    value_x: int
    pass_x: float
    passing_percent: float


@register.simple_tag
def bar_chart(rows: Sequence, passing_percent: float) -> BarChart:
    """Horizontal bars (percent correct) with the passing line, for a `BreakdownRow` list:
    each row is a label line, then the bar with its percentage at the right."""
    bars = []
    for index, row in enumerate(rows):
        top = CHART_TOP + index * ROW_HEIGHT
        bars.append(
            BarRow(
                label=f"{row.key}. {row.label}",
                percent=row.percent,
                correct=row.correct,
                total=row.total,
                meets=row.meets_passing,
                y_text=top + 14,
                y_bar=top + 21,
                y_value=top + 21 + BAR_HEIGHT - 3,
                width=round(BAR_WIDTH * row.percent / 100, 1),
            )
        )
    return BarChart(
        rows=bars,
        width=CHART_WIDTH,
        height=CHART_TOP + len(bars) * ROW_HEIGHT + 4,
        bar_width=BAR_WIDTH,
        bar_height=BAR_HEIGHT,
        value_x=BAR_WIDTH + 8,
        pass_x=round(BAR_WIDTH * passing_percent / 100, 1),
        passing_percent=passing_percent,
    )


SPARK_WIDTH = 320
SPARK_HEIGHT = 90
SPARK_PAD = 10


@dataclass(frozen=True, slots=True)
class SparkPoint:
    x: float
    y: float
    label: str
    current: bool
    passed: bool


@dataclass(frozen=True, slots=True)
class Sparkline:
    points: list[SparkPoint]
    polyline: str
    width: int
    height: int
    pass_y: float


@register.simple_tag
def sparkline(history: Sequence, score_min: int, score_max: int, passing_score: int) -> Sparkline:
    """Scaled scores over attempts, oldest first, with the passing score as a line."""
    span = max(score_max - score_min, 1)
    inner_w = SPARK_WIDTH - 2 * SPARK_PAD
    inner_h = SPARK_HEIGHT - 2 * SPARK_PAD

    def y_of(score: float) -> float:
        return round(SPARK_PAD + inner_h * (1 - (score - score_min) / span), 1)

    count = len(history)
    points = []
    for index, point in enumerate(history):
        x = SPARK_PAD + (inner_w * index / (count - 1) if count > 1 else inner_w / 2)
        points.append(
            SparkPoint(
                x=round(x, 1),
                y=y_of(point.scaled_score),
                label=f"{point.submitted_at:%d %b %Y}: {point.scaled_score}",
                current=point.current,
                passed=point.passed,
            )
        )
    return Sparkline(
        points=points,
        polyline=" ".join(f"{p.x},{p.y}" for p in points),
        width=SPARK_WIDTH,
        height=SPARK_HEIGHT,
        pass_y=y_of(passing_score),
    )

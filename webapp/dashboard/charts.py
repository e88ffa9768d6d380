"""Chart geometry for server-drawn SVG (no JavaScript, nothing from a CDN)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dashboard.records import Trends

PALETTE = {
    "test_assertion": "#d62728",
    "lint": "#9467bd",
    "type_error": "#8c564b",
    "compile": "#e377c2",
    "dependency_install": "#ff7f0e",
    "docker_build": "#1f77b4",
    "timeout_or_oom": "#bcbd22",
    "network_or_flaky": "#17becf",
    "permission_or_secret": "#7f7f7f",
    "github_actions_config": "#2ca02c",
    "snapshot_diff": "#aec7e8",
    "infrastructure": "#ffbb78",
    "unknown": "#c7c7c7",
}


@dataclass
class Segment:
    y: float
    height: float
    color: str
    category: str
    count: int


@dataclass
class Bar:
    x: float
    width: float
    label: str
    total: int
    segments: list[Segment] = field(default_factory=list)


@dataclass
class BarChart:
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    max_value: int
    bars: list[Bar]
    legend: list[tuple[str, str]]
    ticks: list[tuple[float, int]]


# The per-day chart shows at least this many days, and from the first day with a failure on.
MIN_DAYS = 7


def failures_per_day(trends: Trends, width: int = 720, height: int = 260) -> BarChart:
    """Stacked bars: failures per day, one colour per category; the axis starts at the first day
    with a failure (at most 30 days back, at least a week), so a short history is not a sliver at
    the edge of an empty month."""
    top, bottom, left = 20, height - 40, 36
    first = next((i for i, d in enumerate(trends.days) if sum(trends.per_day[d].values())), len(trends.days))
    days = trends.days[min(first, max(0, len(trends.days) - MIN_DAYS)) :]
    totals = [sum(trends.per_day[d].values()) for d in days]
    peak = max(totals, default=0) or 1
    slot = (width - left - 10) / max(1, len(days))
    bars: list[Bar] = []
    for index, day in enumerate(days):
        counts = trends.per_day[day]
        bar = Bar(left + index * slot + slot * 0.1, slot * 0.8, day.strftime("%m-%d"), sum(counts.values()))
        y = float(bottom)
        for category in trends.categories:
            n = counts.get(category, 0)
            if not n:
                continue
            h = (bottom - top) * n / peak
            y -= h
            bar.segments.append(Segment(y, h, PALETTE.get(category, "#999999"), category, n))
        bars.append(bar)
    ticks = [(bottom - (bottom - top) * v / peak, v) for v in sorted({0, peak // 2, peak})]
    legend = [(c, PALETTE.get(c, "#999999")) for c in trends.categories]
    return BarChart(width, height, top, bottom, peak, bars, legend, ticks)


@dataclass
class HBar:
    y: float
    width: float
    count: int
    label: str  # what the bar shows: both ends of the full label, so similar failures differ
    title: str  # the full label, shown on hover
    href: str


LABEL_CHARS = 40
BAR_LEFT = 250
COUNT_ROOM = 48  # right of the longest bar: its count is never cut off


def short_label(text: str, limit: int = LABEL_CHARS) -> str:
    """``text`` within ``limit`` characters, keeping both ends ("acme/api: Test …test_login failed"):
    failures of one suite differ at the end, where a plain cut would drop the difference."""
    if len(text) <= limit:
        return text
    head = (limit - 1) * 2 // 5
    return f"{text[:head].rstrip()}…{text[-(limit - 1 - head) :].lstrip()}"


def top_failures(trends: Trends, width: int = 720, row: int = 26) -> tuple[int, list[HBar]]:
    """Horizontal bars: the most recurring failures, longest first, each with its count."""
    peak = max((n for _, n, *_ in trends.top), default=1)
    room = width - BAR_LEFT - COUNT_ROOM
    bars = []
    for i, (_, n, repo, summary, latest) in enumerate(trends.top):
        full = f"{repo}: {summary}"
        bars.append(HBar(10 + i * row, max(4.0, room * n / peak), n, short_label(full), full, f"/failures/{latest}"))
    return 20 + len(bars) * row, bars

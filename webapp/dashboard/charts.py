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


def failures_per_day(trends: Trends, width: int = 720, height: int = 260) -> BarChart:
    """Stacked bars: failures per day, one colour per category."""
    top, bottom, left = 20, height - 40, 36
    totals = [sum(trends.per_day[d].values()) for d in trends.days]
    peak = max(totals, default=0) or 1
    slot = (width - left - 10) / max(1, len(trends.days))
    bars: list[Bar] = []
    for index, day in enumerate(trends.days):
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
    label: str
    href: str


def top_failures(trends: Trends, width: int = 720, row: int = 26) -> tuple[int, list[HBar]]:
    """Horizontal bars: the most recurring failures, longest first."""
    peak = max((n for _, n, *_ in trends.top), default=1)
    bars = [
        HBar(10 + i * row, max(4.0, (width - 260) * n / peak), n, f"{repo}: {summary}"[:90], f"/failures/{latest}")
        for i, (_, n, repo, summary, latest) in enumerate(trends.top)
    ]
    return 20 + len(bars) * row, bars

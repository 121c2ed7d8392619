"""Line charts as inline SVG with real text, drawn in pure Python.

The dashboard redraws its six indicator charts after every quarter. Matplotlib took about
80 ms a chart (half a second a quarter for six); an SVG string of a line and a few ticks takes
well under a millisecond, needs no JavaScript charting library (the dashboard works offline),
and its text is real text that the browser scales and the tests can measure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

__all__ = ["Series", "format_value", "line_chart", "nice_ticks"]

#: Drawing size in SVG units; the page shows a chart at about this many pixels wide.
WIDTH, HEIGHT = 330, 230
TITLE_SIZE, TEXT_SIZE = 14, 12
LEFT, RIGHT, TOP, BOTTOM = 50, 14, 48, 38


@dataclass(frozen=True)
class Series:
    """One line: x (years), y, a colour and whether it is dashed."""

    x: Sequence[float]
    y: Sequence[float]
    colour: str
    dashed: bool = False


def nice_ticks(low: float, high: float, count: int = 5, integer: bool = False) -> list[float]:
    """Round tick values covering ``low`` to ``high`` (about ``count`` of them).

    >>> nice_ticks(0, 10)
    [0.0, 2.5, 5.0, 7.5, 10.0]
    >>> nice_ticks(0, 2, integer=True)
    [0.0, 1.0, 2.0]
    """
    if not high > low:
        high = low + 1.0
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if integer:
        step = max(1.0, math.ceil(step))
    start = math.floor(low / step + 1e-9) * step
    ticks = []
    value = start
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high - step * 1e-9:
        ticks.append(round(value, 10))
    return ticks


def format_value(value: float, integer: bool = False) -> str:
    """A number for people: thousands separators, three significant figures, no ``e+``.

    >>> format_value(3041.7), format_value(0.50912), format_value(12, integer=True)
    ('3,042', '0.509', '12')
    """
    if value is None or not math.isfinite(value):
        return "–"
    if integer or abs(value) >= 1000:
        return f"{value:,.0f}"
    if value == 0:
        return "0"
    digits = max(0, 2 - math.floor(math.log10(abs(value))))
    return f"{value:,.{digits}f}"


def _tick_label(value: float, step: float) -> str:
    if step >= 1 or value == 0:
        return f"{value:,.0f}"
    digits = max(0, -math.floor(math.log10(step) + 1e-9))
    if step * 10**digits % 1 > 1e-6:  # steps such as 0.25
        digits += 1
    return f"{value:.{digits}f}"


def line_chart(
    title: str,
    unit: str,
    series: Sequence[Series],
    years: float,
    integer: bool = False,
    current: str = "",
) -> str:
    """An SVG line chart of one indicator over time.

    Parameters
    ----------
    title, unit
        Shown above the plot; the unit also names the y axis.
    series
        The lines; the last point of each gets a marker, so quarter 0 shows as a dot.
    years
        Right end of the time axis, in years.
    integer
        The indicator counts things: whole-number ticks only.
    current
        Text shown at the top right (e.g. the latest value).
    """
    values = np.concatenate([np.asarray(line.y, dtype=float) for line in series] or [[0.0]])
    values = values[np.isfinite(values)]
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    if integer or low >= 0 and low <= 0.25 * high:
        low = min(low, 0.0)
    if high - low < 1e-9:
        pad = max(abs(high) * 0.05, 1.0 if integer else 0.01)
        low, high = (low - pad, high + pad) if low - pad >= 0 or low < 0 else (0.0, high + pad)
    y_ticks = nice_ticks(low, high, 5, integer)
    y_low, y_high = y_ticks[0], y_ticks[-1]
    y_step = y_ticks[1] - y_ticks[0] if len(y_ticks) > 1 else 1.0
    y_labels = [_tick_label(tick, y_step) for tick in y_ticks]
    # Room for the longest tick label (about 0.6 em a character).
    left = max(LEFT, 10 + 0.6 * TEXT_SIZE * max(len(label) for label in y_labels))
    plot_width, plot_height = WIDTH - left - RIGHT, HEIGHT - TOP - BOTTOM
    x_ticks = nice_ticks(0.0, years, 6, integer=True)
    x_high = x_ticks[-1]

    def sx(x: float) -> float:
        return left + plot_width * x / x_high

    def sy(y: float) -> float:
        return TOP + plot_height * (1 - (y - y_low) / (y_high - y_low))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="smartspec-chart" role="img" aria-label="{escape(title)}" '
        f'font-family="sans-serif" font-size="{TEXT_SIZE}">',
        f'<text x="6" y="18" font-size="{TITLE_SIZE}" font-weight="bold">{escape(title)}</text>',
        f'<text x="6" y="35" fill="#555">{escape(unit)}</text>',
    ]
    if current:
        parts.append(
            f'<text x="{WIDTH - RIGHT}" y="35" text-anchor="end" fill="#222">'
            f"{escape(current)}</text>"
        )
    for tick, label in zip(y_ticks, y_labels, strict=True):
        y = sy(tick)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_width}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#e3e3e3"/><text x="{left - 5}" y="{y + 4:.1f}" text-anchor="end" '
            f'fill="#444">{label}</text>'
        )
    for tick in x_ticks:
        x = sx(tick)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{TOP + plot_height}" '
            f'stroke="#eeeeee"/><text x="{x:.1f}" y="{TOP + plot_height + 15}" '
            f'text-anchor="middle" fill="#444">{tick:.0f}</text>'
        )
    parts.append(
        f'<text x="{left + plot_width / 2}" y="{HEIGHT - 4}" text-anchor="middle" '
        f'fill="#444">years since the start</text>'
        f'<rect x="{left}" y="{TOP}" width="{plot_width}" height="{plot_height}" '
        f'fill="none" stroke="#999"/>'
    )
    for line in series:
        xs, ys = np.asarray(line.x, dtype=float), np.asarray(line.y, dtype=float)
        keep = np.isfinite(ys)
        xs, ys = xs[keep], ys[keep]
        if not xs.size:
            continue
        points = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(xs, ys, strict=True))
        dash = ' stroke-dasharray="6 4"' if line.dashed else ""
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{line.colour}" '
            f'stroke-width="2"{dash}/><circle cx="{sx(xs[-1]):.1f}" cy="{sy(ys[-1]):.1f}" '
            f'r="3.5" fill="{line.colour}"/>'
        )
    parts.append("</svg>")
    return "".join(parts)

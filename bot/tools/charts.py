"""Small inline SVG charts and the HTML blocks of the report page (bot/tools/report.py), drawn by hand.

The page must stand alone (no scripts, fonts or images from elsewhere), so each
chart is a plain `<svg>` element with its numbers as text. Every string that
goes into a chart is escaped here; callers pass plain text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Any, Sequence

FONT = 12  # px; the page's text is larger, chart labels stay compact
AXIS = "#5f6b7a"
GRID = "#e3e7ec"
INK = "#1f2933"
LABEL_CHARS = 34  # a longer label is cut with "…" in the chart; the table beside it has it whole


@dataclass(frozen=True)
class Series:
    """One stacked part of a column chart: its name in the legend, its color, a value per column."""

    name: str
    color: str
    values: Sequence[int]


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart: its label, its value, its color, and the text shown after the bar."""

    label: str
    value: float
    color: str
    note: str


def nice_ticks(top: float, most: int = 5, whole: bool = True) -> list[float]:
    """Round axis ticks from 0 to at least `top` (1, 2 or 5 times a power of ten apart).

    `whole` keeps the step at 1 or more, for counts.
    """
    if top <= 0:
        return [0, 1]
    raw = top / most
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(step, 1) if whole else step
    count = math.ceil(top / step)
    return [round(i * step, 10) for i in range(count + 1)]


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def _number(value: float) -> str:
    return f"{value:g}"


def _open(width: int, height: int, title: str) -> list[str]:
    return [
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" font-size="{FONT}" fill="{INK}">',
        f"<title>{escape(title)}</title>",
    ]


def _legend(series: Sequence[Series], x: float, y: float) -> list[str]:
    parts = []
    for item in series:
        parts.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{item.color}"/>')
        parts.append(f'<text x="{x + 17:.1f}" y="{y:.1f}">{escape(item.name)}</text>')
        x += 30 + 7 * len(item.name)
    return parts


def columns(
    labels: Sequence[tuple[str, str]], series: Sequence[Series], title: str, width: int = 560, height: int = 280
) -> str:
    """Stacked columns, one per label (two lines each, e.g. "Mon" / "Mar 3"), with a legend on top.

    With many columns only some labels are written, so that they never overlap.
    """
    left, right, top, bottom = 44, 12, 38, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    ticks = nice_ticks(max(totals, default=0) * 1.08)  # headroom for the total written over a column
    scale = plot_h / ticks[-1]
    parts = _open(width, height, title)
    parts += _legend(series, left, 16)
    for tick in ticks:
        y = top + plot_h - tick * scale
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{AXIS}">{_number(tick)}</text>')
    slot = plot_w / max(len(labels), 1)
    bar_w = max(min(slot * 0.62, 48), 1)
    every = max(1, math.ceil(len(labels) / 14))
    for i, (first, second) in enumerate(labels):
        x = left + slot * i + (slot - bar_w) / 2
        y = top + plot_h
        for item in series:
            h = item.values[i] * scale
            if h > 0:
                y -= h
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{item.color}">'
                    f"<title>{escape(first)} {escape(second)}: {escape(item.name)} {item.values[i]}</title></rect>"
                )
        center = x + bar_w / 2
        if totals[i] and slot >= 22:
            parts.append(f'<text x="{center:.1f}" y="{y - 4:.1f}" text-anchor="middle">{totals[i]}</text>')
        if i % every == 0:
            base = top + plot_h
            parts.append(f'<text x="{center:.1f}" y="{base + 16:.1f}" text-anchor="middle">{escape(first)}</text>')
            parts.append(
                f'<text x="{center:.1f}" y="{base + 31:.1f}" text-anchor="middle" fill="{AXIS}">'
                f"{escape(second)}</text>"
            )
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="{AXIS}"/>')
    parts.append("</svg>")
    return "\n".join(parts)


def bars(
    rows: Sequence[Bar],
    title: str,
    width: int = 560,
    top_value: float | None = None,
    mark: tuple[float, str] | None = None,
    percent: bool = False,
) -> str:
    """Horizontal bars, one per row, labeled on the left, with `note` after each bar.

    `mark` draws a dashed line at a value with its label (the helpful-vote threshold);
    `percent` writes the axis as percentages of 1.
    """
    label_w, right, top, row_h = 210, 84, 26 if mark else 10, 24
    plot_w = width - label_w - right
    height = top + row_h * max(len(rows), 1) + 26
    ticks = nice_ticks(top_value or max((r.value for r in rows), default=0), whole=not percent)
    scale = plot_w / (ticks[-1] or 1)
    parts = _open(width, height, title)
    bottom = top + row_h * max(len(rows), 1)
    for tick in ticks:
        x = label_w + tick * scale
        text = f"{tick:.0%}" if percent else _number(tick)
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="{GRID}"/>')
        parts.append(f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle" fill="{AXIS}">{text}</text>')
    for i, row in enumerate(rows):
        y = top + row_h * i
        w = max(row.value * scale, 0)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end"><title>{escape(row.label)}</title>'
            f"{escape(_short(row.label))}</text>"
        )
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" fill="{row.color}"/>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 16}">{escape(row.note)}</text>')
    if mark is not None:
        value, label = mark
        x = label_w + value * scale
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{bottom}" stroke="{INK}" '
            'stroke-width="1.5" stroke-dasharray="5 3"/>'
        )
        parts.append(f'<text x="{x:.1f}" y="{top - 10}" text-anchor="middle">{escape(label)}</text>')
    parts.append(f'<line x1="{label_w}" y1="{top}" x2="{label_w}" y2="{bottom}" stroke="{AXIS}"/>')
    parts.append("</svg>")
    return "\n".join(parts)


# ------------------------------------------------------ the page's building blocks

STYLE = """  /* the whole page's CSS: no fonts or images from elsewhere */
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1f2933;
  margin: 0 auto; max-width: 1180px; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 36px 0 6px; padding-top: 16px; border-top: 1px solid #d5dbe1; }
p { max-width: 72ch; margin: 0 0 14px; }
.sub { color: #5f6b7a; margin-bottom: 8px; }
.tiles { display: grid; grid-template-columns: repeat(6, 1fr); gap: 12px; }
.tile { border: 1px solid #d5dbe1; border-radius: 8px; padding: 10px 12px; }
.tile b { display: block; font-size: 26px; }
.tile span { color: #3e4c59; font-size: 14px; }
.pair { display: flex; flex-wrap: wrap; gap: 28px; align-items: flex-start; }
figure { margin: 0; flex: 0 0 auto; }
.numbers { flex: 1 1 360px; overflow-x: auto; }
table { border-collapse: collapse; font-size: 13.5px; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding-bottom: 4px; }
th, td { padding: 3px 7px; border-bottom: 1px solid #e3e7ec; text-align: left; white-space: nowrap; }
tbody th { font-weight: normal; }
thead th { border-bottom: 2px solid #9aa5b1; vertical-align: bottom; line-height: 1.25; }
tfoot th, tfoot td { font-weight: 600; border-top: 2px solid #9aa5b1; }
.num { text-align: right; }
.flagged li { margin-bottom: 6px; }
.privacy { background: #f1f5f9; border-left: 4px solid #2f6db5; padding: 10px 14px; }
@media (max-width: 900px) { .tiles { grid-template-columns: repeat(3, 1fr); } }
@media print { section { break-inside: avoid; } body { padding: 0; } }
"""


def table(caption: str, headers: list[str], rows: list[list[Any]], total: list[Any] | None = None) -> str:
    """A chart's numbers as a table beside it, for screen readers and exact values.

    The first column names the row; the others are numbers, aligned right. A line
    break in a header ("Not\nhelpful") keeps a narrow column narrow.
    """

    def line(row: list[Any]) -> str:
        name, *numbers = (escape(str(cell)) for cell in row)
        return f'<tr><th scope="row">{name}</th>' + "".join(f'<td class="num">{n}</td>' for n in numbers) + "</tr>"

    head = "".join(
        f'<th scope="col"{" class=num" if i else ""}>{escape(h).replace(chr(10), "<br>")}</th>'
        for i, h in enumerate(headers)
    )
    foot = f"<tfoot>{line(total)}</tfoot>" if total else ""
    return (
        f'<div class="numbers"><table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(line(row) for row in rows)}</tbody>{foot}</table></div>"
    )


def section(heading: str, intro: str, *parts: str) -> str:
    """One part of the page: a short heading, a sentence saying what it shows, then its chart and table."""
    return f"<section><h2>{escape(heading)}</h2><p>{escape(intro)}</p>{''.join(parts)}</section>"


def pair(chart: str, table: str) -> str:
    """A chart with its table beside it (below it on a narrow screen)."""
    return f'<div class="pair"><figure>{chart}</figure>{table}</div>'

"""Inline SVG bar charts for the printed reports: no JavaScript, vector output, CJK labels in the page font.

Styling is by SVG attributes (WeasyPrint's SVG renderer does not apply the page's CSS to inline SVG).
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from .builders import Chart
from .formatting import fmt_number

PALETTE = ["#1f6f8b", "#99a8b2", "#e6a157", "#4d9078", "#c05746", "#6c5b7b", "#355c7d", "#a8c686"]
TEXT = 'font-family="Noto Sans CJK SC, sans-serif" fill="{fill}" font-size="{size}"'


def _text(x, y, body: str, *, size="8pt", fill="#1b1b1b", anchor="start", bold=False) -> str:
    attrs = TEXT.format(fill=fill, size=size)
    weight = ' font-weight="bold"' if bold else ""
    return f'<text x="{x}" y="{y}" text-anchor="{anchor}" {attrs}{weight}>{escape(body)}</text>'


def bar_chart_svg(chart: Chart, *, width: int = 640) -> str:
    """Horizontal bars, one per `(label, value)`, value printed at the bar's end; dashed reference lines."""
    bars = [(str(label), Decimal(str(v))) for label, v in chart.bars if v is not None]
    if not bars:
        return ""
    lines = [(str(label), Decimal(str(v))) for label, v in chart.lines if v is not None]
    label_w, value_w, bar_h, gap, top = 150, 110, 18, 8, 28
    plot_w = width - label_w - value_w
    top_value = max([abs(v) for _l, v in bars] + [v for _l, v in lines] + [Decimal(0)])
    scale = Decimal(plot_w) / top_value if top_value else Decimal(0)
    plot_bottom = top + len(bars) * (bar_h + gap)
    # one row per reference line under the plot, so that labels of close values never overlap
    height = plot_bottom + (12 * len(lines) + 4 if lines else 6)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(str(chart.title))}">',
           _text(0, 14, f"{chart.title} ({chart.unit})", size="9pt", fill="#16425b", bold=True),
           f'<line x1="{label_w}" y1="{top - 4}" x2="{label_w}" y2="{height - 4}" stroke="#555555" '
           f'stroke-width="0.8"/>']
    for i, (label, value) in enumerate(bars):
        y = top + i * (bar_h + gap)
        w = float(abs(value) * scale)
        out.append(_text(label_w - 6, y + bar_h - 5, label[:24], anchor="end"))
        out.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                   f'fill="{PALETTE[i % len(PALETTE)]}"/>')
        out.append(_text(f"{label_w + w + 4:.1f}", y + bar_h - 5, fmt_number(value, places=2)))
    for i, (label, value) in enumerate(lines):
        x = label_w + float(value * scale)
        y = plot_bottom + 10 + 12 * i
        out.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{y - 8}" stroke="#c05746" '
                   f'stroke-width="1" stroke-dasharray="4 3"/>')
        out.append(_text(f"{x - 3:.1f}", y, f"{label} {fmt_number(value, places=2)}", size="7pt",
                         fill="#c05746", anchor="end"))
    out.append("</svg>")
    return "".join(out)

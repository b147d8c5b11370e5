"""Small server-side SVG charts for the report (HTML and PDF) and the timeline.

Drawn by hand rather than through a Vega renderer: the PDF needs no JavaScript and no extra
binary, and every chart has a <title>/<desc> and a table with the same numbers next to it.
Colours pass 3:1 against white for graphical objects (WCAG 1.4.11); text is dark on white.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

FONT = "DejaVu Sans, Arial, sans-serif"
STATUS_COLOURS = {
    "done": "#2e7d32",
    "running": "#00549f",
    "planned": "#6b6b6b",
    "paused": "#a05a00",
    "dropped": "#1a1a1a",
}
LIGHT_COLOURS = {"on_track": "#2e7d32", "at_risk": "#a05a00", "off_track": "#b3261e", "no_data": "#6b6b6b"}


def _open(width: int, height: int, title: str, desc: str, n: str) -> tuple[str, str]:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="{n}-t {n}-d" class="chart-svg" '
        f'font-family="{FONT}" font-size="12">'
        f'<title id="{n}-t">{escape(title)}</title><desc id="{n}-d">{escape(desc)}</desc>'
    )
    return head, "</svg>"


def _fmt(value: float) -> str:
    return f"{value:,.1f}".rstrip("0").rstrip(".").replace(",", "\u2009").replace(".", ",")


def stacked_bars(
    rows: Sequence[tuple[str, dict[str, int]]],
    order: Sequence[str],
    labels: dict[str, str],
    colours: dict[str, str],
    title: str,
    desc: str,
    chart_id: str,
    width: int = 640,
) -> str:
    """Horizontal stacked bars, one per row (label, counts per key), with a legend.

    ``chart_id`` must be unique in the document (it names the title and description elements).
    """
    label_w, bar_h, gap, legend_h = 230, 18, 8, 28
    height = legend_h + len(rows) * (bar_h + gap) + 4
    head, tail = _open(width, height, title, desc, chart_id)
    parts = [head]
    x = 0
    for key in order:  # legend
        parts.append(
            f'<rect x="{x}" y="4" width="12" height="12" fill="{colours[key]}" stroke="#1a1a1a"/>'
            f'<text x="{x + 16}" y="15" fill="#1a1a1a">{escape(labels[key])}</text>'
        )
        x += 24 + 7 * len(labels[key])
    plot_w = width - label_w - 40
    for i, (label, counts) in enumerate(rows):
        y = legend_h + i * (bar_h + gap)
        total = sum(counts.get(k, 0) for k in order) or 1
        short = label if len(label) <= 34 else label[:33] + "…"
        parts.append(f'<text x="0" y="{y + 13}" fill="#1a1a1a">{escape(short)}</text>')
        offset = label_w
        for key in order:
            n = counts.get(key, 0)
            if not n:
                continue
            w = plot_w * n / total
            parts.append(
                f'<rect x="{offset:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colours[key]}" '
                f'stroke="#fff" stroke-width="1"><title>{escape(labels[key])}: {n}</title></rect>'
            )
            offset += w
        parts.append(
            f'<text x="{label_w + plot_w + 6}" y="{y + 13}" fill="#1a1a1a">{sum(counts.values())}</text>'
        )
    parts.append(tail)
    return "".join(parts)


def line_chart(
    series: Sequence[tuple[int, float]],
    targets: dict[int, float],
    title: str,
    desc: str,
    chart_id: str,
    unit: str = "",
    labels: tuple[str, str] = ("IST", "SOLL"),
    width: int = 300,
    height: int = 150,
) -> str:
    """IST per year as a line with dots, SOLL per year as open diamonds, y axis from 0."""
    pad_l, pad_r, pad_t, pad_b = 46, 10, 22, 22
    years = sorted({y for y, _ in series} | set(targets))
    values = [v for _, v in series] + list(targets.values())
    head, tail = _open(width, height, title, desc, chart_id)
    if not years or not values:
        return head + tail
    lo_y, hi_y = years[0], max(years[-1], years[0] + 1)
    top = max(values) * 1.1 or 1.0
    bottom = min(0.0, min(values))
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b

    def px(year: int) -> float:
        return pad_l + plot_w * (year - lo_y) / (hi_y - lo_y)

    def py(value: float) -> float:
        return pad_t + plot_h * (1 - (value - bottom) / (top - bottom))

    parts = [
        head,
        f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{width - pad_r}" y2="{pad_t + plot_h}" stroke="#1a1a1a"/>',
        f'<line x1="{pad_l}" y1="{pad_t}" x2="{pad_l}" y2="{pad_t + plot_h}" stroke="#1a1a1a"/>',
        f'<text x="{pad_l - 4}" y="{pad_t + 4}" text-anchor="end" fill="#1a1a1a">{_fmt(top)}</text>',
        f'<text x="{pad_l - 4}" y="{pad_t + plot_h}" text-anchor="end" fill="#1a1a1a">{_fmt(bottom)}</text>',
        f'<text x="{pad_l}" y="{height - 6}" fill="#1a1a1a">{lo_y}</text>',
        f'<text x="{width - pad_r}" y="{height - 6}" text-anchor="end" fill="#1a1a1a">{hi_y}</text>',
        f'<text x="{pad_l}" y="12" fill="#1a1a1a">{escape(unit)}</text>',
        f'<rect x="{width - 120}" y="3" width="10" height="10" fill="#00549f"/>'
        f'<text x="{width - 106}" y="12" fill="#1a1a1a">{escape(labels[0])}</text>'
        f'<path d="M{width - 60} 8 l5 -5 l5 5 l-5 5 z" fill="#fff" stroke="#b3261e" stroke-width="2"/>'
        f'<text x="{width - 46}" y="12" fill="#1a1a1a">{escape(labels[1])}</text>',
    ]
    points = [(px(y), py(v)) for y, v in sorted(series)]
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#00549f" stroke-width="2"/>')
    for (x, y), (year, value) in zip(points, sorted(series), strict=True):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#00549f"><title>{year}: {_fmt(value)}</title></circle>'
        )
    for year, value in sorted(targets.items()):
        x, y = px(year), py(value)
        parts.append(
            f'<path d="M{x:.1f} {y - 6:.1f} l6 6 l-6 6 l-6 -6 z" fill="#fff" stroke="#b3261e" stroke-width="2">'
            f"<title>{escape(labels[1])} {year}: {_fmt(value)}</title></path>"
        )
    parts.append(tail)
    return "".join(parts)

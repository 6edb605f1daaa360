"""Self-contained HTML rendering of a :class:`Report` (inline CSS and SVG; no network)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synthohive.validation.report import Report

REAL, SYN = "#3b6ea8", "#e07b39"
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}h3{font-size:14px;margin:6px 0}
.cards{display:flex;flex-wrap:wrap;gap:12px}.card{border:1px solid #ddd;border-radius:8px;
padding:10px 14px;min-width:150px}.card b{font-size:22px;display:block}
.grid{display:flex;flex-wrap:wrap;gap:16px}
.plot{border:1px solid #eee;border-radius:6px;padding:6px}
table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid #eee;padding:3px 8px;
text-align:left}.bad{color:#b00020}.ok{color:#1b7f3b}.legend span{display:inline-block;width:10px;
height:10px;margin:0 4px 0 12px}
"""


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def _bars(title: str, labels: list[str], real: list[float], syn: list[float]) -> str:
    w, h, pad = 300, 150, 24
    n = max(1, len(labels))
    top = max([*real, *syn, 1e-9])
    bw = (w - 2 * pad) / n
    parts = [f'<svg width="{w}" height="{h + 30}" role="img" aria-label="{_e(title)}">']
    for i, (r, s) in enumerate(zip(real, syn)):
        x = pad + i * bw
        for j, (v, color) in enumerate(((r, REAL), (s, SYN))):
            bh = (h - pad) * v / top
            parts.append(
                f'<rect x="{x + j * bw / 2:.1f}" y="{h - bh:.1f}" width="{max(bw / 2 - 1, 1):.1f}"'
                f' height="{bh:.1f}" fill="{color}"><title>{_e(labels[i])}: '
                f"{'real' if j == 0 else 'synthetic'} {v:.3f}</title></rect>"
            )
    if labels:
        parts.append(f'<text x="{pad}" y="{h + 14}" font-size="10">{_e(labels[0])[:18]}</text>')
        parts.append(
            f'<text x="{w - pad}" y="{h + 26}" font-size="10" text-anchor="end">'
            f"{_e(labels[-1])[:18]}</text>"
        )
    parts.append("</svg>")
    return f'<div class="plot"><h3>{_e(title)}</h3>{"".join(parts)}</div>'


def _heatmap(title: str, cols: list[str], m: list[list[float]]) -> str:
    cell = max(8, min(24, 240 // max(1, len(cols))))
    size = cell * len(cols)
    parts = [f'<svg width="{size + 4}" height="{size + 4}" role="img" aria-label="{_e(title)}">']
    for i, row in enumerate(m):
        for j, v in enumerate(row):
            red = int(255 * max(0.0, v)) if v > 0 else 0
            blue = int(255 * max(0.0, -v)) if v < 0 else 0
            fill = f"rgb({255 - blue},{255 - red - blue if red + blue < 255 else 0},{255 - red})"
            parts.append(
                f'<rect x="{j * cell}" y="{i * cell}" width="{cell}" height="{cell}" '
                f'fill="{fill}"><title>{_e(cols[i])} × {_e(cols[j])}: {v:.2f}</title></rect>'
            )
    parts.append("</svg>")
    return f'<div class="plot"><h3>{_e(title)}</h3>{"".join(parts)}</div>'


def render_html(report: Report) -> str:
    """The report as one HTML document."""
    props = report.properties
    cards = [f'<div class="card">overall quality<b>{_fmt(report.overall)}</b></div>']
    cards += [f'<div class="card">{_e(p)}<b>{_fmt(v)}</b></div>' for p, v in props.items()]
    gate = ""
    if report.gate_failures is not None:
        if report.gate_failures:
            items = "".join(f"<li>{_e(f)}</li>" for f in report.gate_failures)
            gate = f'<h2 class="bad">Gate failed</h2><ul>{items}</ul>'
        else:
            gate = '<h2 class="ok">Gate passed</h2>'
    body = [f"<h1>SynthoHive quality report</h1><div class='cards'>{''.join(cards)}</div>", gate]
    legend = (
        f'<p class="legend"><span style="background:{REAL}"></span>real'
        f'<span style="background:{SYN}"></span>synthetic</p>'
    )
    for table, pdata in report.plots.items():
        body.append(f"<h2>Table {_e(table)}</h2>{legend}<div class='grid'>")
        for col, m in pdata.get("marginals", {}).items():
            if m["kind"] == "numeric":
                edges = m["edges"]
                labels = [f"{edges[i]:.3g}–{edges[i + 1]:.3g}" for i in range(len(edges) - 1)]
            else:
                labels = m["labels"]
            body.append(_bars(str(col), labels, m["real"], m["synthetic"]))
        body.append("</div>")
        corr = pdata.get("correlation") or {}
        if corr:
            body.append("<div class='grid'>")
            body.append(_heatmap("correlation (real)", corr["columns"], corr["real"]))
            body.append(_heatmap("correlation (synthetic)", corr["columns"], corr["synthetic"]))
            body.append("</div>")
    card_rows = [r for r in report.results if r.metric == "CardinalityShapeSimilarity"]
    if card_rows:
        body.append("<h2>Relations</h2><div class='grid'>")
        for r in card_rows:
            d = r.details
            body.append(
                _bars(
                    f"{r.table} per {d.get('parent')}: children per parent (mean)",
                    ["mean"],
                    [float(d.get("real_mean", 0.0))],
                    [float(d.get("synthetic_mean", 0.0))],
                )
            )
        body.append("</div>")
    rows = "".join(
        f"<tr><td>{_e(r.property)}</td><td>{_e(r.metric)}</td><td>{_e(r.table)}</td>"
        f"<td>{_e(', '.join(r.columns))}</td><td>{_fmt(r.score)}</td></tr>"
        for r in report.results
    )
    body.append(
        "<h2>All metrics</h2><table><tr><th>property</th><th>metric</th><th>table</th>"
        f"<th>columns</th><th>score</th></tr>{rows}</table>"
    )
    if report.notes:
        body.append(
            "<h2>Notes</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in report.notes) + "</ul>"
        )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>SynthoHive quality report</title><style>{CSS}</style></head><body>"
        + "".join(body)
        + "</body></html>"
    )

"""Self-contained HTML rendering of a :class:`Report` (inline CSS and SVG; no network).

The page is meant for a data owner who has never seen SynthoHive: a header (when, which
tables, how many rows, which models), every score with one line saying what it means, real vs
synthetic overlays per column with readable axes (dates as dates), labelled correlation
heatmaps with a colour scale, children-per-parent distributions per relation, a privacy
section in plain words, and the list of anything that could not be scored.
"""

from __future__ import annotations

import ast
import html
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synthohive.validation.report import Report

REAL, SYN = "#3b6ea8", "#e07b39"
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;
max-width:1400px}h1{font-size:24px;margin-bottom:4px}h2{font-size:19px;margin-top:32px;
border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:14px;margin:4px 0 6px}
.meta{color:#555;font-size:13px}.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid #ddd;border-radius:8px;padding:10px 14px;width:230px}
.card b{font-size:24px;display:block}.card small{color:#555;display:block;margin-top:4px}
.grid{display:flex;flex-wrap:wrap;gap:16px}.plot{border:1px solid #eee;border-radius:6px;
padding:8px}table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid #eee;
padding:3px 8px;text-align:left}.bad{color:#b00020}.ok{color:#1b7f3b}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}
svg text{font-family:inherit}
"""
MEANINGS = {
    "Column Shapes": "How closely each column's distribution matches the real one "
    "(1 = identical; KS complement for numbers and dates, TV complement for categories).",
    "Column Pair Trends": "How well relations between pairs of columns are kept "
    "(correlation similarity for numbers and dates, contingency similarity otherwise).",
    "Cardinality": "How closely the number of child rows per parent row matches, per relation.",
    "Coverage": "Share of the real value range (numbers, dates) or categories that the "
    "synthetic data covers.",
    "Missing Values": "How closely the share of empty values per column matches.",
    "Constraints": "Share of synthetic rows that satisfy each declared constraint (should be 1).",
    "Sequences": "Ordered child sequences per parent: order kept (must be 1), lengths, gaps, "
    "lag-1 autocorrelation and transitions compared with the real sequences.",
    "Referential Integrity": "Share of foreign keys that point at an existing parent row "
    "(must be 1).",
    "Privacy": "Higher is safer: 1 means no synthetic row copies a real training row (details "
    "below).",
    "Intertable Trends": "How well a child column's relation to its parent's columns is kept.",
}
LABEL_CHARS = 22


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def _short(text: str, n: int = LABEL_CHARS) -> str:
    """Truncate *before* escaping, so an entity is never cut in half."""
    return _e(text if len(text) <= n else text[: n - 1] + "…")


def readable(key: str) -> str:
    """A value key of ``validation.stats.value_key`` as a person reads it (no quotes)."""
    if key == "__null__":
        return "(empty)"
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "'\"":
        try:
            return str(ast.literal_eval(key))
        except (ValueError, SyntaxError):
            return key[1:-1]
    try:
        number = float(key)
    except ValueError:
        return key
    return f"{number:.0f}" if number.is_integer() else f"{number:.6g}"


def _tick(value: float, is_date: bool) -> str:
    """A short axis label: a date, or a number with a k/M/G suffix."""
    if is_date:
        try:
            stamp = datetime.fromtimestamp(value / 1e9, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return f"{value:.3g}"
        return stamp.strftime("%Y-%m-%d")
    size = abs(value)
    for limit, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e4, "k")):
        if size >= limit:
            return f"{value / (limit if suffix != 'k' else 1e3):.3g}{suffix}"
    return f"{value:.3g}"


def _bars(
    title: str,
    labels: list[str],
    real: list[float] | None,
    syn: list[float],
    *,
    y_label: str = "share of rows",
) -> str:
    """Side-by-side bars (real, synthetic) with labelled x and y axes."""
    w, h, left, bottom, top_pad = 390, 170, 64, 74, 10
    n = max(1, len(labels))
    top = max([*(real or []), *syn, 1e-9])
    bw = (w - left - 8) / n
    parts = [
        f'<svg width="{w}" height="{h + bottom}" role="img" aria-label="{_e(title)}">',
        f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{h}" stroke="#999"/>',
        f'<line x1="{left}" y1="{h}" x2="{w - 4}" y2="{h}" stroke="#999"/>',
    ]
    for frac in (0.0, 0.5, 1.0):
        y = h - (h - top_pad) * frac
        parts.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">'
            f"{top * frac:.2g}</text>"
        )
    parts.append(
        f'<text x="10" y="{(h + top_pad) / 2:.0f}" font-size="10" text-anchor="middle" '
        f'transform="rotate(-90 10 {(h + top_pad) / 2:.0f})">{_e(y_label)}</text>'
    )
    series = [(real, REAL, "real"), (syn, SYN, "synthetic")] if real is not None else []
    if real is None:
        series = [(syn, SYN, "synthetic")]
    width = bw / len(series)
    step = max(1, n // 12)
    for i, label in enumerate(labels):
        x = left + i * bw
        for j, (vals, color, name) in enumerate(series):
            v = float(vals[i]) if vals is not None and i < len(vals) else 0.0
            bh = (h - top_pad) * v / top
            parts.append(
                f'<rect x="{x + j * width + 0.5:.1f}" y="{h - bh:.1f}" '
                f'width="{max(width - 1, 1):.1f}" height="{bh:.1f}" fill="{color}">'
                f"<title>{_e(label)}: {name} {v:.3f}</title></rect>"
            )
        if i % step == 0:
            cx = x + bw / 2
            parts.append(
                f'<text x="{cx:.1f}" y="{h + 12}" font-size="10" text-anchor="end" '
                f'transform="rotate(-40 {cx:.1f} {h + 12})">{_short(label)}</text>'
            )
    parts.append("</svg>")
    return f'<div class="plot"><h3>{_e(title)}</h3>{"".join(parts)}</div>'


def _heatmap(title: str, cols: list[str], m: list[list[float]]) -> str:
    """A labelled correlation heatmap (-1 blue, 0 white, +1 red) with its colour scale."""
    k = max(1, len(cols))
    cell = max(22, min(44, 360 // k))
    margin = 130
    size = cell * k
    parts = [
        f'<svg width="{margin + size + 70}" height="{margin + size + 10}" role="img" '
        f'aria-label="{_e(title)}">'
    ]
    for i, name in enumerate(cols):
        y = margin + i * cell + cell / 2 + 4
        parts.append(
            f'<text x="{margin - 4}" y="{y:.1f}" font-size="11" text-anchor="end">'
            f"{_short(name, 18)}</text>"
        )
        x = margin + i * cell + cell / 2
        parts.append(
            f'<text x="{x:.1f}" y="{margin - 6}" font-size="11" '
            f'transform="rotate(-50 {x:.1f} {margin - 6})">{_short(name, 18)}</text>'
        )
    for i, row in enumerate(m):
        for j, v in enumerate(row):
            parts.append(
                f'<rect x="{margin + j * cell}" y="{margin + i * cell}" width="{cell}" '
                f'height="{cell}" fill="{_colour(v)}" stroke="#fff"><title>{_e(cols[i])} × '
                f"{_e(cols[j])}: {v:.2f}</title></rect>"
            )
            if k <= 10:
                parts.append(
                    f'<text x="{margin + j * cell + cell / 2:.1f}" '
                    f'y="{margin + i * cell + cell / 2 + 4:.1f}" font-size="10" '
                    f'text-anchor="middle">{v:.2f}</text>'
                )
    sx = margin + size + 20
    for t in range(21):
        v = 1.0 - t / 10.0
        parts.append(
            f'<rect x="{sx}" y="{margin + t * size / 21:.1f}" width="14" '
            f'height="{size / 21 + 0.5:.1f}" fill="{_colour(v)}"/>'
        )
    for v, t in ((1.0, 0), (0.0, 10), (-1.0, 20)):
        parts.append(
            f'<text x="{sx + 18}" y="{margin + (t + 0.7) * size / 21:.1f}" font-size="10">'
            f"{v:+.0f}</text>"
        )
    parts.append("</svg>")
    return f'<div class="plot"><h3>{_e(title)}</h3>{"".join(parts)}</div>'


def _colour(v: float) -> str:
    v = max(-1.0, min(1.0, float(v)))
    if v >= 0:
        g = int(255 * (1 - v))
        return f"rgb(255,{g},{g})"
    g = int(255 * (1 + v))
    return f"rgb({g},{g},255)"


def _header(report: Report) -> str:
    ctx = getattr(report, "context", None) or {}
    when = ctx.get("generated") or datetime.now(tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"Generated {_e(when)}"]
    compat = getattr(report, "compat", None) or ctx.get("compat")
    if compat:
        lines.append(f"score definition: {_e(compat)}")
    if ctx.get("sources"):
        lines.append("sources: " + ", ".join(_e(s) for s in ctx["sources"]))
    rows = ctx.get("tables") or {}
    table_rows = "".join(
        f"<tr><td>{_e(t)}</td><td>{_e(v.get('real_rows', 'n/a'))}</td>"
        f"<td>{_e(v.get('synthetic_rows', 'n/a'))}</td><td>{_e(v.get('model', ''))}</td></tr>"
        for t, v in rows.items()
    )
    table = (
        "<table><tr><th>table</th><th>real rows</th><th>synthetic rows</th><th>model</th></tr>"
        f"{table_rows}</table>"
        if table_rows
        else ""
    )
    return (
        "<h1>SynthoHive quality report</h1>"
        f"<p class='meta'>{' · '.join(lines)}</p>{table}"
        "<p class='meta'>Scores run from 0 (nothing alike) to 1 (indistinguishable). The overall "
        "quality is the mean of Column Shapes, Column Pair Trends and (for several tables) "
        "Cardinality.</p>"
    )


def _privacy(report: Report) -> str:
    rows = [r for r in report.results if r.property == "Privacy"]
    if not rows:
        return (
            "<h2>Privacy</h2><p>No privacy metric was computed (they need the real rows, not "
            "only the stored profile).</p>"
        )
    items = []
    tables_with_dcr = set()
    models = {t: v.get("model") for t, v in (report.context.get("tables") or {}).items()}
    for r in rows:
        if r.score is None:
            continue
        if r.metric == "ExactMatchRate":
            share = (1.0 - r.score) * 100
            why = (
                " It is a lookup table without personal data, copied as reference data by design."
                if models.get(r.table) == "copy"
                else ""
            )
            items.append(
                f"<li><b>{_e(r.table)}</b>: {share:.1f}% of synthetic rows are exact copies of "
                f"a real training row (lower is safer).{why}</li>"
            )
        elif r.metric == "DCRShare":
            tables_with_dcr.add(r.table)
            items.append(
                f"<li><b>{_e(r.table)}</b>: {r.score * 100:.1f}% of synthetic rows are closer "
                "to a training row than to a held-out real row (about 50% is ideal).</li>"
            )
        elif r.metric == "DCROverfittingProtection":
            items.append(
                f"<li><b>{_e(r.table)}</b>: overfitting protection {r.score:.3f} (1 = synthetic "
                "rows are no closer to training rows than to unseen real rows).</li>"
            )
        elif r.metric == "NNDRRatio":
            items.append(
                f"<li><b>{_e(r.table)}</b>: nearest-neighbour distance ratio {r.score:.3f} "
                "(training vs held-out; near 1 is safe).</li>"
            )
    missing = sorted({r.table for r in rows} - tables_with_dcr)
    note = ""
    if missing:
        note = (
            "<p>Distance-to-closest-record metrics were not computed for "
            + ", ".join(_e(t) for t in missing)
            + ": they need a holdout (real rows not used for training; pass "
            "<code>holdout=</code> to <code>evaluate</code>). Without it, a high score only "
            "says that rows are not copied verbatim.</p>"
        )
    return f"<h2>Privacy</h2><ul>{''.join(items)}</ul>{note}"


def _relations(report: Report) -> str:
    rows = [r for r in report.results if r.metric == "CardinalityShapeSimilarity"]
    if not rows:
        return ""
    body = ["<h2>Relations: children per parent</h2><div class='grid'>"]
    for r in rows:
        d = r.details
        title = f"{r.table} per {d.get('parent')} (score {_fmt(r.score)})"
        syn_hist = d.get("synthetic_hist")
        if syn_hist:
            real_hist = d.get("real_hist")
            n = max(len(syn_hist), len(real_hist or []))
            labels = [str(i) if i < n - 1 else f"{i}+" for i in range(n)]
            pad = [*syn_hist, *[0.0] * (n - len(syn_hist))]
            real = [*real_hist, *[0.0] * (n - len(real_hist))] if real_hist else None
            body.append(_bars(title, labels, real, pad, y_label="share of parents"))
        else:
            real_mean = d.get("real_mean")
            body.append(
                _bars(
                    title,
                    ["mean children"],
                    None if real_mean is None else [float(real_mean)],
                    [float(d.get("synthetic_mean", 0.0))],
                    y_label="children per parent",
                )
            )
    body.append("</div>")
    return "".join(body)


def render_html(report: Report) -> str:
    """The report as one HTML document."""
    props = report.properties
    cards = [
        '<div class="card">overall quality<b>'
        f"{_fmt(report.overall)}</b><small>Mean of the quality properties.</small></div>"
    ]
    cards += [
        f'<div class="card">{_e(p)}<b>{_fmt(v)}</b><small>{_e(MEANINGS.get(p, ""))}</small></div>'
        for p, v in props.items()
    ]
    gate = ""
    if report.gate_failures is not None:
        if report.gate_failures:
            items = "".join(f"<li>{_e(f)}</li>" for f in report.gate_failures)
            gate = f'<h2 class="bad">Gate failed</h2><ul>{items}</ul>'
        else:
            gate = '<h2 class="ok">Gate passed</h2>'
    body = [_header(report), f"<div class='cards'>{''.join(cards)}</div>", gate]
    body.append(_privacy(report))
    legend = (
        f'<p class="legend"><span style="background:{REAL}"></span>real'
        f'<span style="background:{SYN}"></span>synthetic</p>'
    )
    for table, pdata in report.plots.items():
        body.append(f"<h2>Table {_e(table)}</h2>{legend}<div class='grid'>")
        for col, m in pdata.get("marginals", {}).items():
            if m["kind"] == "numeric":
                edges = m["edges"]
                is_date = bool(m.get("datetime"))
                labels = [f"≥ {_tick(edges[i], is_date)}" for i in range(len(edges) - 1)]
            else:
                labels = [readable(str(k)) for k in m["labels"]]
            body.append(_bars(str(col), labels, m["real"], m["synthetic"]))
        body.append("</div>")
        corr = pdata.get("correlation") or {}
        if corr:
            body.append("<div class='grid'>")
            body.append(_heatmap("correlation (real)", corr["columns"], corr["real"]))
            body.append(_heatmap("correlation (synthetic)", corr["columns"], corr["synthetic"]))
            body.append("</div>")
    body.append(_relations(report))
    rows = "".join(
        f"<tr><td>{_e(r.property)}</td><td>{_e(r.metric)}</td><td>{_e(r.table)}</td>"
        f"<td>{_e(', '.join(r.columns))}</td><td>{_fmt(r.score)}</td></tr>"
        for r in report.results
    )
    body.append(
        "<h2>All metrics</h2><table><tr><th>property</th><th>metric</th><th>table</th>"
        f"<th>columns</th><th>score</th></tr>{rows}</table>"
    )
    notes = list(report.notes)
    if notes:
        body.append(
            "<h2>Notes: not scored or worth knowing</h2><ul>"
            + "".join(f"<li>{_e(n)}</li>" for n in notes)
            + "</ul>"
        )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>SynthoHive quality report</title><style>{CSS}</style></head><body>"
        + "".join(body)
        + "</body></html>"
    )

"""A report dict (``aggregate.build_report``) as one self-contained HTML page: inline CSS and inline SVG,
no scripts, no external references, so it opens offline and can be mailed around."""

from __future__ import annotations

import html

from .render import OVERLAP_TEXT, PROGRESS_ROWS, _cut, _day_label, _filters, _num, _pct, _short_time

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;max-width:60em;
color:#1d2433;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:2em;border-bottom:2px solid #e3e7ef}
p.meta{color:#5b6478;margin-top:0}table{border-collapse:collapse;margin:.5em 0 1em}
td,th{padding:.25em .7em;border-bottom:1px solid #e3e7ef;text-align:right}
td:first-child,th:first-child{text-align:left}th{background:#f4f6fa}
.cards{display:flex;flex-wrap:wrap;gap:.8em}.card{background:#f4f6fa;border-radius:8px;padding:.6em 1em;min-width:8em}
.card b{display:block;font-size:1.5em}.warn{background:#fff4e0;border-left:4px solid #e8a33d;padding:.4em .8em}
svg{display:block;margin:.5em 0 1em}svg text{font:12px system-ui,sans-serif;fill:#1d2433}
.bar{fill:#3b6fd8}.bar.contact{fill:#2e9e6a}.bar.muted{fill:#9aa6bd}
@media print{body{margin:0}}
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _svg_hbars(items: list[tuple[str, float, str]], width: int = 640) -> str:
    """Horizontal bars: (label, value, css class)."""
    if not items:
        return ""
    label_w, row_h = 260, 22
    top = max((v for _, v, _ in items), default=0) or 1
    plot_w = width - label_w - 70
    height = row_h * len(items) + 4
    parts = [f'<svg width="{width}" height="{height}" role="img">']
    for i, (label, value, cls) in enumerate(items):
        y = i * row_h + 2
        w = max(0.0, value / top * plot_w)
        parts.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{_e(_cut(label, 38))}</text>')
        parts.append(f'<rect class="bar {cls}" x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}"/>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 15}">{_e(_num(value))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _svg_columns(items: list[tuple[str, float, float]], width: int = 720, height: int = 200) -> str:
    """Vertical bars: (label, calls, contacts) with contacts drawn inside calls."""
    if not items:
        return ""
    top = max((v for _, v, _ in items), default=0) or 1
    n = len(items)
    plot_h = height - 40
    step = (width - 20) / n
    bw = max(2.0, step * 0.7)
    parts = [f'<svg width="{width}" height="{height}" role="img">']
    for i, (label, calls, contacts) in enumerate(items):
        x = 10 + i * step
        h1 = calls / top * plot_h
        h2 = contacts / top * plot_h
        parts.append(f'<rect class="bar" x="{x:.1f}" y="{20 + plot_h - h1:.1f}" width="{bw:.1f}" height="{h1:.1f}">'
                     f'<title>{_e(label)}: {_e(_num(calls))} calls, {_e(_num(contacts))} contacts</title></rect>')
        parts.append(f'<rect class="bar contact" x="{x:.1f}" y="{20 + plot_h - h2:.1f}" width="{bw:.1f}" '
                     f'height="{h2:.1f}"/>')
        if n <= 31 or i % max(1, n // 16) == 0:
            parts.append(f'<text x="{x + bw / 2:.1f}" y="{height - 6}" text-anchor="middle">{_e(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _html_table(header: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(report: dict) -> str:
    p, c = report["progress"], report["calls"]
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>Phone bank report: {_e(report['list'])}</title><style>{_CSS}</style></head><body>",
           f"<h1>Phone bank report: {_e(report['list'])}</h1>",
           f'<p class="meta">{_e(report["campaign"])}. Calls: {_e(_filters(report))}. Times in '
           f"{_e(report['time_zone'])}; as of {_e(report['generated_at'])}.</p>"]
    for w in report["warnings"]:
        out.append(f'<p class="warn">{_e(w)}</p>')
    cards = [("Voters", p["voters"]), ("Attempted", p["attempted"]), ("Reached", p["reached"]),
             ("Dials", c["dials"]), ("Contacts", c["contacts"]), ("Contact rate", _pct(c["contact_rate"])),
             ("Supporters", c["ids"]["supporters"]), ("Undecided", c["ids"]["undecided"]),
             ("Other candidate", c["ids"]["other_candidate"])]
    out.append('<div class="cards">' + "".join(f'<div class="card"><b>{_e(v if isinstance(v, str) else _num(v))}</b>'
                                               f"{_e(k)}</div>" for k, v in cards) + "</div>")
    if c["overlapping_calls"]:
        out.append(f"<p>Overlapping calls: {_e(_num(c['overlapping_calls']))} ({_e(OVERLAP_TEXT)}).</p>")
    out.append("<h2>List progress (as of now)</h2>")
    out.append(_svg_hbars([(label, p[key], "") for key, label in PROGRESS_ROWS if key != "voters"]))
    out.append(_html_table(["", "Voters"], [[label, _num(p[key])] for key, label in PROGRESS_ROWS]))
    out.append("<h2>Results by code</h2>")
    out.append(_svg_hbars([(r["label"] if r["in_script"] else f"{r['code']} (not in scripts.yaml)", r["count"],
                            "contact" if r["contact"] else "") for r in report["codes"]]))
    out.append(_html_table(["Code", "Label", "Calls", "%"],
                           [[r["code"], r["label"], _num(r["count"]), _pct(r["percent"])] for r in report["codes"]]))
    out.append("<h2>Support scale</h2>")
    out.append(_svg_hbars([(f"{k} ({'strong support' if k == '1' else 'strong oppose' if k == '5' else ''})"
                            .replace(" ()", ""), v, "contact") for k, v in c["support_scale"].items()]))
    out.append("<h2>Survey answers</h2><p>Per voter: the latest answer, crossed with the voter's latest support ID.</p>")
    for q in report["survey"]:
        out.append(f"<h3>{_e(q['text'])} ({_e(_num(q['voters']))} voters)</h3>")
        out.append(_html_table(
            ["Answer", "Voters", "%", "Supporters", "Undecided", "Other candidate", "No ID", "Supporters %"],
            [[a["label"], _num(a["voters"]), _pct(a["percent"]), _num(a["support"]["supporters"]),
              _num(a["support"]["undecided"]), _num(a["support"]["other_candidate"]), _num(a["support"]["no_id"]),
              _pct(a["supporter_percent"])] for a in q["answers"]]))
    out.append("<h2>Volunteers</h2>")
    out.append(_html_table(["Volunteer", "Name", "Calls", "Contacts", "Supporters", "Calls/hour", "First call",
                            "Last call"],
                           [[v["volunteer"], v["name"], _num(v["calls"]), _num(v["contacts"]), _num(v["supporters"]),
                             _num(v["calls_per_hour"]), _short_time(v["first_call"]), _short_time(v["last_call"])]
                            for v in report["volunteers"]]))
    out.append(f"<h2>Calls by hour of day ({_e(report['time_zone'])})</h2>"
               "<p>Blue: calls; green: contacts.</p>")
    out.append(_svg_columns([(f"{h['hour']:02d}", h["calls"], h["contacts"]) for h in report["by_hour"]]))
    out.append(f"<h2>Calls by day ({_e(report['time_zone'])})</h2>")
    out.append(_svg_columns([(d["date"][5:], d["calls"], d["contacts"]) for d in report["by_day"]]))
    out.append(_html_table(["Day", "Calls", "Contacts"],
                           [[_day_label(d["date"]), _num(d["calls"]), _num(d["contacts"])] for d in report["by_day"]]))
    out.append("</body></html>")
    return "\n".join(out) + "\n"

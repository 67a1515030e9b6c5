"""Render a report dict (``aggregate.build_report``) as a terminal table, CSV, JSON, Markdown or HTML.

Pure functions from the dict to text: no pandas here. The HTML page is ``report.html``'s
(``render_html``, importable from here).
"""

from __future__ import annotations

import datetime as dt
import io
import json

from ..exports.safecsv import SafeWriter
from ..termsafe import visible, visible_keep_lines

PROGRESS_ROWS = (
    ("voters", "Voters in the list"),
    ("attempted", "Attempted"),
    ("reached", "Reached (a person answered)"),
    ("finished", "Finished (final result)"),
    ("callable_now", "Callable now"),
    ("waiting", "Waiting for a retry or call-back"),
    ("held_by_hours", "Held back by calling hours now"),
    ("do_not_call", "Do not call"),
)
_EIGHTHS = " ▏▎▍▌▋▊▉"
OVERLAP_TEXT = "a volunteer's hold lapsed while another called the same voter; counted as dials, not as IDs"
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def bar(value: float, top: float, width: int, unicode: bool = True) -> str:
    """A horizontal bar of ``value`` out of ``top`` in at most ``width`` cells."""
    if not top or value <= 0 or width <= 0:
        return ""
    cells = value / top * width
    if not unicode:
        return "#" * max(1, round(cells))
    full = int(cells)
    part = int(round((cells - full) * 8))
    if part == 8:
        full, part = full + 1, 0
    text = "█" * full + (_EIGHTHS[part] if part else "")
    return text or "▏"


def _num(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


def _pct(value) -> str:
    return "–" if value is None else f"{value:.1f}%"


def _filters(report: dict) -> str:
    f = report["filters"]
    if f["since"] and f["until"]:
        period = f"{f['since']} to {f['until']}"
    elif f["since"]:
        period = f"since {f['since']}"
    elif f["until"]:
        period = f"until {f['until']}"
    else:
        period = "all dates"
    who = f"volunteer {f['volunteer']}" if f["volunteer"] else "all volunteers"
    return f"{period}, {who}"


def _day_label(iso: str) -> str:
    return f"{iso} {_WEEKDAYS[dt.date.fromisoformat(iso).weekday()]}"


# -- terminal table ------------------------------------------------------------------------------------
def render_table(report: dict, width: int = 80, unicode: bool = True) -> str:
    out: list[str] = []
    w = max(60, min(width, 120))
    bar_w = max(10, w - 52)
    rule = ("─" if unicode else "-") * w

    def head(title: str) -> None:
        out.extend(["", title, rule])

    out.append(f"Phone bank report — list {report['list']} ({report['campaign']})")
    out.append(f"Calls: {_filters(report)}. Times in {report['time_zone']}; as of {report['generated_at']}.")

    p = report["progress"]
    head("LIST PROGRESS (as of now, every saved call)")
    voters = p["voters"]
    for key, label in PROGRESS_ROWS:
        value = p[key]
        share = "" if key == "voters" else _pct(100.0 * value / voters if voters else None)
        out.append(f"  {label:<34}{_num(value):>9}  {share:>6}  {bar(value, voters, bar_w, unicode) if key != 'voters' else ''}".rstrip())

    c = report["calls"]
    head("CALLS")
    if not c["dials"]:
        out.append("  No calls saved yet" + ("" if _filters(report) == "all dates, all volunteers" else " in this period") + ".")
    else:
        ids = c["ids"]
        out.append(f"  Dials {_num(c['dials'])}   Contacts {_num(c['contacts'])}   Contact rate {_pct(c['contact_rate'])}"
                   f"   Voters called {_num(c['voters_called'])}")
        out.append(f"  IDs: supporters {_num(ids['supporters'])}, undecided {_num(ids['undecided'])}, "
                   f"other candidate {_num(ids['other_candidate'])}")
        if c["overlapping_calls"]:
            out.append(f"  Overlapping calls: {_num(c['overlapping_calls'])} ({OVERLAP_TEXT})")
        scale = c["support_scale"]
        top = max(scale.values()) or 1
        out.append("  Support scale (1 = strong support ... 5 = strong oppose):")
        for level, count in scale.items():
            out.append(f"    {level}  {_num(count):>9}  {bar(count, top, bar_w, unicode)}".rstrip())

    head("RESULTS BY CODE")
    codes = report["codes"]
    top = max((r["count"] for r in codes), default=0)
    out.append(f"  {'Code':<34}{'Calls':>9}  {'%':>6}")
    for r in codes:
        label = r["label"] if r["in_script"] else f"{r['code']} (not in scripts.yaml)"
        out.append(f"  {_cut(label, 33):<34}{_num(r['count']):>9}  {_pct(r['percent']):>6}  "
                   f"{bar(r['count'], top, bar_w, unicode)}".rstrip())

    head("SURVEY ANSWERS (per voter: latest answer, crossed with the voter's latest support ID)")
    for q in report["survey"]:
        out.append(f"  {q['text']}  ({_num(q['voters'])} voters answered)")
        out.append(f"    {'Answer':<16}{'Voters':>8}{'%':>8}{'Supp.':>8}{'Undec.':>8}{'Other':>8}{'No ID':>8}{'Supp. %':>9}")
        for a in q["answers"]:
            s = a["support"]
            out.append(f"    {_cut(a['label'], 15):<16}{_num(a['voters']):>8}{_pct(a['percent']):>8}"
                       f"{_num(s['supporters']):>8}{_num(s['undecided']):>8}{_num(s['other_candidate']):>8}"
                       f"{_num(s['no_id']):>8}{_pct(a['supporter_percent']):>9}")

    head("VOLUNTEERS")
    vols = report["volunteers"]
    if not vols:
        out.append("  No calls in this period.")
    else:
        out.append(f"  {'Volunteer':<30}{'Calls':>7}{'Contacts':>9}{'Supp.':>7}{'Calls/h':>9}  First call -> last call")
        for v in vols:
            who = v["volunteer"] + (f" ({v['name']})" if v["name"] else "")
            span = f"{_short_time(v['first_call'])} -> {_short_time(v['last_call'])}"
            out.append(f"  {_cut(who, 29):<30}{_num(v['calls']):>7}{_num(v['contacts']):>9}{_num(v['supporters']):>7}"
                       f"{_num(v['calls_per_hour']):>9}  {span}")

    head(f"CALLS BY DAY ({report['time_zone']})")
    days = report["by_day"]
    top = max((d["calls"] for d in days), default=0)
    if not days:
        out.append("  No calls in this period.")
    for d in days:
        out.append(f"  {_day_label(d['date'])}{_num(d['calls']):>9}  {bar(d['calls'], top, bar_w, unicode)}".rstrip())

    head(f"CALLS BY HOUR OF DAY ({report['time_zone']})")
    hours = report["by_hour"]
    busy = [h for h in hours if h["calls"]]
    top = max((h["calls"] for h in hours), default=0)
    if not busy:
        out.append("  No calls in this period.")
    else:
        lo, hi = busy[0]["hour"], busy[-1]["hour"]
        for h in hours[lo:hi + 1]:
            out.append(f"  {h['hour']:02d}:00{_num(h['calls']):>9}  {bar(h['calls'], top, bar_w, unicode)}".rstrip())
    return visible_keep_lines("\n".join(out).lstrip("\n")) + "\n"  # names typed at registration: ESC shown, not run


def _short_time(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else "–"


def _cut(text: str, n: int) -> str:
    text = visible(text)  # escaped before measuring: the columns stay aligned
    return text if len(text) <= n else text[: n - 1] + "…"


# -- JSON -----------------------------------------------------------------------------------------------
def render_json(report: dict) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


# -- CSV (long form: one number per line) ---------------------------------------------------------------
CSV_COLUMNS = ("section", "item", "field", "value")


def report_rows(report: dict) -> list[tuple[str, str, str, object]]:
    rows: list[tuple[str, str, str, object]] = []
    for key in ("list", "campaign", "time_zone", "generated_at"):
        rows.append(("report", key, "", report[key]))
    for key, value in report["filters"].items():
        rows.append(("filters", key, "", "" if value is None else value))
    for key, value in report["progress"].items():
        rows.append(("progress", key, "", value))
    c = report["calls"]
    for key in ("dials", "voters_called", "contacts", "contact_rate", "seconds", "overlapping_calls"):
        rows.append(("calls", key, "", c[key]))
    for key, value in c["ids"].items():
        rows.append(("calls", "ids", key, value))
    for key, value in c["support_scale"].items():
        rows.append(("calls", "support_scale", key, value))
    for r in report["codes"]:
        rows.append(("codes", r["code"], "count", r["count"]))
        rows.append(("codes", r["code"], "percent", r["percent"]))
    for q in report["survey"]:
        rows.append(("survey", q["question"], "voters", q["voters"]))
        for a in q["answers"]:
            item = f"{q['question']}={a['answer']}"
            rows.append(("survey", item, "voters", a["voters"]))
            rows.append(("survey", item, "percent", a["percent"]))
            for key, value in a["support"].items():
                rows.append(("survey", item, key, value))
            rows.append(("survey", item, "supporter_percent", a["supporter_percent"]))
    for v in report["volunteers"]:
        for key in ("name", "calls", "contacts", "supporters", "seconds", "calls_per_hour", "first_call", "last_call"):
            rows.append(("volunteers", v["volunteer"], key, v[key]))
    for d in report["by_day"]:
        rows.append(("by_day", d["date"], "calls", d["calls"]))
        rows.append(("by_day", d["date"], "contacts", d["contacts"]))
    for h in report["by_hour"]:
        rows.append(("by_hour", f"{h['hour']:02d}", "calls", h["calls"]))
        rows.append(("by_hour", f"{h['hour']:02d}", "contacts", h["contacts"]))
    for i, warning in enumerate(report["warnings"], 1):
        rows.append(("warnings", str(i), "", warning))
    return rows


def render_csv(report: dict) -> str:
    buf = io.StringIO()
    writer = SafeWriter(buf)
    writer.writerow(CSV_COLUMNS)
    for section, item, field, value in report_rows(report):
        writer.writerow((section, item, field, "" if value is None else value))
    return buf.getvalue()


# -- Markdown -------------------------------------------------------------------------------------------
def _md(text) -> str:
    return visible(str(text).replace("|", "\\|").replace("\n", " "))  # ESC/BEL shown, never run


def _md_table(header: list[str], rows: list[list], align: str = "") -> list[str]:
    align = align or "l" + "r" * (len(header) - 1)
    marks = ["---:" if a == "r" else "---" for a in align]
    out = ["| " + " | ".join(_md(h) for h in header) + " |", "| " + " | ".join(marks) + " |"]
    out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    return out


def render_markdown(report: dict) -> str:
    out = [f"# Phone bank report: {_md(report['list'])}", "",
           f"{_md(report['campaign'])}. Calls: {_md(_filters(report))}. Times in {report['time_zone']}; "
           f"as of {report['generated_at']}."]
    if report["warnings"]:
        out += ["", "**Warnings**", ""] + [f"- {_md(w)}" for w in report["warnings"]]
    p = report["progress"]
    out += ["", "## List progress (as of now)", ""]
    out += _md_table(["", "Voters", "%"], [[label, _num(p[key]), "" if key == "voters" else
                                           _pct(100.0 * p[key] / p["voters"] if p["voters"] else None)]
                                          for key, label in PROGRESS_ROWS])
    c = report["calls"]
    out += ["", "## Calls", ""]
    out += _md_table(["", "Value"], [["Dials", _num(c["dials"])], ["Voters called", _num(c["voters_called"])],
                                     ["Contacts", _num(c["contacts"])], ["Contact rate", _pct(c["contact_rate"])],
                                     ["Supporters", _num(c["ids"]["supporters"])],
                                     ["Undecided", _num(c["ids"]["undecided"])],
                                     ["Other candidate", _num(c["ids"]["other_candidate"])]]
                     + [[f"Support {k}", _num(v)] for k, v in c["support_scale"].items()])
    if c["overlapping_calls"]:
        out += ["", f"Overlapping calls: {_num(c['overlapping_calls'])} ({OVERLAP_TEXT})."]
    out += ["", "## Results by code", ""]
    out += _md_table(["Code", "Label", "Calls", "%"],
                     [[r["code"], r["label"], _num(r["count"]), _pct(r["percent"])] for r in report["codes"]], "llrr")
    out += ["", "## Survey answers", "", "Per voter: the latest answer, crossed with the voter's latest support ID."]
    for q in report["survey"]:
        out += ["", f"**{_md(q['text'])}** ({_num(q['voters'])} voters)", ""]
        out += _md_table(["Answer", "Voters", "%", "Supporters", "Undecided", "Other candidate", "No ID", "Supporters %"],
                         [[a["label"], _num(a["voters"]), _pct(a["percent"]), _num(a["support"]["supporters"]),
                           _num(a["support"]["undecided"]), _num(a["support"]["other_candidate"]),
                           _num(a["support"]["no_id"]), _pct(a["supporter_percent"])] for a in q["answers"]])
    out += ["", "## Volunteers", ""]
    out += _md_table(["Volunteer", "Name", "Calls", "Contacts", "Supporters", "Calls/hour", "First call", "Last call"],
                     [[v["volunteer"], v["name"], _num(v["calls"]), _num(v["contacts"]), _num(v["supporters"]),
                       _num(v["calls_per_hour"]), v["first_call"] or "", v["last_call"] or ""]
                      for v in report["volunteers"]], "llrrrrll")
    out += ["", f"## Calls by day ({report['time_zone']})", ""]
    out += _md_table(["Day", "Calls", "Contacts"], [[_day_label(d["date"]), _num(d["calls"]), _num(d["contacts"])]
                                                   for d in report["by_day"]])
    out += ["", f"## Calls by hour of day ({report['time_zone']})", ""]
    out += _md_table(["Hour", "Calls", "Contacts"], [[f"{h['hour']:02d}:00", _num(h["calls"]), _num(h["contacts"])]
                                                    for h in report["by_hour"]])
    return "\n".join(out) + "\n"


def render_html(report: dict) -> str:
    """The report as one self-contained HTML page (``report.html``)."""
    from .html import render_html as page

    return page(report)

"""Writes benchmarks/RESULTS.md from the figures benchmarks/run.py collected."""

import re
import statistics
from pathlib import Path

TARGET_DAY_SHARE = 0.25  # the day page serves >= 25% of the bare view's requests per second
TARGET_CURVE = 1.2  # p50 at the largest scale <= 1.2 x p50 at the smallest


def fmt(value, digits=1):
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def pct(value):
    return "–" if value is None else f"{100 * value:.0f}%"


def ratio(a, b):
    return a / b if a is not None and b else None


def scale_name(n):
    n = int(n)
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def header(r):
    m, m2 = r["machine_before"], r["machine_after"]
    minutes = (r["finished"] - r["started"]).total_seconds() / 60
    a = r["args"]
    return [
        "# JobLokal benchmark results",
        "",
        f"- **Date:** {r['started']:%Y-%m-%d %H:%M} UTC, run took {minutes:.1f} minutes.",
        f"- **Machine:** {m['cores']} cores ({m['cpu']}), load average {m['load']} before and "
        f"{m2['load']} after (1/5/15 min). {m['system']}, Python {m['python']}, "
        f"{m['postgres']}, {m['wrk']}.",
        f"- **Server:** gunicorn on 127.0.0.1, {a['workers']} sync workers, "
        "`JOBLOKAL_ENV=production` (DEBUG off, hashed static files, Redis cache), plain HTTP "
        "(`SECURE_SSL_REDIRECT=false`, cookies without Secure), mail queued to a Redis broker "
        "that no worker consumes during the page runs. **`RATELIMIT_ENABLE=false`** for the whole "
        "run: the flow and the race post hundreds of bookings from one address.",
        f"- **Load:** wrk -t{a['threads']} -c{a['connections']} -d{a['duration']}s per run; "
        f"every figure is the **median of {a['runs']} runs**, runs interleaved across pages. "
        "The load generator shares the cores with the server and PostgreSQL, so compare the "
        "ratios to the baselines, not absolute numbers across runs.",
        "",
    ]


def generation(r):
    lines = ["## Data generation (benchmarks/generate.py, COPY)", ""]
    if not r["generation"]:
        return lines + ["Skipped (`--skip-generate`): the data already in the database.", ""]
    lines += [
        "| bookings | days | slots | rows of bookings incl. bench days | seconds |",
        "|---:|---:|---:|---:|---:|",
    ]
    for scale, g in r["generation"].items():
        lines.append(
            f"| {scale_name(scale)} | {fmt(g['days'])} | {fmt(g['slots'])} | "
            f"{fmt(g['bookings_total'])} | {fmt(g['seconds'])} |"
        )
    last = list(r["generation"].values())[-1]
    lines += [
        "",
        f"Steps at {scale_name(list(r['generation'])[-1])} bookings:",
        "",
        "```",
        last.get("log", "").strip(),
        "```",
    ]
    lines += [
        "",
        "Every scale has the same national structure: 400 districts, 8,000 municipalities, "
        "10,000 sites, 800 teams of 3 coaches, a monthly day per site over 24 months. Only the "
        "number of bookings changes. The bench days (coach's day today, day page, race, flow) "
        "are identical at every scale.",
        "",
    ]
    return lines


def pages(r):
    p = r.get("pages")
    if not p:
        return []
    bare, sel = p.get("bare", {}), p.get("select1", {})
    lines = [
        f"## Pages at {scale_name(r['scale'])} bookings",
        "",
        "| page | path | req/s | p50 ms | p99 ms | req/s vs bare | req/s vs SELECT 1 | "
        "p50 vs bare | 5xx | other non-2xx |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rows = dict(p)
    if r.get("flow"):
        rows["flow"] = r["flow"] | {"path": "GET form → POST → GET confirmation"}
    for key, v in rows.items():
        label = "full booking flow (3 requests; req/s = 3 × flows/s)" if key == "flow" else key
        if v.get("status", 200) != 200:
            label += f" (**answers {v['status']}, not 200**)"
        if v.get("slow"):
            label += f" (sequential: one request takes {v['one_request_ms'] / 1000:.1f} s)"
        non2xx = v.get("non2xx", 0) - v.get("s5xx", 0) if key != "flow" else v.get("failures")
        lines.append(
            f"| {label} | `{v['path']}` | {fmt(v['rps'])} | {fmt(v['p50'])} | {fmt(v['p99'])} | "
            f"{pct(ratio(v['rps'], bare.get('rps')))} | {pct(ratio(v['rps'], sel.get('rps')))} | "
            f"{fmt(ratio(v['p50'], bare.get('p50')), 2)}× | {fmt(int(v.get('s5xx') or 0))} | "
            f"{fmt(int(non2xx or 0))} |"
        )
    lines.append("")
    if r.get("worker_rss_mb"):
        lines += [f"Memory after the run: RSS of each gunicorn worker {r['worker_rss_mb']} MB.", ""]
    if r.get("flow"):
        f = r["flow"]
        lines += [
            f"Booking flow: {fmt(f['flows_per_s'])} complete bookings/s, {f['flows']} bookings "
            f"over all runs, {f['failures']} not confirmed (runs: {f['runs']} flows/s). "
            f"CPU per booking: the Python clients {fmt(f.get('client_cpu_ms'))} ms, the "
            f"gunicorn workers {fmt(f.get('server_cpu_ms'))} ms. "
            '"other non-2xx" counts redirects too (the coach and admin pages answer 302 '
            "when a session is missing).",
            "",
        ]
    for key, why in (r.get("skipped") or {}).items():
        lines.append(f"- **{key} not measured:** {why}.")
    if r.get("skipped"):
        lines.append("")
    return lines


def curve(r):
    c = r.get("curve") or {}
    if not c:
        return []
    scales = list(c)
    keys = [k for k in ("bare", "day", "coach_day", "statistics") if any(k in c[s] for s in scales)]
    lines = [
        "## Scale curve: p50 latency in ms by number of bookings",
        "",
        "| page | "
        + " | ".join(scale_name(s) for s in scales)
        + " | last ÷ first | same, each p50 ÷ bare p50 of its scale | target ≤ 1.2 |",
        "|---|" + "---:|" * len(scales) + "---:|---:|---|",
    ]
    for key in keys:
        values = [c[s].get(key, {}).get("p50") for s in scales]
        q, qn = curve_ratio(c, key)
        verdict = "–" if key == "bare" or q is None else ("met" if q <= TARGET_CURVE else "MISSED")
        lines.append(
            f"| {key} | "
            + " | ".join(fmt(v, 2) for v in values)
            + f" | {fmt(q, 2)} | {fmt(qn, 2)} | {verdict} |"
        )
    lines += [
        "",
        "Each scale is measured minutes after the previous one, so the machine's other load "
        "moves the figures too. The bare view shows by how much; the normalised column "
        "divides it out.",
        "",
    ]
    return lines


def curve_ratio(c, key):
    """p50 at the last scale over p50 at the first, raw and normalised by the bare view."""
    first, last = list(c)[0], list(c)[-1]

    def p50(scale, k):
        return c[scale].get(k, {}).get("p50")

    raw = ratio(p50(last, key), p50(first, key))
    normalised = ratio(
        ratio(p50(last, key), p50(last, "bare")), ratio(p50(first, key), p50(first, "bare"))
    )
    return raw, normalised


def race(r):
    runs = r.get("race")
    if not runs:
        return []
    lines = [
        "## The race for the last seats",
        "",
        '| run | free seats before | clients | booked (HTTP) | "just taken" page | 5xx | other |'
        " new bookings in DB | seats taken / capacity | counter mismatches | seconds |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, x in enumerate(runs, 1):
        k, s = x["kinds"], x["state"]
        clients = sum(k.values())
        other = clients - k.get("booked", 0) - k.get("taken", 0) - k.get("5xx", 0)
        lines.append(
            f"| {n} | {x['free_before']} | {clients} | {k.get('booked', 0)} | {k.get('taken', 0)} |"
            f" {k.get('5xx', 0)} | {other} | {s['race_bookings']} | {s['seats_taken']} / "
            f"{s['capacity']} | {s['counter_mismatches']} | {x['seconds']:.1f} |"
        )
    lines += [
        "",
        "Each client loads the booking form of a slot that still has a seat (its own session "
        "and CSRF token), all wait at a barrier, then post at once. Statuses seen: "
        + "; ".join(f"run {n}: {x['statuses']}" for n, x in enumerate(runs, 1))
        + ".",
        "",
    ]
    return lines


def mail(r):
    m = r.get("mail")
    lines = ["## Reminder dispatch (benchmarks/mail_dispatch.py, issue 4)", ""]
    if not m:
        return lines + ["Not run (`--skip-mail`).", ""]
    if isinstance(m, list):  # results.json of an earlier version: (output, why not)
        m = {"missing": m[1]} if m[1] else {"outputs": [m[0]]}
    if m.get("missing"):
        return lines + [f"Not measured: {m['missing']}.", ""]
    figures = m.get("figures") or []
    if figures:
        lines += [
            "| runs | pipeline messages/s | smtplib messages/s | ratio pipeline / smtplib |",
            "|---:|---:|---:|---:|",
            f"| {len(figures)} | {fmt(median_of(figures, 'pipeline'))} | "
            f"{fmt(median_of(figures, 'smtplib'))} | {fmt(median_of(figures, 'ratio'), 2)} |",
            "",
            "Medians of the runs. The script's own output of the last run:",
            "",
        ]
    last = (m.get("outputs") or ["(no output)"])[-1]
    # The script writes Markdown; its headings go one level below this section's.
    lines += [re.sub(r"^(#+)", r"###", line) for line in last.splitlines()]
    return lines + [""]


def median_of(rows, key):
    values = [row[key] for row in rows if row.get(key) is not None]
    return statistics.median(values) if values else None


def targets(r):
    lines = ["## Targets", ""]
    p = r.get("pages") or {}
    day_share = ratio(p.get("day", {}).get("rps"), p.get("bare", {}).get("rps"))
    if day_share is not None:
        verdict = "met" if day_share >= TARGET_DAY_SHARE else "MISSED"
        lines.append(f"- Day page ≥ 25% of the bare view's req/s: {pct(day_share)}, **{verdict}**.")
    # Issue 19's further targets, each a share of the bare view's req/s.
    shares = (("form", 0.15), ("confirmation", 0.15), ("manage", 0.15))
    for key, share in (*shares, ("start", 0.10), ("coach_day", 0.10)):
        got = ratio(p.get(key, {}).get("rps"), p.get("bare", {}).get("rps"))
        if got is not None:
            verdict = "met" if got >= share else "MISSED"
            goal = f"- {key} ≥ {share:.0%} of the bare view's req/s"
            lines.append(f"{goal}: {pct(got)}, **{verdict}**.")
    p50 = p.get("statistics", {}).get("p50")
    if p50 is not None:
        verdict = "met" if p50 <= 100 else "MISSED"
        lines.append(f"- Statistics for one Landkreis p50 ≤ 100 ms: {fmt(p50)} ms, **{verdict}**.")
    c = r.get("curve") or {}
    if len(c) > 1:
        first, last = list(c)[0], list(c)[-1]
        for key in ("day", "coach_day", "statistics"):
            q, qn = curve_ratio(c, key)
            if q is not None:
                verdict = "met" if q <= TARGET_CURVE else "MISSED"
                lines.append(
                    f"- Flat curve, {key}: p50 at {scale_name(last)} is {q:.2f}× the p50 at "
                    f"{scale_name(first)} ({fmt(qn, 2)}× relative to the bare view), "
                    f"**{verdict}**."
                )
    for n, x in enumerate(r.get("race") or [], 1):
        s, k = x["state"], x["kinds"]
        exact = s["race_bookings"] == x["free_before"] and s["seats_taken"] == s["capacity"]
        exact = exact and s["counter_mismatches"] == 0
        losers = sum(k.values()) - k.get("booked", 0)
        lines.append(
            f"- Race, run {n}: {s['race_bookings']} of {x['free_before']} free seats taken, "
            f"{k.get('5xx', 0)} 5xx, {k.get('taken', 0)} of {losers} losers saw the "
            f'"just taken" page: **{"met" if exact and not k.get("5xx") else "MISSED"}**.'
        )
    s5 = int(sum(v.get("s5xx", 0) for v in p.values()) + (r.get("flow") or {}).get("s5xx", 0))
    if p:
        lines.append(f"- No 5xx under load: {s5} 5xx responses in the page runs and the flow.")
    return lines + [""]


def commands(r):
    lines = ["## Commands", "", "```"]
    seen = []
    for c in r["commands"]:
        if c not in seen:
            seen.append(c)
    return lines + seen + ["```", ""]


def write(r, path: Path):
    parts = header(r) + targets(r) + pages(r) + curve(r) + race(r) + generation(r) + mail(r)
    parts += commands(r)
    path.write_text("\n".join(parts))

"""``python -m pipelines.report --stage S --html FILE``: the report as one self-contained HTML file.

Charts are matplotlib figures embedded as inline SVG: no JavaScript, no fonts or scripts fetched at view time, so the
file opens offline, prints, and can be attached to a ticket. Chosen over plotly (inline plotly.js) and bokeh (INLINE
resources) by measurement on this project's chart set (docs/report.md "Why matplotlib SVG"): ~76 KB vs 4.9 MB and
1.3 MB per file, ~60 ms vs 0.9-3.4 s to load in headless Chromium; the price is no hover tooltips, which the tables
under each chart make up for (every plotted number is also printed).

Needs matplotlib (extra ``report``: ``pip install '.[report]'``); the text report never imports this module.

Drift distances over time: Model Monitor's data quality ``statistics.json`` holds each execution's KLL sketches and
categorical counts but not the distances; only violations carry them ("Baseline drift distance: d exceeds threshold:
t"). The chart therefore shows, per feature and execution, Deequ's distance computed from the baseline statistics and
the execution's statistics (pipelines/formats/statistics.py, checked against the analyzer's implementation), marked
"our reading", and Model Monitor's own figure from the violations file as a cross wherever it reported one.
"""

from __future__ import annotations

import html
import io
import math
from pathlib import Path
from typing import Any

from pipelines.core.errors import UsageError
from pipelines.report.history import DEGRADED, OK, UNKNOWN, History

COLORS = {OK: "#1a7f37", DEGRADED: "#cf222e", UNKNOWN: "#9a6700"}
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1f2328;max-width:1100px}
h1{font-size:20px} h2{font-size:17px;border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:32px}
.verdict{padding:12px 16px;border-radius:6px;color:#fff;font-size:18px;font-weight:600}
.verdict small{display:block;font-weight:400;font-size:14px;margin-top:4px}
table{border-collapse:collapse;font-size:13px;margin:8px 0} td,th{border:1px solid #d0d7de;padding:3px 8px;
text-align:left;vertical-align:top} th{background:#f6f8fa} .num{text-align:right;font-variant-numeric:tabular-nums}
figure.chart{margin:12px 0} figure.chart svg{max-width:100%;height:auto} figcaption{font-size:12px;color:#59636e}
.note{color:#59636e;font-size:13px} .bad{color:#cf222e} .good{color:#1a7f37} .unk{color:#9a6700}
"""


def check_available(path: str) -> None:
    """Fail before any AWS call when the extra is missing or the path cannot take a file."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError("--html needs matplotlib (the 'report' extra): pip install '.[report]' or "
                         "pip install -r requirements-report.txt") from None
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"--html {path} is a directory; pass a file name such as report.html")
    if not target.parent.is_dir():
        raise UsageError(f"--html {path}: folder {target.parent} does not exist; create it or pass another path")


def write(report: Any, recall: list[Any] | None, path: str) -> None:
    """Render and write the file atomically (a temp file in the same folder, then rename)."""
    from pipelines.core.files import atomic_write_many

    atomic_write_many({Path(path): render(report, recall).encode("utf-8")})


# ---- charts -------------------------------------------------------------------------------------------------------


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("svg")
    matplotlib.rcParams.update({"svg.hashsalt": "model-monitor-report", "svg.fonttype": "none", "font.size": 9,
                                "axes.spines.top": False, "axes.spines.right": False})
    import matplotlib.pyplot as plt

    return plt


def _svg(fig: Any) -> str:
    plt = _pyplot()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None, "Format": None,
                                                                     "Type": None})
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and DOCTYPE: inline SVG in HTML5 needs neither


def _figure(chart_id: str, svg: str, caption: str) -> str:
    return (f'<figure class="chart" data-chart="{html.escape(chart_id)}">{svg}'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _short(hour: str) -> str:
    return hour[5:16].replace("T", " ") if len(hour) >= 16 else hour


def executions_chart(past: History) -> str | None:
    """Violations per execution, newest right: green none, red some, grey unreadable."""
    if not past.executions:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 1.9))
    labels = [_short(e.hour) for e in past.executions]
    counts, colors = [], []
    for execution in past.executions:
        if execution.error or execution.violations is None:
            counts.append(0.3)
            colors.append("#8c959f")
        else:
            counts.append(max(len(execution.violations), 0.3))
            colors.append(COLORS[DEGRADED] if execution.violations else COLORS[OK])
    ax.bar(range(len(labels)), counts, color=colors)
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("violations")
    ax.set_title(f"{past.monitor}: executions (green none, red violations, grey no violations file)", fontsize=9)
    return _figure(f"executions-{past.monitor}", _svg(fig), f"{len(labels)} newest executions under {past.prefix}")


def drift_series(report: Any) -> tuple[dict[str, list[tuple[str, float]]], dict[str, float],
                                        dict[str, list[tuple[str, float]]], list[str]]:
    """(our distances per feature over time, threshold per feature, Model Monitor's reported distances, notes)."""
    from pipelines.formats import statistics as stats

    past = report.histories.get("data-quality")
    baseline = report.baseline.get("data_quality_statistics")
    constraints = report.baseline.get("data_quality_constraints")
    ours: dict[str, list[tuple[str, float]]] = {}
    reported: dict[str, list[tuple[str, float]]] = {}
    thresholds: dict[str, float] = {}
    notes: list[str] = []
    if past is None:
        return ours, thresholds, reported, notes
    for execution in past.executions:
        for item in execution.violations or []:
            if item.check == "baseline_drift_check" and item.observed is not None and item.feature:
                reported.setdefault(item.feature, []).append((execution.hour, item.observed))
                if item.threshold is not None:
                    thresholds.setdefault(item.feature, item.threshold)
    if not isinstance(baseline, dict) or not isinstance(constraints, dict):
        notes.append("distances of features without a violation not drawn: the baseline statistics or constraints "
                     "(DataQualityBaselineStatistics / DataQualityBaselineConstraints) could not be read")
        return ours, thresholds, reported, notes
    base = {f.get("name"): f for f in baseline.get("features") or [] if isinstance(f, dict)}
    skipped = set()
    for execution in past.executions:
        current = {f.get("name"): f for f in (execution.statistics or {}).get("features") or [] if isinstance(f, dict)}
        # as real jobs do: a column that failed its data_type_check gets no drift check (facts: "What real Model
        # Monitor jobs wrote"), so no distance is drawn for it either
        type_failed = {f.feature for f in execution.violations or [] if f.check == "data_type_check"}
        for name, feature in base.items():
            if name not in current or name in type_failed:
                continue
            method, numerical, categorical, categorical_method = stats.drift_settings(constraints, name)
            if feature.get("numerical_statistics") is None and categorical_method != "LInfinity":
                skipped.add(name)  # ChiSquared: a p-value, not a distance on this scale
                continue
            distance = stats.distance(feature, current[name], method)
            if distance is not None and math.isfinite(distance):
                ours.setdefault(name, []).append((execution.hour, distance))
                thresholds[name] = numerical if feature.get("numerical_statistics") is not None else categorical
    if skipped:
        notes.append(f"not drawn (categorical_drift_method ChiSquared: a p-value): {', '.join(sorted(skipped))}")
    return ours, thresholds, reported, notes


def drift_chart(ours: dict[str, list[tuple[str, float]]], thresholds: dict[str, float],
                reported: dict[str, list[tuple[str, float]]]) -> str | None:
    if not ours and not reported:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 3.2))
    hours = sorted({h for series in list(ours.values()) + list(reported.values()) for h, _ in series})
    index = {h: i for i, h in enumerate(hours)}
    for name in sorted(set(ours) | set(reported)):
        line = None
        if name in ours:
            (line,) = ax.plot([index[h] for h, _ in ours[name]], [v for _, v in ours[name]], marker="o",
                              markersize=3, label=name)
        if name in reported:
            ax.plot([index[h] for h, _ in reported[name]], [v for _, v in reported[name]], linestyle="none",
                    marker="x", markersize=8, color=line.get_color() if line else None,
                    label=None if line else f"{name} (reported)")
    for value in sorted(set(thresholds.values())):
        ax.axhline(value, color=COLORS[DEGRADED], linestyle="--", linewidth=1)
        ax.annotate(f"threshold {value:g}", (0, value), xytext=(2, 3), textcoords="offset points",
                    color=COLORS[DEGRADED], fontsize=8)
    ax.set_xticks(range(len(hours)), [_short(h) for h in hours], rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("drift distance")
    ax.set_title("data quality: drift distance per feature (line: our reading from statistics.json; "
                 "x: Model Monitor's violation)", fontsize=9)
    ax.legend(fontsize=7, ncol=3, loc="upper left")
    return _figure("drift-distance", _svg(fig), "Deequ L-infinity distance vs the baseline, per execution")


def drifted_features(report: Any, ours: dict[str, list[tuple[str, float]]], thresholds: dict[str, float]) -> list[str]:
    """Features with a drift violation in the newest execution, or whose newest distance exceeds its threshold."""
    past = report.histories.get("data-quality")
    names = set()
    if past and past.executions:
        newest = past.executions[-1]
        names |= {f.feature for f in newest.violations or [] if f.check == "baseline_drift_check" and f.feature}
        for name, series in ours.items():
            if series and series[-1][0] == newest.hour and series[-1][1] > thresholds.get(name, math.inf):
                names.add(name)
    return sorted(names)


def distribution_chart(name: str, baseline: dict[str, Any], current: dict[str, Any], hour: str) -> str | None:
    """Baseline vs current: KLL buckets as densities (numerical) or category shares (categorical)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.4, 2.6))
    if baseline.get("numerical_statistics") is not None:
        drawn = 0
        for side, label, color in ((baseline, "baseline", "#0969da"), (current, f"current {_short(hour)}",
                                                                           COLORS[DEGRADED])):
            buckets = (((side.get("numerical_statistics") or {}).get("distribution") or {}).get("kll") or {}) \
                .get("buckets") or []
            total = sum(float(b.get("count", 0)) for b in buckets)
            if not buckets or not total:
                continue
            edges = [float(buckets[0]["lower_bound"])] + [float(b["upper_bound"]) for b in buckets]
            density = [float(b["count"]) / total / max(float(b["upper_bound"]) - float(b["lower_bound"]), 1e-12)
                       for b in buckets]
            ax.stairs(density, edges, label=label, color=color, fill=label == "baseline", alpha=0.35 if
                      label == "baseline" else 1.0, linewidth=1.5)
            drawn += 1
        if not drawn:
            plt.close(fig)
            return None
        ax.set_ylabel("density")
    else:
        shares = []
        for side in (baseline, current):
            buckets = (((side.get("string_statistics") or {}).get("distribution") or {}).get("categorical") or {}) \
                .get("buckets") or []
            total = sum(float(b.get("count", 0)) for b in buckets) or 1.0
            shares.append({str(b["value"]): float(b["count"]) / total for b in buckets})
        keys = sorted(set(shares[0]) | set(shares[1]))
        if not keys:
            plt.close(fig)
            return None
        positions = range(len(keys))
        ax.bar([p - 0.2 for p in positions], [shares[0].get(k, 0) for k in keys], width=0.4, label="baseline",
               color="#0969da")
        ax.bar([p + 0.2 for p in positions], [shares[1].get(k, 0) for k in keys], width=0.4,
               label=f"current {_short(hour)}", color=COLORS[DEGRADED])
        ax.set_xticks(list(positions), keys, rotation=30, ha="right", fontsize=7)
        ax.set_ylabel("share")
    ax.set_title(name, fontsize=9)
    ax.legend(fontsize=7)
    return _figure(f"distribution-{name}", _svg(fig), f"{name}: baseline vs newest execution ({hour})")


def recall_points(report: Any) -> tuple[list[tuple[str, float]], dict[str, float]]:
    """Realized recall per model quality execution, and thresholds (alarm, constraints) to draw."""
    past = report.histories.get("model-quality")
    points: list[tuple[str, float]] = []
    lines: dict[str, float] = {}
    for execution in past.executions if past else []:
        block = (execution.statistics or {}).get("binary_classification_metrics") or {}
        value = (block.get("recall") or {}).get("value")
        if isinstance(value, (int, float)) and math.isfinite(value):
            points.append((execution.hour, float(value)))
        for item in execution.violations or []:
            if item.metric == "recall" and item.threshold is not None:
                lines["constraints threshold (registry baseline)"] = item.threshold
    alarm = report.params.get("ModelQualityAlarmThreshold", "")
    if alarm and report.params.get("ModelQualityAlarmMetric", "recall") in ("recall", ""):
        try:
            lines["recall alarm threshold"] = float(alarm)
        except ValueError:
            pass
    return points, lines


def recall_chart(points: list[tuple[str, float]], lines: dict[str, float], recall: list[Any] | None) -> str | None:
    windows = [w for w in recall or [] if w.estimated is not None or w.realized is not None]
    if not points and not windows:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 3))
    if points:
        ax.plot([_short(h) for h, _ in points], [v for _, v in points], marker="o", markersize=3,
                label="realized recall at execution (labels in by then: early)", color="#0969da")
    if windows:
        labels = [f"{w.end:%m-%d %H:%M}" for w in windows]
        estimated = [w.estimated if w.estimated is not None else math.nan for w in windows]
        low = [e - w.low if w.low is not None else 0 for e, w in zip(estimated, windows, strict=True)]
        high = [w.high - e if w.high is not None else 0 for e, w in zip(estimated, windows, strict=True)]
        ax.errorbar(labels, estimated, yerr=[low, high], fmt="s", markersize=4, capsize=3, color="#8250df",
                    label="estimated recall, no labels (95% interval)")
        realized = [w.realized if w.realized is not None else math.nan for w in windows]
        if any(not math.isnan(v) for v in realized):
            ax.plot(labels, realized, linestyle="none", marker="D", markersize=5, color="#1a7f37",
                    label="realized recall of the window (matured labels)")
    for name, value in sorted(lines.items()):
        ax.axhline(value, linestyle="--", linewidth=1, color=COLORS[DEGRADED] if "alarm" in name else "#8c959f",
                   label=f"{name} {value:.3f}")
    ax.tick_params(axis="x", labelrotation=60, labelsize=7)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("fraud recall")
    ax.set_title("model quality: fraud recall over time", fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    return _figure("recall", _svg(fig), "recall per model quality execution and per estimated capture window")


def label_curve_chart(section: dict[str, Any]) -> str | None:
    """The label development curve (issue 18's report section, ``Report.label_maturity``): by label age, the share
    of a matured day's frauds already labelled and the recall measured on those labels; the two windows marked."""
    curve = section.get("curve") or {}
    shares, recalls = curve.get("share_labelled_by_day") or [], curve.get("recall_at_label_age") or []
    if not any(v is not None for v in shares + recalls):
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 2.8))
    for values, label, color in ((shares, "share of frauds labelled", "#0969da"),
                                 (recalls, "recall on the labels in by then", "#8250df")):
        points = [(age, v) for age, v in enumerate(values) if v is not None]
        if points:
            ax.plot([a for a, _ in points], [v for _, v in points], label=label, color=color)
    for window in section.get("windows") or []:
        ax.axvline(window["label_age_days"], linestyle=":", color="#59636e")
        ax.annotate(f"{window['window']} ({window['label_age_days']} d)", (window["label_age_days"], 1.0),
                    xytext=(3, -10), textcoords="offset points", fontsize=7, color="#59636e")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("label age (days)")
    ax.set_title("label development curve: how fraud labels arrive, and what early recall means", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    return _figure("label-development", _svg(fig), f"measured over {curve.get('matured_days')} matured days, "
                                                   f"{curve.get('frauds')} frauds ({section.get('curve_uri')})")


def label_maturity_html(section: dict[str, Any] | None) -> list[str]:
    """Early and matured recall windows with their alarms, and the curve (nothing when the section is absent)."""
    if not isinstance(section, dict):
        return []
    out = [f"<h3>labels and recall windows (LabelMaturityDays {html.escape(str(section.get('label_maturity_days')))}"
           ")</h3>"]
    out.append(_table(["window", "captures", "label age (days)", "schedule", "alarm below", "share labelled",
                       "recall at label age", "not paged because"],
                      [[w["window"], f"{w['start_offset']} to {w['end_offset']}", w["label_age_days"], w["schedule"],
                        w["alarm_threshold"], w["share_labelled"], w["recall_at_label_age"],
                        w["not_paged_reason"] or ""] for w in section.get("windows") or []]))
    if section.get("curve_error"):
        out.append(f'<p class="unk">label development curve {html.escape(str(section.get("curve_uri")))}: cannot be '
                   f"read ({html.escape(section['curve_error'])})</p>")
    else:
        chart = label_curve_chart(section)
        out.append(chart or f'<p class="note">no label development curve yet at '
                            f"{html.escape(str(section.get('curve_uri')))}</p>")
    return out


# ---- page ---------------------------------------------------------------------------------------------------------


def _table(header: list[str], rows: list[list[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f'<td class="num">{value:.6g}</td>'
        return f"<td>{html.escape('' if value is None else str(value))}</td>"

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _monitor_section(report: Any, rep: Any, verdicts: dict[str, dict[str, Any]]) -> list[str]:
    out = [f"<h2 id=\"{rep.monitor}\">{html.escape(rep.monitor)}</h2>"]
    if not rep.deployed:
        return out + [f'<p class="note">not deployed ({html.escape(rep.not_deployed_reason or "")})</p>']
    state = verdicts.get(rep.monitor, {})
    css = {OK: "good", DEGRADED: "bad"}.get(state.get("status", ""), "unk")
    out.append(f'<p><b class="{css}">{html.escape(state.get("status", ""))}</b>: {html.escape(state.get("text", ""))}'
               "</p>")
    status = rep.schedule_status or f"unavailable ({rep.schedule_error})"
    out.append(f"<p>schedule <code>{html.escape(rep.schedule_name)}</code>: {html.escape(status)}</p>")
    if rep.executions:
        out.append(_table(["scheduled", "status", "failure reason"],
                          [[e.scheduled_time, e.status, e.failure_reason] for e in rep.executions]))
    past = report.histories.get(rep.monitor)
    if past is not None:
        if past.error:
            out.append(f'<p class="unk">outputs unreadable: {html.escape(past.error)}</p>')
        chart = executions_chart(past)
        if chart:
            out.append(chart)
        errors = [e for e in past.executions if e.error]
        if errors:
            out.append(f'<p class="unk">{len(errors)} execution(s) unreadable, first: {html.escape(errors[0].error)}'
                       "</p>")
    from pipelines.report.cli import _latest_findings

    findings = _latest_findings(rep, past)
    if findings:
        out.append(f"<p>violations in {html.escape(rep.violations_source or '')}</p>")
        out.append(_table(["feature / metric", "check", "observed", "threshold", "threshold from", "description"],
                          [[f.name, f.check, f.observed, f.threshold, f.threshold_source or "not given",
                            f.description] for f in findings]))
    elif rep.violations_source:
        out.append(f'<p class="good">no violations in {html.escape(rep.violations_source)}</p>')
    else:
        out.append(f'<p class="unk">{html.escape(rep.violations_error or rep.violations_note or "")}</p>')
    return out


def render(report: Any, recall: list[Any] | None) -> str:
    """The whole page."""
    verdict = report.verdict
    verdicts = {r["monitor"]: r for r in verdict.reasons}
    title = f"Model monitoring: {report.stage} ({report.endpoint or '?'})"
    details = "".join(f"<small>{html.escape(r['monitor'])} {html.escape(r['status'])}: {html.escape(r['text'])}"
                      "</small>" for r in verdict.reasons)
    body = [f"<h1>{html.escape(title)}</h1>",
            f'<div class="verdict" id="verdict" style="background:{COLORS[verdict.status]}">'
            f"{html.escape(report.stage)}: {verdict.status}{details}</div>"]
    for note in report.baseline_errors:
        body.append(f'<p class="unk">{html.escape(note)}</p>')
    for rep in report.monitors:
        body += _monitor_section(report, rep, verdicts)
        if rep.monitor == "data-quality" and rep.deployed:
            ours, thresholds, reported, notes = drift_series(report)
            chart = drift_chart(ours, thresholds, reported)
            body.append(chart or '<p class="note">no drift distances: no statistics.json or drift violation read</p>')
            body += [f'<p class="note">{html.escape(n)}</p>' for n in notes]
            past = report.histories.get("data-quality")
            names = drifted_features(report, ours, thresholds)
            base = {f.get("name"): f for f in (report.baseline.get("data_quality_statistics") or {})
                    .get("features") or [] if isinstance(f, dict)}
            newest = past.executions[-1] if past and past.executions else None
            current = {f.get("name"): f for f in ((newest.statistics if newest else None) or {}).get("features") or []
                       if isinstance(f, dict)}
            if names:
                body.append("<h3>drifted features: baseline vs current</h3>")
            for name in names:
                figure = distribution_chart(name, base[name], current[name], newest.hour) \
                    if name in base and name in current else None
                body.append(figure or f'<p class="note">{html.escape(name)}: no distribution to draw (baseline or '
                                      "current statistics.json missing)</p>")
        if rep.monitor == "model-quality" and rep.deployed:
            points, lines = recall_points(report)
            chart = recall_chart(points, lines, recall)
            body.append(chart or '<p class="note">no recall yet: no model quality statistics.json and no estimate '
                                 "windows read</p>")
            if recall:
                body.append(_table(["window start", "window end", "estimated", "95% low", "95% high",
                                    "calibration holds", "realized"],
                                   [[f"{w.start:%Y-%m-%dT%H:%MZ}", f"{w.end:%Y-%m-%dT%H:%MZ}", w.estimated, w.low,
                                     w.high, w.calibration_holds, w.realized if w.realized is not None
                                     else "labels pending"] for w in recall]))
            elif recall is None:
                body.append('<p class="note">label-free estimate: not configured (AnalyzerEstimateOutputS3Uri or '
                            "--estimate-output)</p>")
            body += label_maturity_html(getattr(report, "label_maturity", None))
    body.append("<h2 id=\"alarms\">alarms</h2>")
    if report.alarms_error:
        body.append(f'<p class="unk">{html.escape(report.alarms_error)}</p>')
    elif report.alarms is None:
        body.append('<p class="note">alarm states not read</p>')
    elif not report.alarms:
        body.append('<p class="note">no alarm named '
                    f'{html.escape(report.params.get("MonitoringScheduleBaseName", ""))}*</p>')
    else:
        body.append(_table(["alarm", "state", "since", "metric", "threshold", "reason"],
                           [[a["name"], a["state"], a["since"], a["metric"], a["threshold"], a["reason"]]
                            for a in report.alarms]))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>\n" + "\n".join(body)
            + "\n</body></html>\n")

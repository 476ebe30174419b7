"""What the monitors wrote, execution by execution, and the stage's one verdict (``python -m pipelines.report``).

Model Monitor writes each execution's ``statistics.json`` and ``constraint_violations.json`` under
``<XOutputS3Uri>/<endpoint>/<schedule>/yyyy/mm/dd/hh/`` (the hour the execution was scheduled; AWS docs
"model-monitor-interpreting-results", and the layout the fixtures in tests/fixtures/violations reproduce). This module
lists that prefix once per monitor, keeps the newest executions, and reads their files. Numbers are taken from the
violation descriptions in the wordings real jobs write (docs/shared facts: "What real Model Monitor jobs wrote"); a
threshold that the description does not carry is looked up in the baseline constraints where the check defines it,
and left empty otherwise (bias: Clarify writes only the value).

boto3 and the standard library only: the text report runs this.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pipelines.core import aws
from pipelines.core.errors import MonitorError, NotFoundError
from pipelines.core.files import decode_utf8, json_loads
from pipelines.core.s3uri import S3UriError, parse_s3_uri, s3_uri

STATISTICS = "statistics.json"
VIOLATIONS = "constraint_violations.json"
DEFAULT_HISTORY = 24  # executions per monitor: a day of hourly data-quality runs
HOUR_FOLDER = re.compile(r"(?:^|/)(\d{4})/(\d{2})/(\d{2})/(\d{2})/?$")
OK, DEGRADED, UNKNOWN = "OK", "DEGRADED", "UNKNOWN"
_NUMBER = r"(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|NaN|nan)"

# (check type or None for any, pattern, (observed group, threshold group), comparison the violation means)
_WORDINGS: tuple[tuple[str | None, re.Pattern[str], str], ...] = (
    # data quality drift, as real jobs and our analyzer write it
    ("baseline_drift_check", re.compile(rf"Baseline drift distance: {_NUMBER} exceeds threshold: {_NUMBER}"), ">"),
    ("baseline_drift_check", re.compile(rf"Baseline drift p-value: {_NUMBER} is below threshold: {_NUMBER}"), "<"),
    # data_type_check in every real run 2020-11 to 2022-04: percentages
    ("data_type_check", re.compile(rf"Expected match: {_NUMBER}%\. Observed: Only {_NUMBER}% of data"), "<%"),
    # the column checks: observed = current columns, threshold = the baseline's
    (None, re.compile(rf"Number of columns in current dataset: {_NUMBER}, Number of columns in baseline constraints: "
                      rf"{_NUMBER}"), "!="),
    # model quality: "Metric auc with 0.51 +/- 0.007 was LessThanThreshold '0.93'" (real jobs; quotes in some
    # containers, no "+/- sd" where no standard deviation was computed)
    (None, re.compile(rf"Metric \S+ with {_NUMBER}(?: \+/- \S+)? was (\w+) '?{_NUMBER}'?"), "metric"),
    # explainability (Clarify): "Feature attribution drift 0.8127 exceeds threshold 0.9"
    ("feature_attribution_drift_check", re.compile(rf"drift {_NUMBER} exceeds threshold {_NUMBER}"), "<"),
)
_VALUE_ONLY = re.compile(rf"Value:? {_NUMBER} does not meet the constraint requirement")


@dataclass(frozen=True)
class Finding:
    """One violation with its numbers: what, which check, the observed value and the threshold it crossed."""

    name: str
    feature: str | None
    metric: str | None
    check: str
    observed: float | None
    threshold: float | None
    comparison: str | None  # how observed relates to threshold in a violation: ">", "<", "!="
    threshold_source: str  # "description", "baseline constraints", or "" when nobody says
    description: str


@dataclass
class ExecutionOutput:
    """The files one execution wrote (either may be missing)."""

    hour: str  # ISO-8601 UTC hour of the folder (the scheduled hour), else the files' LastModified
    prefix: str
    violations: list[Finding] | None = None  # None: no constraint_violations.json
    statistics: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class History:
    """The newest executions of one monitor, oldest first."""

    monitor: str
    prefix: str
    executions: list[ExecutionOutput] = field(default_factory=list)
    error: str | None = None


def _float(text: str) -> float:
    return float(text)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def finding(entry: dict[str, Any], name: str, thresholds: dict[str, Any] | None = None) -> Finding:
    """One violations-file entry with the numbers in its description (and the constraints' threshold if needed)."""
    check = str(entry.get("constraint_check_type", ""))
    description = str(entry.get("description", "")).strip()
    feature = str(entry["feature_name"]) if entry.get("feature_name") else None
    metric = str(entry["metric_name"]) if entry.get("metric_name") else None
    observed = threshold = None
    comparison, source = None, ""
    for kind, pattern, how in _WORDINGS:
        if kind not in (None, check):
            continue
        match = pattern.search(description)
        if not match:
            continue
        groups = match.groups()
        if how == "metric":
            observed, threshold = _float(groups[0]), _float(groups[2])
            comparison = {"LessThanThreshold": "<", "GreaterThanThreshold": ">"}.get(groups[1], groups[1])
        elif how == "<%":  # "Expected match: 100.0%. Observed: Only 97.2%": shares, as Deequ computes them
            threshold, observed, comparison = _float(groups[0]) / 100, _float(groups[1]) / 100, "<"
        else:
            observed, threshold, comparison = _float(groups[0]), _float(groups[1]), how
        source = "description"
        break
    else:
        match = _VALUE_ONLY.search(description)
        if match:
            observed, comparison = _float(match.group(1)), "<"
            limit = (thresholds or {}).get((feature, check))
            if limit is not None:
                threshold, source = limit, "baseline constraints"
            elif check == "bias_drift_check":
                comparison = "outside"  # Clarify's bias constraints are ranges; the description gives the value only
    return Finding(name=name, feature=feature, metric=metric, check=check, observed=observed, threshold=threshold,
                   comparison=comparison, threshold_source=source, description=description)


def constraint_thresholds(constraints: dict[str, Any] | None) -> dict[tuple[str | None, str], float]:
    """(feature, check) -> threshold for the checks whose description has the value only ("Value: x does not ...").

    data_type_check: datatype_check_threshold, categorical_values_check: domain_content_threshold (documented
    default 1.0 as the real files write it; facts.md), completeness_check: the feature's ``completeness``.
    """
    if not isinstance(constraints, dict):
        return {}
    config = constraints.get("monitoring_config") or {}
    found: dict[tuple[str | None, str], float] = {}
    for item in constraints.get("features") or []:
        if not isinstance(item, dict) or not item.get("name"):
            continue
        name = str(item["name"])
        overrides: dict[str, Any] = {}
        for holder in (item, item.get("num_constraints") or {}, item.get("string_constraints") or {}):
            for key in ("monitoringConfigOverrides", "monitoring_config_overrides"):
                overrides.update(holder.get(key) or {})
        for check, key in (("data_type_check", "datatype_check_threshold"),
                           ("categorical_values_check", "domain_content_threshold")):
            value = _number(overrides.get(key, config.get(key, 1.0)))
            if value is not None:
                found[(name, check)] = value
        if _number(item.get("completeness")) is not None:
            found[(name, "completeness_check")] = float(item["completeness"])
    return found


def _hour(folder: str, modified: Any) -> str:
    match = HOUR_FOLDER.search(folder)
    if match:
        return "{}-{}-{}T{}:00:00Z".format(*match.groups())
    if isinstance(modified, datetime):
        return modified.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return ""


def list_executions(s3: Any, output_uri: str, limit: int) -> list[ExecutionOutput]:
    """The newest ``limit`` execution folders under a monitor's output URI (one listing), oldest first."""
    bucket, prefix = parse_s3_uri(output_uri, key_required=False)
    prefix = prefix.rstrip("/") + "/" if prefix else ""
    folders: dict[str, dict[str, Any]] = {}
    for page in aws.paginate(s3, "ListObjectsV2", s3_uri(bucket, prefix), Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            folder, _, name = obj["Key"].rpartition("/")
            if name in (STATISTICS, VIOLATIONS):
                entry = folders.setdefault(folder, {"files": set(), "modified": obj["LastModified"]})
                entry["files"].add(name)
                entry["modified"] = max(entry["modified"], obj["LastModified"])
    ordered = sorted(folders.items(), key=lambda item: (_hour(item[0], item[1]["modified"]), item[1]["modified"]))
    return [ExecutionOutput(hour=_hour(folder, entry["modified"]), prefix=s3_uri(bucket, folder + "/"),
                            violations=[] if VIOLATIONS in entry["files"] else None,
                            statistics={} if STATISTICS in entry["files"] else None)
            for folder, entry in ordered[-limit:]]


def read_json(s3: Any, uri: str) -> Any:
    """One JSON document from S3; MonitorError naming the URI when it is not JSON."""
    bucket, key = parse_s3_uri(uri)
    text = decode_utf8(aws.read_object(s3, bucket, key), uri, MonitorError, bom=True)
    try:
        return json_loads(text)
    except ValueError as exc:
        raise MonitorError(f"{uri} is not JSON ({exc}); check what wrote it") from exc


def _fill(s3: Any, execution: ExecutionOutput, statistics: bool, name_of: Any,
          thresholds: dict[tuple[str | None, str], float]) -> None:
    try:
        if execution.violations is not None:
            document = read_json(s3, execution.prefix + VIOLATIONS)
            entries = document.get("violations") if isinstance(document, dict) else None
            if not isinstance(entries, list):
                raise MonitorError(f"{execution.prefix}{VIOLATIONS} has no 'violations' list")
            execution.violations = sorted((finding(e, name_of(e), thresholds) for e in entries if isinstance(e, dict)),
                                          key=lambda f: (f.name, f.check))
        if execution.statistics is not None:
            execution.statistics = read_json(s3, execution.prefix + STATISTICS) if statistics else None
    except (MonitorError, S3UriError) as exc:
        execution.error = str(exc)


def collect(s3: Any, monitor: str, output_uri: str, *, limit: int = DEFAULT_HISTORY, statistics: bool = False,
            name_of: Any = None, thresholds: dict[tuple[str | None, str], float] | None = None,
            workers: int = 8) -> History:
    """List and read one monitor's newest executions; failures are recorded, not raised."""
    history = History(monitor=monitor, prefix=output_uri)
    try:
        history.executions = list_executions(s3, output_uri, limit)
    except (MonitorError, S3UriError) as exc:
        history.error = str(exc)
        return history
    name_of = name_of or (lambda entry: str(entry.get("feature_name") or entry.get("metric_name") or "?"))
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(history.executions) or 1))) as pool:
        list(pool.map(lambda e: _fill(s3, e, statistics, name_of, thresholds or {}), history.executions))
    return history


def read_optional(s3: Any, uri: str) -> tuple[Any, str | None]:
    """(document, None) or (None, why it could not be read); a missing URI is not an error."""
    if not uri:
        return None, None
    try:
        return read_json(s3, uri), None
    except NotFoundError:
        return None, f"{uri} does not exist"
    except (MonitorError, S3UriError) as exc:
        return None, str(exc)


def violating_since(history: History | None, name: str | None = None) -> str | None:
    """The scheduled hour of the first execution of the newest unbroken run of executions with violations (with a
    violation of ``name``, when given)."""
    if history is None:
        return None
    since = None
    for execution in reversed(history.executions):
        if execution.violations is None and execution.error is None:
            continue  # a folder with statistics only says nothing about violations
        if not execution.violations or (name is not None and name not in {f.name for f in execution.violations}):
            break
        since = execution.hour
    return since


def _since_text(history: History | None, since: str | None) -> str:
    """'since T', or 'since at least T' when every execution read has the violations (the run may be older)."""
    if not since:
        return ""
    oldest = history is not None and len(history.executions) > 1 and since == history.executions[0].hour
    return f"since {'at least ' if oldest else ''}{since}"


@dataclass(frozen=True)
class Verdict:
    """The stage's one answer: OK, DEGRADED (what and since when) or UNKNOWN (what could not be read)."""

    status: str
    reasons: list[dict[str, Any]]  # {"monitor", "status", "text", "since"?}

    def line(self, stage: str) -> str:
        """``verdict: prod DEGRADED: data-quality 3 violations since ... (...); model-bias unknown: ...``"""
        parts = [f"{r['monitor']}{'' if r['status'] == DEGRADED else ' ' + r['status'].lower()}: {r['text']}"
                 for r in self.reasons if r["status"] != OK]
        if self.status == OK:
            parts = [f"{len(self.reasons)} monitor{'s' if len(self.reasons) != 1 else ''} read, no violations"]
        return f"verdict: {stage} {self.status}: " + "; ".join(parts)


def monitor_verdict(rep: Any, history: History | None) -> dict[str, Any]:
    """OK, DEGRADED or UNKNOWN for one deployed monitor (``rep`` is a report.MonitorReport)."""
    latest = rep.executions[0] if rep.executions else None
    # Model Monitor's failed status, and Step Functions' for the processing engine (issue 19: FAILED, TIMED_OUT)
    if latest is not None and latest.status in ("Failed", "FAILED", "TIMED_OUT"):
        reason = f": {latest.failure_reason}" if latest.failure_reason else ""
        return {"monitor": rep.monitor, "status": UNKNOWN,
                "text": f"the latest execution ({latest.scheduled_time}) failed{reason}"}
    if rep.violations_error:
        return {"monitor": rep.monitor, "status": UNKNOWN, "text": f"violations unreadable: {rep.violations_error}"}
    if rep.violations_source is None:
        why = rep.violations_note or "no violations file"
        if rep.schedule_error and rep.schedule_status is None:
            why = f"{rep.schedule_error}; {why}"
        return {"monitor": rep.monitor, "status": UNKNOWN, "text": why}
    if rep.violations:
        since = violating_since(history)
        names = sorted({v.name for v in rep.violations})
        count = len(rep.violations)
        shown = []
        for name in names[:3]:  # a name whose run started at another hour says when
            own = violating_since(history, name)
            shown.append(name if own == since or own is None else f"{name} {_since_text(history, own)}")
        text = (f"{count} violation{'s' if count != 1 else ''}" + (f" {_since_text(history, since)}" if since else "")
                + f" ({', '.join(shown)}{', ...' if len(names) > 3 else ''})")
        reason = {"monitor": rep.monitor, "status": DEGRADED, "text": text}
        if since:
            reason["since"] = since
        return reason
    return {"monitor": rep.monitor, "status": OK, "text": f"no violations in {rep.violations_source}"}


def verdict(monitors: list[Any], histories: dict[str, History], alarms: list[dict[str, Any]] | None = None,
            alarms_error: str | None = None) -> Verdict:
    """DEGRADED when any monitor has violations or an alarm is in ALARM; else UNKNOWN when any deployed monitor
    could not be read (or none is deployed); else OK. Never OK on nothing read."""
    reasons = [monitor_verdict(rep, histories.get(rep.monitor)) for rep in monitors if rep.deployed]
    for alarm in alarms or []:
        if alarm.get("state") == "ALARM":
            reasons.append({"monitor": "alarms", "status": DEGRADED, "since": alarm.get("since") or None,
                            "text": f"{alarm['name']} in ALARM since {alarm.get('since') or '?'}"})
    if alarms_error:
        reasons.append({"monitor": "alarms", "status": UNKNOWN, "text": alarms_error})
    statuses = {r["status"] for r in reasons}
    if not [r for r in reasons if r["monitor"] != "alarms"]:
        reasons.append({"monitor": "stage", "status": UNKNOWN, "text": "no monitor is deployed"})
        statuses.add(UNKNOWN)
    status = DEGRADED if DEGRADED in statuses else UNKNOWN if UNKNOWN in statuses else OK
    return Verdict(status=status, reasons=reasons)


def read_alarms(cw: Any, prefix: str) -> list[dict[str, Any]]:
    """The stack's alarms (names start with the schedule base name) and their states."""
    found = []
    for page in aws.paginate(cw, "DescribeAlarms", f"alarms {prefix}*", AlarmNamePrefix=prefix):
        for alarm in page.get("MetricAlarms", []) + page.get("CompositeAlarms", []):
            when = alarm.get("StateUpdatedTimestamp")
            found.append({"name": alarm.get("AlarmName", ""), "state": alarm.get("StateValue", ""),
                          "since": _hour("", when) if when else "", "reason": alarm.get("StateReason", ""),
                          "metric": alarm.get("MetricName", ""), "threshold": _number(alarm.get("Threshold")),
                          "comparison": alarm.get("ComparisonOperator", "")})
    return sorted(found, key=lambda a: a["name"])

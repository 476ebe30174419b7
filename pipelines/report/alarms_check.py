"""``python -m pipelines.report --stage S --check-alarms``: does each of the stack's alarms watch a metric that
CloudWatch actually holds?

AWS's pages disagree on the data quality namespace and dimension names (README "Alerts"), and a metric alarm matches
only its exact dimension set, so an alarm can sit in INSUFFICIENT_DATA forever without anyone noticing. Run this after
the first executions: for every alarm named ``<MonitoringScheduleBaseName>-*`` it finds the metrics the alarm watches
and counts their datapoints over the last N days. An alarm watching nothing is a finding (exit 3).

- Metric alarms: ListMetrics on namespace + name, then only metrics whose dimension set equals the alarm's (what
  CloudWatch does; moto's GetMetricStatistics also accepts a subset, so the exact match is done here).
- Metrics Insights query alarms (``SELECT F("m") FROM "ns" | SCHEMA("ns", k, ...) [WHERE k = 'v' [AND ...]]``):
  the query's rule applied to ListMetrics: FROM "ns" matches any dimension set containing the WHERE pairs,
  SCHEMA(...) only that exact key set. A query in another form is reported as not checkable.
- Math alarms: each MetricStat as a metric alarm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pipelines.core import aws, clock

DEFAULT_DAYS = 7
_QUERY = re.compile(
    r'^\s*SELECT\s+[A-Z]+\(\s*"?(?P<metric>[^")]+?)"?\s*\)\s+FROM\s+'
    r'(?:SCHEMA\(\s*"(?P<schema_ns>[^"]+)"\s*(?P<keys>(?:,\s*[A-Za-z0-9_.:-]+\s*)*)\)|"(?P<ns>[^"]+)")'
    r"(?:\s+WHERE\s+(?P<where>.+?))?\s*$", re.IGNORECASE)
_CONDITION = re.compile(r"^\s*([A-Za-z0-9_.:-]+)\s*=\s*'([^']*)'\s*$")

Dimensions = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Watched:
    """What one alarm (or one of its queries) watches: a namespace, a metric and a dimension rule."""

    namespace: str
    metric: str
    required: Dimensions  # pairs every matching metric must carry
    exact: bool  # True: the dimension set must be exactly `required` (or exactly `keys` for SCHEMA)
    keys: tuple[str, ...] | None = None  # SCHEMA(...) key set

    def matches(self, dimensions: Dimensions) -> bool:
        """Whether CloudWatch would feed a metric with these dimensions to the alarm."""
        present = set(dimensions)
        if not set(self.required) <= present:
            return False
        if self.keys is not None:
            return {k for k, _ in dimensions} == set(self.keys)
        return not self.exact or present == set(self.required)

    def describe(self) -> str:
        dims = ", ".join(f"{k}={v}" for k, v in self.required) or "any dimensions"
        rule = "exactly" if self.exact else "at least"
        if self.keys is not None:
            rule, dims = "schema", ", ".join(self.keys) + (f"; {dims}" if self.required else "")
        return f"{self.namespace} {self.metric} ({rule} {dims})"


@dataclass
class AlarmCheck:
    """One alarm and what CloudWatch holds for it."""

    name: str
    watched: list[Watched]
    datapoints: int = 0
    matched: list[Dimensions] | None = None
    problem: str = ""  # why it cannot be checked

    @property
    def ok(self) -> bool:
        return not self.problem and self.datapoints > 0


def _dims(items: list[dict[str, str]]) -> Dimensions:
    return tuple(sorted((d["Name"], d["Value"]) for d in items))


def parse_query(expression: str) -> Watched | None:
    """The metric a Metrics Insights query alarm watches (None for forms this check does not understand)."""
    match = _QUERY.match(expression)
    if not match:
        return None
    required: list[tuple[str, str]] = []
    for condition in re.split(r"\s+AND\s+", match.group("where") or "", flags=re.IGNORECASE) if match.group("where") \
            else []:
        pair = _CONDITION.match(condition)
        if not pair:
            return None  # OR, LIKE, != ...: not a form the template writes
        required.append((pair.group(1), pair.group(2)))
    keys = tuple(k.strip() for k in (match.group("keys") or "").split(",") if k.strip()) \
        if match.group("schema_ns") else None
    return Watched(namespace=match.group("schema_ns") or match.group("ns"), metric=match.group("metric"),
                   required=tuple(sorted(required)), exact=False, keys=keys)


def watched_by(alarm: dict[str, Any]) -> tuple[list[Watched], str]:
    """(metrics the alarm watches, problem text when it cannot be told)."""
    if alarm.get("MetricName"):
        return [Watched(alarm["Namespace"], alarm["MetricName"], _dims(alarm.get("Dimensions", [])), exact=True)], ""
    watched, unknown = [], []
    for query in alarm.get("Metrics", []):
        if "MetricStat" in query:
            metric = query["MetricStat"]["Metric"]
            watched.append(Watched(metric["Namespace"], metric["MetricName"], _dims(metric.get("Dimensions", [])),
                                   exact=True))
        elif str(query.get("Expression", "")).lstrip().upper().startswith("SELECT"):
            parsed = parse_query(query["Expression"])
            if parsed is None:
                unknown.append(query["Expression"])
            else:
                watched.append(parsed)
    problem = f"cannot check the query {unknown[0]!r}" if unknown else ("" if watched else "watches no metric")
    return watched, problem


def stack_alarms(cw: Any, prefix: str) -> list[dict[str, Any]]:
    """Metric alarms whose names start with the stack's schedule base name (the template names them so)."""
    alarms = [alarm for page in aws.paginate(cw, "DescribeAlarms", f"alarms '{prefix}*'", AlarmNamePrefix=prefix,
                                             AlarmTypes=["MetricAlarm"]) for alarm in page.get("MetricAlarms", [])]
    return sorted(alarms, key=lambda a: a["AlarmName"])


def _matching_metrics(cw: Any, watched: Watched) -> list[Dimensions]:
    found = [_dims(m.get("Dimensions", [])) for page in aws.paginate(
        cw, "ListMetrics", f"metric {watched.namespace} {watched.metric}", Namespace=watched.namespace,
        MetricName=watched.metric) for m in page.get("Metrics", [])]
    return [d for d in found if watched.matches(d)]


def _datapoints(cw: Any, watched: Watched, dimensions: Dimensions, start: datetime, end: datetime) -> int:
    response = aws.call(cw, "GetMetricStatistics", f"metric {watched.namespace} {watched.metric}",
                        Namespace=watched.namespace, MetricName=watched.metric,
                        Dimensions=[{"Name": k, "Value": v} for k, v in dimensions], StartTime=start, EndTime=end,
                        Period=86400, Statistics=["SampleCount"])
    return int(sum(point.get("SampleCount", 0) for point in response.get("Datapoints", [])))


def check(cw: Any, prefix: str, days: int = DEFAULT_DAYS, now: datetime | None = None) -> list[AlarmCheck]:
    """Each of the stack's alarms with the datapoints CloudWatch holds for what it watches over the last `days`."""
    end = now or clock.utc_now()
    start = end - timedelta(days=days)
    results = []
    for alarm in stack_alarms(cw, prefix):
        watched, problem = watched_by(alarm)
        result = AlarmCheck(name=alarm["AlarmName"], watched=watched, problem=problem, matched=[])
        for item in watched if not problem else []:
            for dimensions in _matching_metrics(cw, item):
                result.matched.append(dimensions)
                result.datapoints += _datapoints(cw, item, dimensions, start, end)
        results.append(result)
    return results


def render(results: list[AlarmCheck], prefix: str, days: int) -> str:
    """One line per alarm, then a summary line."""
    if not results:
        return (f"No CloudWatch alarms named {prefix}*: the stack is not deployed in this account and region, or "
                "its alarms are off (no topic needed; check DriftAlarmFeatures / ModelQualityAlarmThreshold).\n")
    lines = [f"Alarms of {prefix}* and the datapoints CloudWatch holds for them (last {days} days):"]
    for result in results:
        state = "ok     " if result.ok else "NOTHING"
        detail = result.problem or f"{result.datapoints} datapoint(s) from {len(result.matched or [])} metric(s)"
        lines.append(f"  {state} {result.name}: {detail}")
        lines += [f"          watches {w.describe()}" for w in result.watched]
    silent = [r.name for r in results if not r.ok]
    lines.append(f"{len(results) - len(silent)} of {len(results)} alarm(s) see data"
                 + (f"; {len(silent)} watch nothing: fix the namespace, metric or dimensions (README \"Alerts\"), "
                    "or wait for the first executions" if silent else "."))
    return "\n".join(lines) + "\n"


def run_check(params: dict[str, str], days: int, cw: Any, out: Any) -> int:
    """--check-alarms: print the check for the stage's stack; 0 when every alarm sees data, else 3."""
    from pipelines.core.errors import EXIT_VIOLATIONS, ConfigError, UsageError

    if not 1 <= days <= 90:
        raise UsageError(f"--days {days} must be between 1 and 90")
    base = params.get("MonitoringScheduleBaseName", "")
    if not base:
        raise ConfigError("MonitoringScheduleBaseName is not set in the parameter file; regenerate it with "
                          "get_baselines_and_configs.py")
    prefix = f"{base}-"
    results = check(cw, prefix, days)
    out.write(render(results, prefix, days))
    out.flush()
    return 0 if results and all(r.ok for r in results) else EXIT_VIOLATIONS

"""What the stage's four monitors found: schedule status, last executions, and the latest violations.

For each monitor the violations come from ``constraint_violations.json`` of the latest Completed or
CompletedWithViolations execution (its processing job's output prefix). When SageMaker cannot say (no
permission, no such schedule, or an emulator without monitoring schedules), the report says why in one line and
falls back to the newest ``constraint_violations.json`` under the monitor's output URI, so it still shows something.

Example:
    python -m pipelines.report --stage prod --fail-on-violations

Why one module of ~430 lines: it is the whole of one read-only command in five marked sections (shapes, SageMaker
side, S3 side, collecting, rendering + CLI) that share the four dataclasses and nothing else; the AWS boundary,
the stage-parameter file and the alarm check already live elsewhere (aws.py, stage_config.py, alarms_check.py).
The next feature that adds a section should move "rendering" to its own module first.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pipelines.core import aws, progress
from pipelines.core.command import env_argument, parse_with_env, run_command
from pipelines.core.errors import EXIT_NOTHING_READ, EXIT_VIOLATIONS, AwsError, MonitorError, NotFoundError, UsageError
from pipelines.core.files import canonical_json, decode_utf8, json_loads, printable
from pipelines.core.monitors import MONITORS, Monitor, schedule_name, stage
from pipelines.core.s3uri import S3UriError, parse_s3_uri, s3_uri
from pipelines.core.stage_params import load_stage_params, missing_parameter
from pipelines.formats.times import iso_z
from pipelines.report import history

if TYPE_CHECKING:  # typing only
    from pipelines.report.history import History, Verdict
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker import SageMakerClient

log = logging.getLogger("pipelines.report")

VIOLATIONS_FILE = "constraint_violations.json"
COMPLETED = ("Completed", "CompletedWithViolations")
DEFAULT_EXECUTIONS = 3


@dataclass(frozen=True)
class Execution:
    """One monitoring execution, as ListMonitoringExecutions summarises it."""

    scheduled_time: str
    status: str
    failure_reason: str = ""
    processing_job_arn: str = ""


@dataclass(frozen=True, order=True)
class Violation:
    """One entry of constraint_violations.json, reduced to what every monitor type has."""

    name: str
    constraint_check_type: str
    description: str


@dataclass
class MonitorReport:
    """Everything the report knows about one monitor."""

    monitor: str
    schedule_name: str
    deployed: bool = True
    not_deployed_reason: str | None = None
    schedule_status: str | None = None
    schedule_error: str | None = None
    executions: list[Execution] = field(default_factory=list)
    violations_source: str | None = None
    violations_note: str | None = None
    violations_error: str | None = None
    violations: list[Violation] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list, repr=False)  # the file's entries, for --json numbers


@dataclass
class Report:
    """The whole report for one stage."""

    stage: str
    endpoint: str
    monitors: list[MonitorReport]
    histories: dict[str, "History"] = field(default_factory=dict)  # monitor -> its newest executions' outputs
    alarms: list[dict[str, Any]] | None = None  # None: not read
    alarms_error: str | None = None
    baseline: dict[str, Any] = field(default_factory=dict)  # data quality statistics/constraints, model quality
    baseline_errors: list[str] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)
    label_maturity: dict[str, Any] | None = None  # label_maturity.collect: windows and the label development curve

    @property
    def total(self) -> int:
        return sum(len(m.violations) for m in self.monitors)

    @property
    def verdict(self) -> "Verdict":
        return history.verdict(self.monitors, self.histories, self.alarms, self.alarms_error)


# ---- SageMaker side -----------------------------------------------------------------------------------------------


def short_reason(exc: MonitorError, operation: str) -> str:
    """A short, single-line reason for a failed call (HTML error pages reduced to their title)."""
    if isinstance(exc, AwsError) and exc.code:  # AWS answered (the code is empty when no answer came back)
        code = exc.code
        message = exc.detail.strip()
        title = re.search(r"<title>(.*?)</title>", message, re.S | re.I)
        if title or message.startswith("<"):
            message = title.group(1).strip() if title else ""
            status = str(exc.status or code)
            text = message if message.startswith(status) else f"{status} {message}".rstrip()
            return f"{operation} failed: HTTP {text}"
        if code in ("AccessDenied", "AccessDeniedException"):
            return f"{operation} failed: access denied (grant {aws.iam_action('sagemaker', operation)})"
        first = message.splitlines()[0][:120] if message else ""
        return f"{operation} failed: {code}" + (f" ({first})" if first and first != code else "")
    return f"{operation} failed: {str(exc).split(';')[0]}"


def _server_side(exc: MonitorError) -> bool:
    """True when retrying other schedules is pointless: 5xx after retries, or no connection at all."""
    if isinstance(exc, AwsError) and exc.code:
        return exc.status >= 500
    return not isinstance(exc, NotFoundError)


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return iso_z(value)
    return str(value or "")


def list_executions(sm: "SageMakerClient", schedule: str, limit: int) -> list[Execution]:
    """The newest ``limit`` executions of a schedule."""
    page = aws.call(sm, "ListMonitoringExecutions", f"monitoring schedule {schedule}", MonitoringScheduleName=schedule,
                    SortBy="ScheduledTime", SortOrder="Descending", MaxResults=limit)
    return [Execution(scheduled_time=_iso(s.get("ScheduledTime")), status=s.get("MonitoringExecutionStatus", ""),
                      failure_reason=(s.get("FailureReason") or "").strip(),
                      processing_job_arn=s.get("ProcessingJobArn", ""))
            for s in page.get("MonitoringExecutionSummaries", [])]


def job_output_uri(sm: "SageMakerClient", job_arn: str) -> str | None:
    """The S3 output prefix of a monitoring execution's processing job."""
    name = job_arn.rsplit("/", 1)[-1]
    job = aws.call(sm, "DescribeProcessingJob", f"processing job {name}", ProcessingJobName=name)
    for output in job.get("ProcessingOutputConfig", {}).get("Outputs", []):
        uri = output.get("S3Output", {}).get("S3Uri")
        if uri:
            return uri
    return None


# ---- S3 side ------------------------------------------------------------------------------------------------------


def violation_name(entry: dict[str, Any]) -> str:
    """What a violation is about, whatever the monitor type.

    Data quality names a feature_name; model quality a metric_name; bias a metric_name for a facet and value;
    explainability a label (its metric_name is the method, 'shap').
    """
    if entry.get("feature_name"):
        return str(entry["feature_name"])
    if entry.get("facet"):
        facet = f"{entry['facet']}={entry['facet_value']}" if entry.get("facet_value") not in (None, "") \
            else str(entry["facet"])
        return f"{entry.get('metric_name', '?')} [{facet}]"
    if entry.get("label"):
        return f"{entry['label']} ({entry['metric_name']})" if entry.get("metric_name") else str(entry["label"])
    return str(entry.get("metric_name") or entry.get("feature") or "?")


def read_violations(s3: "S3Client", uri: str) -> tuple[list[Violation], list[dict[str, Any]]]:
    """Parse one constraint_violations.json: its violations sorted for stable output, and its entries as written."""
    bucket, key = parse_s3_uri(uri)
    body = aws.read_object(s3, bucket, key)
    text = decode_utf8(body, uri, MonitorError, bom=True)
    try:
        data = json_loads(text)
        entries = data["violations"]
        if not isinstance(entries, list):
            raise TypeError("violations is not a list")
        return sorted(Violation(name=violation_name(e), constraint_check_type=str(e.get("constraint_check_type", "")),
                                description=str(e.get("description", "")).strip()) for e in entries), entries
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MonitorError(f"{uri} is not a constraint violations file ({exc}); check what wrote it") from exc


def newest_violations_uri(s3: "S3Client", output_uri: str) -> str | None:
    """The newest constraint_violations.json under a monitor's output URI (by LastModified, then key)."""
    bucket, prefix = parse_s3_uri(output_uri, key_required=False)
    prefix = prefix.rstrip("/") + "/" if prefix else ""
    best: tuple[Any, str] | None = None
    for obj in aws.list_objects(s3, bucket, prefix):
        if obj["Key"].rsplit("/", 1)[-1] == VIOLATIONS_FILE:
            candidate = (obj["LastModified"], obj["Key"])
            if best is None or candidate > best:
                best = candidate
    return s3_uri(bucket, best[1]) if best else None


# ---- collecting ---------------------------------------------------------------------------------------------------


def _not_deployed(spec: Monitor, params: dict[str, str]) -> str | None:
    if params.get(spec.enable_param, "yes").lower() == "no":
        return f"{spec.enable_param} is no"
    if spec.needs_ground_truth and not params.get("GroundTruthInput", ""):
        return "GroundTruthInput is empty"
    if not params.get(spec.output_param):
        return f"{spec.output_param} is not set"
    return None


def _processing_engine_status(rep: MonitorReport, sfn: Any, limit: int) -> None:
    """The processing engine (issue 19): the monitor's state machine (named like its schedule) and its newest
    executions; Step Functions statuses (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED). The violations are read
    from the output prefix as for Model Monitor (the same layout)."""
    if sfn is None:
        rep.schedule_error = "no Step Functions client"
        return
    try:
        arn = next((machine["stateMachineArn"] for page in aws.paginate(sfn, "ListStateMachines", "state machines")
                    for machine in page.get("stateMachines", []) if machine.get("name") == rep.schedule_name), None)
        if arn is None:
            rep.schedule_error = (f"no state machine named {rep.schedule_name} (MonitoringEngine processing); deploy "
                                  "the stack, or check the region")
            return
        page = aws.call(sfn, "ListExecutions", f"state machine {rep.schedule_name}", stateMachineArn=arn,
                        maxResults=limit)
    except MonitorError as exc:
        rep.schedule_error = short_reason(exc, "ListStateMachines")
        return
    rep.schedule_status = "state machine (processing engine)"
    rep.executions = [Execution(scheduled_time=_iso(item.get("startDate")), status=item.get("status", ""),
                                failure_reason="", processing_job_arn="")
                      for item in page.get("executions", [])]


def collect(params: dict[str, str], sm: "SageMakerClient", s3: "S3Client", *, stage: str,
            executions: int = DEFAULT_EXECUTIONS, source: str = "the parameter file", cw: Any = None,
            history_limit: int = history.DEFAULT_HISTORY, statistics: bool = False, sfn: Any = None) -> Report:
    """Ask SageMaker (or, on the processing engine, Step Functions) and S3 about each monitor of the stage; failures
    are recorded per monitor, not raised.

    ``statistics``: also read every kept execution's statistics.json and the baseline statistics (for --html).
    ``cw``: a CloudWatch client to read the stack's alarm states (None: alarms not read)."""
    base = params.get("MonitoringScheduleBaseName", "")
    if not base:
        raise missing_parameter("MonitoringScheduleBaseName", source, "pass --params-file")
    api_down: str | None = None
    reports = []
    for spec in MONITORS:
        rep = MonitorReport(monitor=spec.key, schedule_name=schedule_name(base, spec))
        reports.append(rep)
        reason = _not_deployed(spec, params)
        if reason:
            rep.deployed, rep.not_deployed_reason = False, reason
            continue
        output_uri = ""
        if params.get("MonitoringEngine") == "processing":
            _processing_engine_status(rep, sfn, executions)
        elif api_down:
            rep.schedule_error = api_down
        else:
            try:
                described = aws.call(sm, "DescribeMonitoringSchedule", f"monitoring schedule {rep.schedule_name}",
                                     MonitoringScheduleName=rep.schedule_name)
                rep.schedule_status = described.get("MonitoringScheduleStatus", "")
                rep.executions = list_executions(sm, rep.schedule_name, executions)
            except MonitorError as exc:
                log.debug("schedule %s", rep.schedule_name, exc_info=True)
                operation = "ListMonitoringExecutions" if rep.schedule_status else "DescribeMonitoringSchedule"
                rep.schedule_error = short_reason(exc, operation)
                if _server_side(exc):
                    api_down = rep.schedule_error  # same API, same outage: don't wait through retries again
        latest = next((e for e in rep.executions if e.status in COMPLETED and e.processing_job_arn), None)
        if latest:
            try:
                job_uri = job_output_uri(sm, latest.processing_job_arn)
                if job_uri:
                    output_uri = job_uri.rstrip("/") + "/" + VIOLATIONS_FILE
            except MonitorError as exc:
                log.debug("processing job", exc_info=True)
                rep.violations_note = short_reason(exc, "DescribeProcessingJob")
        _attach_violations(rep, s3, output_uri, params[spec.output_param], spec.output_param)
    result = Report(stage=stage, endpoint=params.get("EndpointName", ""), monitors=reports, params=dict(params))
    _attach_history(result, s3, params, history_limit, statistics)
    if cw is not None:
        try:
            result.alarms = history.read_alarms(cw, base)
        except MonitorError as exc:
            log.debug("alarms", exc_info=True)
            result.alarms_error = f"alarm states unreadable: {str(exc).split(';')[0]}"
    return result


def _attach_history(result: Report, s3: "S3Client", params: dict[str, str], limit: int, statistics: bool) -> None:
    """Each deployed monitor's newest executions (violations always; statistics and baselines when asked)."""
    thresholds: dict[Any, float] = {}
    if params.get("DataQualityBaselineConstraints"):
        constraints, error = history.read_optional(s3, params["DataQualityBaselineConstraints"])
        thresholds = history.constraint_thresholds(constraints)
        result.baseline["data_quality_constraints"] = constraints
        if error:
            result.baseline_errors.append(f"baseline constraints: {error}")
    if statistics:
        for param, key in (("DataQualityBaselineStatistics", "data_quality_statistics"),):
            document, error = history.read_optional(s3, params.get(param, ""))
            result.baseline[key] = document
            if error:
                result.baseline_errors.append(f"baseline statistics: {error}")
    for rep, spec in zip(result.monitors, MONITORS, strict=True):
        if rep.deployed:
            result.histories[rep.monitor] = history.collect(
                s3, rep.monitor, params[spec.output_param], limit=limit, statistics=statistics, name_of=violation_name,
                thresholds=thresholds if spec.key == "data-quality" else None)


def _attach_violations(rep: MonitorReport, s3: "S3Client", exact_uri: str, output_uri: str, param: str) -> None:
    try:
        if exact_uri:
            rep.violations_source = exact_uri
            try:
                rep.violations, rep.entries = read_violations(s3, exact_uri)
            except NotFoundError:
                rep.violations_source = None
                rep.violations_note = f"no {VIOLATIONS_FILE} in the latest completed execution's output"
            return
        newest = newest_violations_uri(s3, output_uri)
        if newest is None:
            rep.violations_note = f"no {VIOLATIONS_FILE} under {output_uri} yet"
            return
        rep.violations_source = newest
        rep.violations_note = f"newest under {param}"
        rep.violations, rep.entries = read_violations(s3, newest)
    except (MonitorError, S3UriError) as exc:
        log.debug("violations", exc_info=True)
        rep.violations_error = str(exc)


# ---- rendering ----------------------------------------------------------------------------------------------------


def _table(rows: list[tuple[str, ...]], indent: str) -> list[str]:
    rows = [tuple(printable(cell) for cell in row) for row in rows]  # escaped first, so the columns line up
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [(indent + "  ".join(c.ljust(w) for c, w in zip(r[:-1], widths[:-1], strict=True)) + "  " + r[-1]).rstrip() for r in rows]


def render_text(report: Report) -> str:
    """Human-readable report, one block per monitor."""
    verdict = report.verdict
    out = [verdict.line(report.stage), f"monitoring report: stage {report.stage}, endpoint {report.endpoint or '?'}"]
    for rep in report.monitors:
        out.append("")
        if not rep.deployed:
            out.append(f"{rep.monitor}: not deployed ({rep.not_deployed_reason})")
            continue
        out.append(f"{rep.monitor}: schedule {rep.schedule_name}")
        if rep.schedule_error and rep.schedule_status is None:
            out.append(f"  schedule status unavailable: {rep.schedule_error}")
        else:
            out.append(f"  status: {rep.schedule_status}")
            if rep.schedule_error:
                out.append(f"  executions unavailable: {rep.schedule_error}")
            elif rep.executions:
                out.append("  executions (newest first):")
                out += _table([(e.scheduled_time, e.status, e.failure_reason) for e in rep.executions], "    ")
            else:
                out.append("  executions: none yet")
        if rep.violations_error:
            out.append(f"  violations unavailable: {rep.violations_error}")
        elif rep.violations_source is None:
            out.append(f"  violations: {rep.violations_note}")
        else:
            where = rep.violations_source + (f" ({rep.violations_note})" if rep.violations_note else "")
            if not rep.violations:
                out.append(f"  violations: none in {where}")
            else:
                out.append(f"  violations: {len(rep.violations)} in {where}")
                rows = [("FEATURE / METRIC", "CHECK", "DESCRIPTION")]
                rows += [(v.name, v.constraint_check_type, v.description) for v in rep.violations]
                out += _table(rows, "    ")
    if report.alarms is not None or report.alarms_error:
        out.append("")
        if report.alarms_error:
            out.append(f"alarms: {report.alarms_error}")
        elif not report.alarms:
            out.append("alarms: none named " + (report.params.get("MonitoringScheduleBaseName", "") + "*"))
        else:
            out.append("alarms:")
            out += _table([(a["name"], a["state"], f"since {a['since']}" if a["since"] else "")
                           for a in report.alarms], "  ")
    out.append("")
    counts = [f"{m.monitor} {len(m.violations)}" for m in report.monitors if m.violations]
    if verdict.status == history.UNKNOWN and not report.total:
        unread = [r["monitor"] for r in verdict.reasons if r["status"] == history.UNKNOWN]
        out.append(f"total: unknown: no violations file read for {', '.join(unread)}")
    else:
        out.append(f"total: {report.total} violation{'s' if report.total != 1 else ''}"
                   + (f" ({', '.join(counts)})" if counts else "") + f"; verdict {verdict.status}")
    # names, descriptions and failure reasons come from files and APIs: a newline or an ANSI escape in them must
    # neither break a line nor drive the terminal
    return "\n".join(printable(line) for line in out) + "\n"


def report_dict(report: Report, recall: list[Any] | None = None) -> dict[str, Any]:
    """The report as plain data (stable field names) for --json; schema: docs/report.schema.json."""
    verdict = report.verdict
    monitors = []
    for rep in report.monitors:
        entry = asdict(rep)
        del entry["entries"]  # shown as "violations" below, with their numbers
        past = report.histories.get(rep.monitor)
        latest = _latest_findings(rep, past)
        entry["violations"] = [asdict(f) for f in latest]
        entry["history"] = [] if past is None else [
            {"hour": e.hour, "prefix": e.prefix, "error": e.error,
             "violations": None if e.violations is None else len(e.violations),
             "findings": None if e.violations is None else [asdict(f) for f in e.violations]}
            for e in past.executions]
        entry["history_error"] = past.error if past else None
        monitors.append(entry)
    return {
        "stage": report.stage,
        "endpoint": report.endpoint,
        "verdict": {"status": verdict.status, "line": verdict.line(report.stage), "reasons": verdict.reasons},
        "total_violations": report.total,
        "monitors": monitors,
        "alarms": report.alarms,
        "alarms_error": report.alarms_error,
        "recall_windows": None if recall is None else [_window_dict(w) for w in recall],
        "notes": list(report.baseline_errors),
        "label_maturity": report.label_maturity,
    }


def _window_dict(window: Any) -> dict[str, Any]:
    data = asdict(window)
    data["start"], data["end"] = _iso(window.start), _iso(window.end)
    return data


def _latest_findings(rep: MonitorReport, past: "History | None") -> list["history.Finding"]:
    """The latest violations with their numbers: from the history entry of the same file when it was read there,
    else parsed from the entries the report read."""
    if past and rep.violations_source:
        for execution in past.executions:
            if execution.prefix + history.VIOLATIONS == rep.violations_source and execution.violations is not None:
                return execution.violations
    return sorted((history.finding(e, violation_name(e)) for e in rep.entries if isinstance(e, dict)),
                  key=lambda f: (f.name, f.check))


def render_json(report: Report, recall: list[Any] | None = None) -> str:
    """Canonical JSON: sorted keys, monitors in a fixed order, violations sorted."""
    return canonical_json(report_dict(report, recall)).decode("utf-8")


# ---- CLI ----------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Flags, each falling back to an environment variable (checked like the flag itself)."""
    parser = argparse.ArgumentParser(prog="python -m pipelines.report",
                                     description="Show what the stage's Model Monitor schedules found.",
                                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    env_argument(parser, "--stage", "STAGE", type=stage, metavar="STAGE", help="(env STAGE)")
    env_argument(parser, "--params-file", "PARAMS_FILE",
                 help="template configuration of the stage (env PARAMS_FILE; default "
                      "<stage>-config-export.json, then <stage>-monitoring-schedule-config.json)")
    env_argument(parser, "--executions", "REPORT_EXECUTIONS", type=int, default=DEFAULT_EXECUTIONS,
                 help="executions shown per schedule (env REPORT_EXECUTIONS)")
    parser.add_argument("--json", action="store_true",
                        help="machine-readable output (schema: docs/report.schema.json)")
    parser.add_argument("--html", metavar="FILE",
                        help="also write a self-contained HTML report (charts; needs the 'report' extra: "
                             "pip install .[report])")
    env_argument(parser, "--history", "REPORT_HISTORY", type=int, default=history.DEFAULT_HISTORY,
                 help="executions read per monitor from its output prefix, for the verdict's 'since' and the "
                      f"charts (env REPORT_HISTORY; default {history.DEFAULT_HISTORY})")
    env_argument(parser, "--fail-on-violations", "FAIL_ON_VIOLATIONS", action="store_true",
                 help="kept for existing pipelines: the exit code now always follows the verdict "
                      f"({EXIT_VIOLATIONS} DEGRADED, {EXIT_NOTHING_READ} UNKNOWN) (env FAIL_ON_VIOLATIONS)")
    parser.add_argument("--check-alarms", action="store_true",
                        help="list the stack's alarms and whether CloudWatch holds data for what each watches; "
                             "exit 3 when one watches nothing")
    parser.add_argument("--days", type=int, default=7, help="--check-alarms: look back this many days (1-90)")
    env_argument(parser, "--estimate-output", "ESTIMATE_OUTPUT_S3_URI",
                 help="S3 prefix of the analyzer's estimate schedule: adds estimated vs realized recall per "
                      "capture window (env ESTIMATE_OUTPUT_S3_URI; docs/analyzer.md)")
    env_argument(parser, "--log-level", "LOG_LEVEL", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                 help="(env LOG_LEVEL)")
    return parse_with_env(parser, argv)


EPILOG = f"""\
The first line is the stage's verdict: OK, DEGRADED (what and since when) or UNKNOWN (what could not be read).
exit codes follow it: 0 OK, {EXIT_VIOLATIONS} DEGRADED (violations, or an alarm in ALARM),
{EXIT_NOTHING_READ} UNKNOWN (a deployed monitor with no schedule status and no {VIOLATIONS_FILE}, a failed latest
execution, or no monitor deployed), 2 usage/config problem, 1 AWS or runtime failure."""


def run(args: argparse.Namespace, *, sm: Any = None, s3: Any = None, out: Any = None, cw: Any = None,
        sfn: Any = None) -> int:
    """Collect, print, and return the exit code: the verdict's (0 OK, 3 DEGRADED, 4 UNKNOWN)."""
    out = out or sys.stdout
    if not 1 <= args.executions <= 100:
        raise UsageError(f"--executions {args.executions} must be between 1 and 100")
    if not 1 <= args.history <= 500:
        raise UsageError(f"--history {args.history} must be between 1 and 500")
    if args.html:
        from pipelines.report import html as report_html  # the plotting extra: imported only for --html

        report_html.check_available(args.html)
    params, source = load_stage_params(args.stage, args.params_file)
    if args.check_alarms:
        from pipelines.report.alarms_check import run_check

        return run_check(params, args.days, cw or aws.make_client(aws.make_session(), "cloudwatch"), out)
    stage = args.stage or params.get("StageName", "?")
    if sm is None or s3 is None:
        session = aws.make_session()
        sm = sm or aws.make_client(session, "sagemaker")
        s3 = s3 or aws.make_client(session, "s3")
        cw = cw or aws.make_client(session, "cloudwatch")
    if params.get("MonitoringEngine") == "processing" and sfn is None:
        sfn = aws.make_client(aws.make_session(), "stepfunctions")
    with progress.Progress(f"report {stage}") as steps:
        steps.step("reading schedules, executions and monitor outputs")
        report = collect(params, sm, s3, stage=stage, executions=args.executions, source=source, cw=cw,
                         history_limit=args.history, statistics=bool(args.html), sfn=sfn)
        recall = None
        skipped: list[tuple[str, str]] = []  # estimate statistics.json files of another shape, said in the section
        estimate_uri = args.estimate_output or params.get("AnalyzerEstimateOutputS3Uri", "")
        if estimate_uri and (args.estimate_output or args.html or args.json):
            from pipelines.report import recall_windows

            steps.step("reading recall windows")
            try:
                recall = recall_windows.collect(
                    s3, estimate_uri, params.get("ModelQualityOutputS3Uri", ""),
                    params.get("GroundTruthStartTimeOffset") or "-P8D",
                    params.get("GroundTruthEndTimeOffset") or "-P7D", limit=args.history, skipped=skipped)
            except (MonitorError, S3UriError, ValueError) as exc:
                if args.estimate_output:  # asked for by name: its failure is the run's
                    raise
                report.baseline_errors.append(f"recall windows from AnalyzerEstimateOutputS3Uri unreadable: {exc}")
        from pipelines.report import label_maturity

        steps.step("reading the label development curve")
        report.label_maturity = label_maturity.collect(params, s3)
        if args.html:
            steps.step(f"drawing {args.html}")
            report_html.write(report, recall, args.html)
    out.write(render_json(report, recall) if args.json
              else render_text(report) + label_maturity.render(report.label_maturity))
    if args.estimate_output and not args.json:
        from pipelines.report import recall_windows

        out.write(recall_windows.render(recall or [], skipped))
    out.flush()
    unreadable = [m.monitor for m in report.monitors if m.violations_error]
    if unreadable:
        first = next(m for m in report.monitors if m.violations_error)
        raise MonitorError(f"could not read the violations of {', '.join(unreadable)}: {first.violations_error}")
    verdict = report.verdict
    if verdict.status == history.UNKNOWN:
        what = read_nothing(report) or "; ".join(f"{r['monitor']}: {r['text']}" for r in verdict.reasons
                                                 if r["status"] == history.UNKNOWN)
        prefix = "--fail-on-violations: " if args.fail_on_violations else ""
        print(f"error: {prefix}verdict UNKNOWN: {what} (exit {EXIT_NOTHING_READ}, not a pass)"
              if not read_nothing(report) else f"error: {prefix}{what}", file=sys.stderr)
        return EXIT_NOTHING_READ
    if verdict.status == history.DEGRADED:
        counts = ", ".join(f"{m.monitor} {len(m.violations)}" for m in report.monitors if m.violations)
        alarms = [r["text"] for r in verdict.reasons if r["monitor"] == "alarms" and r["status"] == history.DEGRADED]
        what = (f"{report.total} constraint violation{'s' if report.total != 1 else ''} ({counts})" if report.total
                else "") + ("; " if report.total and alarms else "") + "; ".join(alarms)
        print(f"error: verdict DEGRADED: {what}; investigate them, or update the baselines if the change is expected",
              file=sys.stderr)
        return EXIT_VIOLATIONS
    return 0


def read_nothing(report: Report) -> str:
    """Why the gate has nothing to judge ('' when it has something): no monitor deployed, or no deployed monitor
    with a schedule status or a violations file. A gate must not pass on nothing."""
    deployed = [m for m in report.monitors if m.deployed]
    if not deployed:
        return (f"no monitor is deployed in stage {report.stage}, so there is nothing to check; enable a monitor or "
                "drop the gate")
    if any(m.schedule_status is not None or m.violations_source is not None for m in deployed):
        return ""
    first = next(m for m in deployed)
    why = first.schedule_error or "no schedule status"
    return (f"could read nothing for stage {report.stage}: no schedule status and no {VIOLATIONS_FILE} for "
            f"{', '.join(m.monitor for m in deployed)} (first: {why}); check access to SageMaker and the output "
            f"bucket (exit {EXIT_NOTHING_READ}, not a pass)")


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: 0 ok, 3 violations with --fail-on-violations, 4 the gate could read nothing,
    2 usage/config, 1 AWS/runtime."""
    return run_command(argv, parse_args, run, interrupted="rerun the report")


if __name__ == "__main__":
    sys.exit(main())

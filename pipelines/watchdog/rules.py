"""Model Monitor watchdog: pages for what matters, from documented API fields only (issue 18 section 4).

This file is also the watchdog Lambda's code: model-monitor-template.yml carries it verbatim as the function's
inline ZipFile (CloudFormation writes it as index.py; handler ``index.handler``), so it imports only the standard
library and boto3 (in the Lambda runtime). ``python -m devtools.sync_watchdog_code`` copies it into the template and
a test checks that the two are identical.

Every hour, for each schedule the stack deployed, it reads (SageMaker API reference, botocore's service model):
- DescribeMonitoringSchedule: MonitoringScheduleStatus (Pending | Failed | Scheduled | Stopped), FailureReason,
  CreationTime, MonitoringType, MonitoringScheduleConfig.ScheduleConfig.ScheduleExpression;
- ListMonitoringExecutions (ScheduledTimeAfter, SortBy ScheduledTime): each MonitoringExecutionSummary's
  ScheduledTime, MonitoringExecutionStatus (Pending | Completed | CompletedWithViolations | InProgress | Failed |
  Stopping | Stopped), FailureReason, ProcessingJobArn;
- for a data quality CompletedWithViolations: DescribeProcessingJob's ProcessingOutputConfig S3 output and the
  ``constraint_violations.json`` Model Monitor writes there (model-monitor-interpreting-violations);
- for a model quality or bias "no data" failure after the first LABEL_MATURITY_DAYS: the job definition's
  StartTimeOffset (below).
Each execution is judged once, in the run SETTLE_HOURS after the hour it was scheduled in. It pages on:
- Failed (other than "no data", below) and Stopped (a job that hit MaxRuntimeInSeconds analysed nothing);
- CompletedWithViolations for checks no alarm watches: data quality's data_type_check, completeness_check,
  categorical_values_check (domain), missing_column_check, extra_column_check; every bias and explainability
  violation. baseline_drift_check (the drift alarms), model quality (the recall alarm) and the optional estimate
  schedule (its score drift and estimate alarms) are watched: noted only;
- an execution still Pending/InProgress/Stopping SETTLE_HOURS after its scheduled hour;
- a missing execution: nothing scheduled for longer than the schedule's interval + SETTLE_HOURS (paged once, when the
  gap opens; repeated in each daily note), a schedule that is Failed or Stopped, or one that does not exist.
"No data" failures are their own state. "Job inputs had no data" is the FailureReason real executions carry when
there was nothing to analyse (seen in aws/sagemaker-python-sdk issue 2634 and aws/amazon-sagemaker-examples issue
2934; AWS's API reference and the Developer Guide page model-monitor-interpreting-results document the statuses
but list no FailureReason values). AWS publishes no wording for a model quality job
without ground truth ("The model quality job will fail if there's no ground truth data to merge", AWS's model
quality sample); our reading: a reason that mentions ground truth. Anything else is a failure and pages. A no-data
failure is a daily note, not a page, on a stage whose traffic is intermittent (STAGE_TRAFFIC=intermittent, e.g.
staging) and, for model quality and bias (which need labels), during the schedule's first window: until CreationTime
+ the longer of LABEL_MATURITY_DAYS and how far back its window starts (the job definition's StartTimeOffset: the
matured schedule's -P<M>DT24H reaches M days + 24 h back, so its first execution with captures in the whole window
runs M + 1 days after the schedule was created); after that it pages. The offset is read only for a no-data failure
scheduled after CreationTime + LABEL_MATURITY_DAYS, from DescribeModelQualityJobDefinition /
DescribeModelBiasJobDefinition (``<Type>JobInput.EndpointInput.StartTimeOffset``; the schedule names its job
definition in ``MonitoringScheduleConfig.MonitoringJobDefinitionName``) or from an inline
``MonitoringJobDefinition.MonitoringInputs[0].EndpointInput.StartTimeOffset``: what is deployed, not a second copy in
the environment that could drift from it, and the shell CLI gets it without a flag. An offset that cannot be read
pages (the first window cannot be told apart).
The daily note (the run at NOTE_HOUR UTC) lists the last 24 hours: no-data failures let through, watched violations,
executions judged, open gaps. A schedule the watchdog cannot read pages: it never reports "fine" on what it could
not read.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

STATUSES = ("Pending", "Completed", "CompletedWithViolations", "InProgress", "Failed", "Stopping", "Stopped")
SCHEDULE_STATUSES = ("Pending", "Failed", "Scheduled", "Stopped")
NO_DATA_REASONS = ("Job inputs had no data",)
UNWATCHED_DATA_QUALITY_CHECKS = ("data_type_check", "completeness_check", "categorical_values_check",
                                 "missing_column_check", "extra_column_check")
LABELLED_TYPES = ("ModelQuality", "ModelBias")  # jobs that merge ground truth
PAGE_ALWAYS_ON_VIOLATIONS = ("ModelBias", "ModelExplainability")  # no alarm watches their metrics
VIOLATIONS_FILE = "constraint_violations.json"
ESTIMATE_SUFFIX = "-estimate"  # the optional analyzer estimate schedule (a custom container; docs/analyzer.md)
# where a schedule's job definition keeps its window (botocore's service model: Describe<Type>JobDefinition)
JOB_DEFINITION_INPUTS = {"ModelQuality": ("describe_model_quality_job_definition", "ModelQualityJobInput"),
                         "ModelBias": ("describe_model_bias_job_definition", "ModelBiasJobInput")}
# MonitoringTimeOffsetString as Model Monitor's offsets use it: a negative ISO-8601 duration of weeks, days, hours,
# minutes (-P8D, -P90DT24H, -PT1H)
_OFFSET_RE = re.compile(r"-P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?")


@dataclass(frozen=True)
class Config:
    """What the stack tells the watchdog (the Lambda's environment; the CLI's flags)."""

    schedules: tuple[str, ...]
    label_maturity_days: int = 90
    stage_traffic: str = "continuous"  # or "intermittent": "no data" never pages
    settle_hours: int = 2
    note_hour: int = 8
    stage: str = ""


@dataclass
class Finding:
    """One thing to say: a page (someone must act) or a line of the daily note."""

    kind: str  # "page" | "note"
    schedule: str
    text: str


@dataclass
class Report:
    pages: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    daily: bool = False

    def add(self, kind: str, schedule: str, text: str) -> None:
        (self.pages if kind == "page" else self.notes).append(Finding(kind, schedule, text))


def _hour(when: datetime) -> datetime:
    return when.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%MZ")


def schedule_interval_hours(expression: str) -> int | None:
    """Hours between executions of a Model Monitor cron (hourly ``cron(0 * ? * * *)``, every N hours
    ``cron(0 */N ? * * *)``, daily or listed hours ``cron(0 H[,H...] ? * * *)``); None for NOW or a form not known."""
    match = re.fullmatch(r"cron\(\s*0\s+(\S+)\s+\?\s+\*\s+\*\s+\*\s*\)", (expression or "").strip())
    if not match:
        return None
    hours = match.group(1)
    if hours == "*":
        return 1
    if hours.startswith("*/") and hours[2:].isdigit() and int(hours[2:]) > 0:
        return int(hours[2:])
    if re.fullmatch(r"\d{1,2}(,\d{1,2})*", hours):
        listed = sorted({int(h) for h in hours.split(",")})
        gaps = [b - a for a, b in zip(listed, listed[1:], strict=False)] + [24 - listed[-1] + listed[0]]
        return max(gaps)
    return None


def no_data_kind(monitoring_type: str, reason: str) -> str | None:
    """"no data" / "no ground truth" for a failure that only says there was nothing to analyse, else None."""
    if reason.strip() in NO_DATA_REASONS:
        return "no ground truth yet" if monitoring_type in LABELLED_TYPES else "no data"
    if monitoring_type in LABELLED_TYPES and "ground truth" in reason.lower():
        return "no ground truth yet"
    return None


def offset_reach(offset: str) -> timedelta | None:
    """How far back a window offset reaches: -P90DT24H -> 91 days, -P8D -> 8 days; None for another form."""
    match = _OFFSET_RE.fullmatch((offset or "").strip())
    if not match or not any(match.groups()):
        return None
    weeks, days, hours, minutes = (int(g or 0) for g in match.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes)


def window_start_offset(sagemaker: Any, schedule: dict[str, Any], monitoring_type: str) -> str:
    """The StartTimeOffset of the window the schedule's job reads (its job definition, or the inline definition)."""
    config = schedule.get("MonitoringScheduleConfig") or {}
    inline = config.get("MonitoringJobDefinition")
    if inline:
        inputs = inline.get("MonitoringInputs") or [{}]
        return str((inputs[0].get("EndpointInput") or {}).get("StartTimeOffset") or "")
    call, key = JOB_DEFINITION_INPUTS[monitoring_type]
    definition = getattr(sagemaker, call)(JobDefinitionName=config.get("MonitoringJobDefinitionName") or "")
    return str(((definition.get(key) or {}).get("EndpointInput") or {}).get("StartTimeOffset") or "")


class _StartOffset:
    """The schedule's window StartTimeOffset, read at most once a run and only when a judgement needs it."""

    def __init__(self, sagemaker: Any, schedule: dict[str, Any], monitoring_type: str) -> None:
        self.args = (sagemaker, schedule, monitoring_type)
        self.value: str | None = None

    def __call__(self) -> str:
        if self.value is None:
            self.value = window_start_offset(*self.args)
        return self.value


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str((response.get("Error") or {}).get("Code") or getattr(exc, "code", "") or type(exc).__name__)


def _list_executions(sagemaker: Any, name: str, after: datetime) -> list[dict[str, Any]]:
    executions: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"MonitoringScheduleName": name, "ScheduledTimeAfter": after, "SortBy": "ScheduledTime",
                              "SortOrder": "Descending", "MaxResults": 100}
    while True:
        page = sagemaker.list_monitoring_executions(**kwargs)
        executions += page.get("MonitoringExecutionSummaries", [])
        if not page.get("NextToken"):
            return executions
        kwargs["NextToken"] = page["NextToken"]


def violated_checks(sagemaker: Any, read_object: Any, processing_job_arn: str) -> list[str]:
    """constraint_check_type of each violation the execution wrote (DescribeProcessingJob -> its S3 output)."""
    job = sagemaker.describe_processing_job(ProcessingJobName=processing_job_arn.rsplit("/", 1)[-1])
    outputs = (job.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    uris = [o["S3Output"]["S3Uri"] for o in outputs if (o.get("S3Output") or {}).get("S3Uri")]
    if not uris:
        raise ValueError("its processing job has no S3 output")
    bucket, _, prefix = uris[0][len("s3://"):].partition("/")
    key = f"{prefix.rstrip('/')}/{VIOLATIONS_FILE}" if prefix else VIOLATIONS_FILE
    document = json.loads(read_object(bucket, key))
    return [str(v.get("constraint_check_type", "")) for v in document.get("violations", []) if isinstance(v, dict)]


def _first_window(execution: dict[str, Any], monitoring_type: str, config: Config, created: datetime,
                  start_offset: Any) -> tuple[str | None, str | None]:
    """(excuse, problem) for a no-data failure of a labelled schedule: the excuse while the execution was scheduled
    inside the schedule's first window (judged by its scheduled time, not the watchdog's clock: an execution
    scheduled an hour before the window closes had no data even when it is judged after), the problem when the
    window's offset could not be read."""
    if monitoring_type not in LABELLED_TYPES:
        return None, None
    scheduled = execution["ScheduledTime"]
    matured = created + timedelta(days=config.label_maturity_days)
    if scheduled < matured:
        return f"first label maturity window, until {_iso(matured)}", None
    try:
        offset = start_offset()
    except Exception as exc:  # noqa: BLE001 - never "fine" on what could not be read
        return None, f"its job definition's StartTimeOffset could not be read ({_error_code(exc)})"
    reach = offset_reach(offset) if offset else timedelta(0)  # no offsets: the window is the last period
    if reach is None:
        return None, f"its window's StartTimeOffset {offset!r} is not a duration the watchdog reads"
    if scheduled < created + reach:
        return (f"first window: its captures reach back {offset}, before the schedule was created, until "
                f"{_iso(created + reach)}"), None
    return None, None


def _judge(execution: dict[str, Any], monitoring_type: str, name: str, config: Config, created: datetime,
           sagemaker: Any, read_object: Any, report: Report, settle: bool, start_offset: Any = None) -> None:
    status = execution.get("MonitoringExecutionStatus", "")
    when = _iso(execution["ScheduledTime"])
    reason = execution.get("FailureReason") or ""
    label = f"execution scheduled {when}"
    if status == "Completed":
        return
    if status in ("Pending", "InProgress", "Stopping"):
        if settle:
            report.add("page", name, f"{label} is still {status} {config.settle_hours} h later")
        return
    if status == "Stopped":
        report.add("page", name, f"{label} was Stopped (MaxRuntimeInSeconds reached?): it analysed nothing")
        return
    if status == "Failed":
        kind = no_data_kind(monitoring_type, reason)
        if kind is None:
            report.add("page", name, f"{label} Failed: {reason or 'no FailureReason given'}")
            return
        excuses = []
        if config.stage_traffic == "intermittent":
            excuses.append("this stage's traffic is intermittent")
        window, problem = (None, None) if excuses else _first_window(execution, monitoring_type, config, created,
                                                                     start_offset)
        if window:
            excuses.append(window)
        if excuses:
            report.add("note", name, f"{label} Failed with {kind} ({reason}); not a page: {'; '.join(excuses)}")
        elif problem:
            report.add("page", name, f"{label} Failed with {kind} ({reason}) and {problem}: cannot tell whether it is "
                                     "still the schedule's first window")
        else:
            report.add("page", name, f"{label} Failed with {kind} ({reason}) after the first label maturity window "
                                     "on a stage with continuous traffic: captures or labels are not arriving")
        return
    if status == "CompletedWithViolations":
        if name.endswith(ESTIMATE_SUFFIX):
            report.add("note", name, f"{label} CompletedWithViolations (calibration assumption or score drift; "
                                     "ScoreDriftAlarm and EstimatedRecallAlarm watch the estimate)")
            return
        if monitoring_type in PAGE_ALWAYS_ON_VIOLATIONS:
            report.add("page", name, f"{label} CompletedWithViolations; no alarm watches {monitoring_type} "
                                     f"violations: read {VIOLATIONS_FILE} in its output")
            return
        if monitoring_type != "DataQuality":
            report.add("note", name, f"{label} CompletedWithViolations (watched by the {monitoring_type} alarm)")
            return
        try:
            checks = violated_checks(sagemaker, read_object, execution.get("ProcessingJobArn") or "")
        except Exception as exc:  # noqa: BLE001 - never "fine" on a file we could not read
            report.add("page", name, f"{label} CompletedWithViolations and its {VIOLATIONS_FILE} could not be read "
                                     f"({_error_code(exc)}): cannot tell whether only watched checks failed")
            return
        unwatched = sorted({c for c in checks if c != "baseline_drift_check"})
        if unwatched:
            counts = ", ".join(f"{c} x{checks.count(c)}" for c in unwatched)
            report.add("page", name, f"{label} CompletedWithViolations that no alarm watches: {counts}")
        else:
            report.add("note", name, f"{label} CompletedWithViolations: {len(checks)} baseline_drift_check "
                                     "(watched by the drift alarms)")
        return
    report.add("page", name, f"{label} has status {status!r}, which the API reference does not list")


def check(sagemaker: Any, read_object: Any, config: Config, now: datetime) -> Report:
    """One watchdog run at ``now`` (the injected clock); ``read_object(bucket, key) -> bytes`` reads S3."""
    hour = _hour(now)
    report = Report(daily=hour.hour == config.note_hour)
    judged_from = hour - timedelta(hours=config.settle_hours)  # executions scheduled in this hour are judged now
    judged_to = judged_from + timedelta(hours=1)
    for name in config.schedules:
        try:
            schedule = sagemaker.describe_monitoring_schedule(MonitoringScheduleName=name)
        except Exception as exc:  # noqa: BLE001 - every failure to read is a page
            code = _error_code(exc)
            text = "does not exist" if code == "ResourceNotFound" else f"cannot be read ({code})"
            report.add("page", name, f"schedule {text}: no monitoring is happening that the watchdog can see")
            continue
        status = schedule.get("MonitoringScheduleStatus", "")
        if status in ("Failed", "Stopped"):
            reason = schedule.get("FailureReason") or "no FailureReason given"
            report.add("page", name, f"schedule is {status}: {reason}")
            continue
        monitoring_type = schedule.get("MonitoringType") or (schedule.get("MonitoringScheduleConfig") or {}).get(
            "MonitoringType", "")
        created = schedule["CreationTime"]
        expression = ((schedule.get("MonitoringScheduleConfig") or {}).get("ScheduleConfig") or {}).get(
            "ScheduleExpression", "")
        interval = schedule_interval_hours(expression)
        lookback = max(24, (interval or 24)) + config.settle_hours + 2
        try:
            executions = _list_executions(sagemaker, name, hour - timedelta(hours=lookback))
        except Exception as exc:  # noqa: BLE001
            report.add("page", name, f"executions cannot be listed ({_error_code(exc)})")
            continue
        start_offset = _StartOffset(sagemaker, schedule, monitoring_type)
        for execution in executions:
            scheduled = execution["ScheduledTime"]
            if judged_from <= scheduled < judged_to:
                _judge(execution, monitoring_type, name, config, created, sagemaker, read_object, report,
                       settle=True, start_offset=start_offset)
            elif report.daily and hour - timedelta(hours=24) <= scheduled < judged_from:
                quiet = Report()
                _judge(execution, monitoring_type, name, config, created, sagemaker, read_object, quiet,
                       settle=False, start_offset=start_offset)
                report.notes += [Finding("note", f.schedule, f"(last 24 h) {f.text}") for f in quiet.notes]
        if interval is None and report.daily:
            report.add("note", name, f"schedule expression {expression!r} is not an hourly, every-N-hours or daily "
                                     "cron: no missing-execution check")
        if interval is None or status == "Pending":
            continue
        last = (schedule.get("LastMonitoringExecutionSummary") or {}).get("ScheduledTime")
        newest = max([e["ScheduledTime"] for e in executions] + ([last] if last else []), default=None) or created
        overdue_at = _hour(newest) + timedelta(hours=interval + config.settle_hours)
        if overdue_at <= hour:
            since = f"since {_iso(newest)}" if newest is not created else f"since it was created {_iso(created)}"
            text = f"no execution {since} (expected every {interval} h): check the schedule, the endpoint and capture"
            if overdue_at > hour - timedelta(hours=1):
                report.add("page", name, text)
            elif report.daily:
                report.add("note", name, f"still {text}")
    return report


def render(report: Report, stage: str = "") -> list[str]:
    """Lines for a person: pages first."""
    where = f" ({stage})" if stage else ""
    return [f"PAGE{where} {f.schedule}: {f.text}" for f in report.pages] + \
        [f"note{where} {f.schedule}: {f.text}" for f in report.notes]


def config_from_environment(environ: Any = None) -> Config:
    env = os.environ if environ is None else environ
    return Config(schedules=tuple(s for s in env.get("SCHEDULES", "").split(",") if s.strip()),
                  label_maturity_days=int(env.get("LABEL_MATURITY_DAYS", "90")),
                  stage_traffic=env.get("STAGE_TRAFFIC", "continuous"),
                  settle_hours=int(env.get("SETTLE_HOURS", "2")), note_hour=int(env.get("NOTE_HOUR", "8")),
                  stage=env.get("STAGE", ""))


def handler(event: Any, context: Any, now: datetime | None = None, clients: Any = None) -> dict[str, Any]:
    """The Lambda entry point (EventBridge schedule, hourly): pages and the daily note to TOPIC_ARN."""
    config = config_from_environment()
    if clients is None:
        import boto3

        clients = (boto3.client("sagemaker"), boto3.client("s3"), boto3.client("sns"))
    sagemaker, s3, sns = clients

    def read_object(bucket: str, key: str) -> bytes:  # the Lambda cannot import pipelines.core's S3 store
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    report = check(sagemaker, read_object, config, now or datetime.now(timezone.utc))
    topic = os.environ.get("TOPIC_ARN", "")
    stage = f" {config.stage}" if config.stage else ""
    if report.pages and topic:
        sns.publish(TopicArn=topic, Subject=f"Model Monitor watchdog{stage}: {len(report.pages)} page(s)"[:100],
                    Message="\n".join(render(Report(pages=report.pages), config.stage)))
    if report.daily and report.notes and topic:
        sns.publish(TopicArn=topic, Subject=f"Model Monitor watchdog{stage}: daily note"[:100],
                    Message="\n".join(f"{f.schedule}: {f.text}" for f in report.notes))
    for line in render(report, config.stage):
        print(line)
    return {"pages": len(report.pages), "notes": len(report.notes)}

"""Per-monitor cadence: the schedule and runtime each monitor really gets, the rules SageMaker does not check up
front, the missed-run alarm window, and what a stage costs in executions and instance-hours.

A monitor's own ``<Monitor>ScheduleExpression`` / ``<Monitor>MaxRuntimeInSeconds`` wins over the shared
``ScheduleExpression`` / ``MaxRuntimeInSeconds``; an empty value means "use the shared one", so stage files written
before per-monitor values existed keep working. ``ScheduleExpression: NOW`` runs every monitor once (the template's
IsNow condition), whatever its own cron.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from pipelines.core.monitors import DATA_QUALITY, MODEL_QUALITY, MONITORS, Monitor
from pipelines.deploy.template_params import CRON_RE, ParameterSpec

NOW = "NOW"
PROCESSING = "processing"  # MonitoringEngine value of the Scheduler + Step Functions + Processing engine (issue 19)
CLARIFY_KEYS = ("model-bias", "model-explainability")  # on the processing engine: Prepare -> Clarify -> Check
CLARIFY_EXTRA_JOBS = 2  # devtools/processing_engine_block.py clarify_state_machine: Prepare and Check around Clarify
CLARIFY_STATES_PER_RUN = 5  # Window, Prepare, Clarify, Check, Done
MAX_PROCESSING_INPUTS = 10  # CreateProcessingJob ProcessingInputs: at most 10 (botocore service model)
STATES_PER_RUN = 4  # Window, Analyze, Sharded, Done: Standard workflows bill each state entered
MATURED_TITLE = "model quality matured"  # the matured model quality evaluation's cost line (issue 18)
DAYS_PER_MONTH = 30  # cost lines count a 30-day month
MAX_RUNTIME = 86400  # StoppingCondition.MaxRuntimeInSeconds: 1..86400 (botocore service model)
HOURLY_LABEL_JOB_MAX_RUNTIME = 1800  # hourly model quality / bias: the merge job shares the hour (facts.md)
INSIGHTS_ALARM_HOURS = 3  # Metrics Insights alarms evaluate the last 3 hours only (CloudWatch "alarm limits")
_OFFSET_RE = re.compile(r"^-P(?:([0-9]+)D)?(?:T([0-9]+)H)?$")


@dataclass(frozen=True)
class Cadence:
    """The schedule one monitor gets in one stage."""

    monitor: Monitor
    expression: str
    runtime: int | None  # None when the value is not a number (template validation reports it)
    runs_per_day: int | None  # None for NOW (one run) or an expression validation rejects
    interval_hours: int | None  # longest gap between two runs, in hours

    @property
    def executions_per_month(self) -> int:
        return 1 if self.expression == NOW else (self.runs_per_day or 0) * DAYS_PER_MONTH


def param_prefix(monitor: Monitor) -> str:
    """'ModelQuality' for model quality: the prefix of its per-monitor template parameters."""
    return monitor.enable_param.removeprefix("Enable").removesuffix("Monitor")


def run_hours(expression: str) -> list[int] | None:
    """Hours of the day a Model Monitor cron expression runs at (None for NOW or an unsupported form)."""
    match = CRON_RE.match(expression)
    if not match:
        return None
    field = match.group(1)
    if field == "*":
        return list(range(24))
    start, _, step = field.partition("/")
    if step and int(step) == 0:
        return None  # "every 0 hours": the cron pattern lets it through, SageMaker would not
    return list(range(int(start), 24, int(step))) if step else [int(start)]


def _longest_gap(hours: list[int]) -> int:
    gaps = [b - a for a, b in zip(hours, hours[1:], strict=False)] + [24 - hours[-1] + hours[0]]
    return max(gaps)


def _value(params: dict[str, str], specs: dict[str, ParameterSpec], name: str) -> str:
    return params.get(name, specs[name].default or "") if name in specs else params.get(name, "")


def cadence(params: dict[str, str], specs: dict[str, ParameterSpec], monitor: Monitor) -> Cadence:
    """The schedule expression and runtime a monitor really gets (its own value, else the shared one)."""
    prefix = param_prefix(monitor)
    shared = _value(params, specs, "ScheduleExpression")
    expression = shared if shared == NOW else (_value(params, specs, f"{prefix}ScheduleExpression") or shared)
    runtime_text = _value(params, specs, f"{prefix}MaxRuntimeInSeconds") or _value(params, specs, "MaxRuntimeInSeconds")
    runtime = int(runtime_text) if runtime_text.isdigit() else None
    hours = run_hours(expression)
    return Cadence(monitor=monitor, expression=expression, runtime=runtime,
                   runs_per_day=len(hours) if hours else None, interval_hours=_longest_gap(hours) if hours else None)


def offset_hours(offset: str) -> int | None:
    """-P8D -> 192, -P7DT1H -> 169, -PT1H -> 1 (None when not of that form)."""
    match = _OFFSET_RE.match(offset)
    if not match or not any(match.groups()):
        return None
    return int(match.group(1) or 0) * 24 + int(match.group(2) or 0)


def enabled_monitors(params: dict[str, str]) -> list[Monitor]:
    """Monitors the template would deploy with these parameters (model quality and bias also need ground truth)."""
    return [m for m in MONITORS if params.get(m.enable_param) == "yes"
            and (not m.needs_ground_truth or params.get("GroundTruthInput"))]


def schedule_problems(params: dict[str, str], specs: dict[str, ParameterSpec]) -> list[str]:
    """Cadence rules SageMaker enforces only at run time (or not at all), for the monitors that deploy."""
    problems: list[str] = []
    enabled = enabled_monitors(params)
    names = ["ScheduleExpression"] + [f"{param_prefix(m)}ScheduleExpression" for m in MONITORS]
    for name in names:
        expression = _value(params, specs, name)
        if not expression or expression == NOW and name == "ScheduleExpression" or run_hours(expression):
            continue
        if name == "ScheduleExpression" and not CRON_RE.match(expression):
            continue  # template_params.product_rules reports a shared expression of the wrong form
        problems.append(f"{name} '{expression}' is not a Model Monitor schedule; use hourly cron(0 * ? * * *), "
                        "daily cron(0 H ? * * *) or every N hours cron(0 H/N ? * * *)")
    for monitor in enabled:
        problems += _runtime_problems(cadence(params, specs, monitor))
    labelled = [cadence(params, specs, m) for m in enabled if m.needs_ground_truth]
    if labelled:
        problems += _label_window_problems(params, specs, labelled)
    if MODEL_QUALITY in enabled and not (_value(params, specs, "InferenceAttribute")
                                         or _value(params, specs, "ProbabilityAttribute")):
        problems.append("model quality needs InferenceAttribute or ProbabilityAttribute (where the prediction is in "
                        "the endpoint output); set ProbabilityAttribute to the fraud probability's index, e.g. \"0\"")
    drift = cadence(params, specs, DATA_QUALITY)
    if (DATA_QUALITY in enabled and _value(params, specs, "DriftAlarmFeatures") and drift.interval_hours
            and drift.interval_hours > 1):
        problems.append(f"DriftAlarmFeatures needs an hourly data quality schedule, not '{drift.expression}': drift "
                        f"alarms are Metrics Insights alarms, which see only the last {INSIGHTS_ALARM_HOURS} hours; "
                        "set DataQualityScheduleExpression to cron(0 * ? * * *) or clear DriftAlarmFeatures")
    return problems


def _runtime_problems(run: Cadence) -> list[str]:
    name = f"{param_prefix(run.monitor)}MaxRuntimeInSeconds"
    if run.runtime is None:
        return []
    if run.runtime > MAX_RUNTIME:
        return [f"{run.monitor.title} MaxRuntimeInSeconds is {run.runtime}, over SageMaker's {MAX_RUNTIME}; "
                f"lower {name}"]
    if run.monitor.needs_ground_truth and run.interval_hours == 1 and run.runtime > HOURLY_LABEL_JOB_MAX_RUNTIME:
        return [f"hourly {run.monitor.title} needs MaxRuntimeInSeconds <= {HOURLY_LABEL_JOB_MAX_RUNTIME} (its "
                f"ground-truth merge job shares the hour), got {run.runtime}; lower {name} or run it daily"]
    return []


def _label_window_problems(params: dict[str, str], specs: dict[str, ParameterSpec], runs: list[Cadence]) -> list[str]:
    start_text = _value(params, specs, "GroundTruthStartTimeOffset")
    end_text = _value(params, specs, "GroundTruthEndTimeOffset")
    start, end = offset_hours(start_text), offset_hours(end_text)
    if start is None or end is None:
        return []  # the template's AllowedPattern check names the malformed offset
    if start <= end:
        return [f"GroundTruthStartTimeOffset {start_text} must be earlier than GroundTruthEndTimeOffset {end_text} "
                "(e.g. -P8D and -P7D)"]
    window = start - end
    return [f"the late-label window {start_text} to {end_text} covers {window} hour(s) but the {run.monitor.title} "
            f"schedule '{run.expression}' runs every {run.interval_hours} hours, so predictions between runs are never "
            f"compared with labels; widen the window to at least {run.interval_hours} hours or run more often"
            for run in runs if run.interval_hours and window < run.interval_hours]


def missed_run_hours(run: Cadence) -> int | None:
    """Hours without a finished execution before the missed-run alarm fires: the longest gap between runs, plus the
    runtime (a slow run after a fast one), plus one hour for SageMaker's start delay. None for NOW."""
    if run.interval_hours is None or run.runtime is None:
        return None
    return run.interval_hours + math.ceil(run.runtime / 3600) + 1


def fill_missed_run_hours(params: dict[str, str], explicit: dict[str, str], specs: dict[str, ParameterSpec]) -> None:
    """Set <Monitor>MissedRunAlarmHours of each deployed monitor from its cadence unless the stage file sets it."""
    for monitor in enabled_monitors(params):
        name = f"{param_prefix(monitor)}MissedRunAlarmHours"
        hours = missed_run_hours(cadence(params, specs, monitor))
        if name in specs and name not in explicit and hours is not None:
            params[name] = str(hours)


def cost_lines(params: dict[str, str], specs: dict[str, ParameterSpec], monitors: list[Monitor]) -> list[str]:
    """Plan lines: per deployed monitor its schedule, executions per month and the instance-hours upper bound."""
    count_text = _value(params, specs, "InstanceCount")
    count = int(count_text) if count_text.isdigit() else 0
    lines = [f"  cadence (30-day month; upper bound = executions x MaxRuntime x InstanceCount {count}):"]
    total_runs, total_hours = 0, 0.0
    processing = _value(params, specs, "MonitoringEngine") == PROCESSING
    runs = [(monitor, monitor.title, cadence(params, specs, monitor)) for monitor in monitors]
    if MODEL_QUALITY in monitors and runs and runs[0][2].expression != NOW:
        # the matured model quality evaluation (issue 18): the same job on the same cadence, LabelMaturityDays later,
        # on either engine (the template's ModelQualityMaturedEnabled)
        runs.insert(monitors.index(MODEL_QUALITY) + 1,
                    (MODEL_QUALITY, MATURED_TITLE, cadence(params, specs, MODEL_QUALITY)))
    for monitor, title, run in runs:
        # bias and explainability on the processing engine: Prepare and Check (one instance each) around Clarify
        jobs = count + CLARIFY_EXTRA_JOBS if processing and monitor.key in CLARIFY_KEYS else count
        hours = run.executions_per_month * (run.runtime or 0) / 3600 * jobs
        total_runs += run.executions_per_month
        total_hours += hours
        lines.append(f"      {title:<21} {run.expression:<18} {run.executions_per_month:>4} executions/month"
                     f"  MaxRuntime {run.runtime}s  <= {hours:.1f} instance-hours/month")
    lines.append(f"      {'stage total':<21} {'':<18} {total_runs:>4} executions/month"
                 f"  <= {total_hours:.1f} instance-hours/month")
    if processing:
        transitions = sum(run.executions_per_month
                          * (CLARIFY_STATES_PER_RUN if m.key in CLARIFY_KEYS
                             else STATES_PER_RUN + (1 if count > 1 else 0))
                          for m, _, run in runs)
        clarify = any(m.key in CLARIFY_KEYS for m in monitors)
        hours_text = "the instance-hours above" if clarify else "the same instance-hours"
        lines.append(f"      processing engine: {hours_text} (Processing jobs) plus {total_runs} "
                     f"Scheduler invocations and {transitions} Step Functions state transitions/month "
                     f"({STATES_PER_RUN} per run, one more with the merge step)")
        if clarify:
            lines.append(f"      bias and explainability run {CLARIFY_EXTRA_JOBS} more one-instance jobs a run (the "
                         "dataset before Clarify, the check after it; counted above) and "
                         f"{CLARIFY_STATES_PER_RUN} state transitions")
    return lines


def engine_problems(params: dict[str, str], specs: dict[str, ParameterSpec]) -> list[str]:
    """What stops a stage's engine from running (the template's Rules would refuse the stack later)."""
    if _value(params, specs, "MonitoringEngine") != PROCESSING or not enabled_monitors(params):
        return []
    problems = []
    if not _value(params, specs, "AnalyzerImageUri"):
        problems.append("MonitoringEngine is \"processing\" but AnalyzerImageUri is empty: the processing engine runs "
                        "our analyzer image; build docker/analyzer.Dockerfile, push it to ECR and set AnalyzerImageUri "
                        "in the stage file, or set MonitoringEngine to \"model-monitor\"")
    if not _value(params, specs, "DataCaptureS3Uri"):
        problems.append("MonitoringEngine is \"processing\" but DataCaptureS3Uri is unknown (the endpoint's "
                        "DataCaptureConfig has no DestinationS3Uri); set DataCaptureS3Uri in the stage file")
    if _value(params, specs, "ScheduleExpression") == NOW:
        problems.append("ScheduleExpression NOW is a Model Monitor feature; with MonitoringEngine \"processing\" use a "
                        "cron expression and start a state machine by hand for a one-off run (aws stepfunctions "
                        "start-execution --input '{\"scheduledTime\": \"2026-12-03T05:00:00Z\"}')")
    variants = [v for v in _value(params, specs, "CaptureVariantNames").split(",") if v]
    for monitor in enabled_monitors(params):
        folders = _most_capture_folders(params, specs, monitor)
        if folders and variants and len(variants) * folders > MAX_PROCESSING_INPUTS:
            problems.append(f"{monitor.title} on the processing engine reads up to {folders} capture folder(s) per "
                            f"variant of its window, {len(variants)} variants x {folders} = {len(variants) * folders} "
                            f"inputs, over the {MAX_PROCESSING_INPUTS} a Processing job takes; shorten the window or "
                            "list fewer CaptureVariantNames")
    return problems


def _most_capture_folders(params: dict[str, str], specs: dict[str, ParameterSpec], monitor: Monitor) -> int | None:
    """The most capture folders one run of the monitor reads (pipelines/formats/windows.capture_folders): one for a
    window of at most an hour on hour boundaries, else every UTC day it touches. None for a malformed offset (the
    template's patterns report it)."""
    from pipelines.formats.windows import DEFAULT_END_OFFSET, DEFAULT_START_OFFSET, offset

    if monitor.needs_ground_truth:
        names = ("GroundTruthStartTimeOffset", "GroundTruthEndTimeOffset")
    else:
        names = ("DataAnalysisStartTime", "DataAnalysisEndTime")
    start_text = _value(params, specs, names[0]) or DEFAULT_START_OFFSET
    end_text = _value(params, specs, names[1]) or DEFAULT_END_OFFSET
    try:
        seconds = (offset(end_text) - offset(start_text)).total_seconds()
    except ValueError:
        return None
    if seconds <= 3600:
        return 1
    return math.ceil(seconds / 86400) + 1


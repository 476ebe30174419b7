"""Per stage: derived parameter values < stage file, monitors enabled or disabled (and why), derived files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipelines.core import aws
from pipelines.core.errors import MonitorError
from pipelines.core.monitors import MONITORS, SOURCE_KINDS, Monitor
from pipelines.deploy.baselines import Baseline, BaselineProblem, S3Objects, load_baseline, registry_baselines
from pipelines.deploy.derived import DerivedFile, derive, derive_document
from pipelines.deploy.image_uris import ImageUris
from pipelines.deploy.options import RunOptions
from pipelines.deploy.registry import EndpointInfo, ModelPackage
from pipelines.deploy.schedules import PROCESSING, fill_missed_run_hours
from pipelines.deploy.stage_config import StageConfig
from pipelines.deploy.template_params import ParameterSpec
from pipelines.deploy.thresholds import (
    EARLY_PARAM,
    MATURED_PARAM,
    MQ_CONSTRAINTS,
    MQ_STATISTICS,
    RecallAlarm,
    derived_constraints,
    drift_problems_and_thresholds,
    expected_daily_frauds,
    model_quality_threshold,
)
from pipelines.core.files import json_loads
from pipelines.formats.label_development import Curve, CurveError, curve_uri, summarize


@dataclass
class MonitorStatus:
    """One monitor in one stage: on or off, why, and the baselines it uses."""

    monitor: Monitor
    enabled: bool
    reason: str = ""
    baselines: dict[str, str] = field(default_factory=dict)  # template parameter -> S3 URI
    shown: dict[str, str] = field(default_factory=dict)  # optional registry baselines: path -> S3 URI (plan only)


@dataclass
class StagePlan:
    """Everything decided for one stage, before anything is written."""

    stage: str
    package: ModelPackage
    endpoint: EndpointInfo | None
    parameters: dict[str, str]
    tags: dict[str, str]
    monitors: list[MonitorStatus]
    derived: list[DerivedFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # --strict turns these into failures
    notes: list[str] = field(default_factory=list)  # information only
    problems: list[str] = field(default_factory=list)  # validation failures found while planning (exit 2)

    def summary(self) -> str:
        """The plan's last word on the stage: ``prod: 3 of 4 monitors enabled (model bias off: <reason>)``."""
        off = [f"{status.monitor.title} off: {status.reason}" for status in self.monitors if not status.enabled]
        on = len(self.monitors) - len(off)
        return f"{self.stage}: {on} of {len(self.monitors)} monitors enabled" + (f" ({'; '.join(off)})" if off else "")


def derived_parameters(options: RunOptions, stage: str, images: ImageUris) -> dict[str, str]:
    """What the CLI fills for a stage before the stage file is applied (the stage file wins over these)."""
    endpoint = f"{options.project_name}-{stage}"
    params = {
        "SageMakerProjectName": options.project_name,
        "SageMakerProjectId": options.project_id,
        "StageName": stage,
        "EndpointName": endpoint,
        "MonitoringScheduleBaseName": endpoint,
        "ModelMonitorRoleArn": options.role_arn,
        "ModelMonitorImageUri": images.model_monitor,
        "ClarifyImageUri": images.clarify,
        "GroundTruthInput": f"s3://{options.bucket}/ground-truth/{endpoint}",
    }
    for monitor in MONITORS:
        params[monitor.output_param] = f"s3://{options.bucket}/monitor-output/{stage}/{monitor.key}"
    return params


# EndpointStatus (botocore service model enum) -> what to do. Updating and SystemUpdating endpoints serve traffic
# (every ModelDeploy run updates the endpoint) and keep all monitors. For these states the run stops instead:
# parameters that turned monitors off because the endpoint was busy would delete live schedules on deploy.
ENDPOINT_STATE_ACTIONS = {
    "Creating": "wait until it is InService (aws sagemaker wait endpoint-in-service --endpoint-name {name}) and rerun",
    "RollingBack": "a deployment failed and is being rolled back; wait until it is InService, then rerun",
    "Failed": "see FailureReason in DescribeEndpoint, fix and redeploy it with ModelDeploy, then rerun",
    "OutOfService": "it serves no traffic; redeploy it with ModelDeploy, then rerun",
    "Deleting": "it is being deleted; redeploy it with ModelDeploy, then rerun",
    "UpdateRollbackFailed": "a rollback failed; fix it in the SageMaker console, then rerun",
}
SERVING_STATES = ("InService", "Updating", "SystemUpdating")


def endpoint_state_error(endpoint: EndpointInfo | None, stage: str) -> str:
    """Why this run must stop for the stage's endpoint ('' when it may go on): busy/failed states, serverless."""
    if endpoint is None or not endpoint.exists:
        return ""
    if endpoint.status not in SERVING_STATES:
        action = ENDPOINT_STATE_ACTIONS.get(endpoint.status, "wait until it is InService and rerun")
        return (f"{stage} endpoint '{endpoint.name}' is {endpoint.status or 'in an unknown state'}: "
                f"{action.format(name=endpoint.name)}; nothing was written")
    serverless = [v.name for v in endpoint.variants if v.serverless]
    if serverless:
        return (f"{stage} endpoint '{endpoint.name}' variant {', '.join(repr(n) for n in serverless)} is serverless "
                "(ServerlessConfig); SageMaker Model Monitor does not support serverless endpoints: deploy the stage "
                "on instances (InstanceType, InitialInstanceCount) in ModelDeploy")
    return ""


def endpoint_problem(endpoint: EndpointInfo | None) -> str:
    """Why Model Monitor cannot run on this endpoint ('' when it can): jobs on it would fail every hour."""
    if endpoint is None:
        return ""
    if not endpoint.exists:
        return endpoint.reason
    capture = endpoint.capture or {}
    if not capture.get("EnableCapture", False):
        return f"endpoint '{endpoint.name}' has data capture off; enable DataCaptureConfig in ModelDeploy"
    modes = {option.get("CaptureMode") for option in capture.get("CaptureOptions", [])}
    missing = [mode for mode in ("Input", "Output") if mode not in modes]
    if missing:
        return f"endpoint '{endpoint.name}' does not capture {' and '.join(missing)}; capture both Input and Output"
    return ""


def endpoint_findings(endpoint: EndpointInfo | None, stage: str) -> tuple[list[str], list[str]]:
    """(warnings, notes) about an endpoint that monitors can run on: sampling, variants, the explainability model."""
    if endpoint is None or not endpoint.exists:
        return [], []
    warnings, notes = [], []
    capture = endpoint.capture or {}
    if capture.get("EnableCapture") and capture.get("InitialSamplingPercentage", 100) == 0:
        warnings.append(f"{stage}: endpoint '{endpoint.name}' captures 0% of requests (InitialSamplingPercentage 0); "
                        "every monitor finds no data: set it above 0 in ModelDeploy")
    primary = endpoint.primary
    if len(endpoint.variants) > 1 and primary:
        notes.append(f"{stage}: {len(endpoint.variants)} production variants; model explainability uses model "
                     f"'{primary.model_name}' of variant '{primary.name}' (the largest InitialVariantWeight, "
                     f"{primary.weight:g}; a tie goes to the variant listed first)")
    return warnings, notes


def plan_stage(
    options: RunOptions,
    config: StageConfig,
    specs: dict[str, ParameterSpec],
    package: ModelPackage,
    endpoint: EndpointInfo | None,
    objects: S3Objects,
    images: ImageUris,
) -> StagePlan:
    """Decide one stage: merge values, switch monitors on or off, build derived files. Reads S3, writes nothing."""
    stage = config.stage
    explicit = config.parameters
    params = derived_parameters(options, stage, images) | explicit
    available = registry_baselines(package.drift_check_baselines)
    plan = StagePlan(stage=stage, package=package, endpoint=endpoint, parameters=params, tags=dict(config.tags),
                     monitors=[])
    blocked = endpoint_problem(endpoint)
    if not blocked:
        plan.warnings, plan.notes = endpoint_findings(endpoint, stage)
    documents: dict[str, Any] = {}

    def document(path: str) -> Any:
        if path not in documents:
            documents[path] = load_baseline(objects, available[path], SOURCE_KINDS[path], available)
        return documents[path]

    for monitor in MONITORS:
        wanted = params.get(monitor.enable_param, specs[monitor.enable_param].default) == "yes"
        status = MonitorStatus(monitor=monitor, enabled=wanted)
        plan.monitors.append(status)
        if not wanted:
            where = config.path.name if monitor.enable_param in explicit else "the template's Default"
            status.reason = f"{monitor.enable_param} is \"no\" in {where}"
            continue
        problems = _monitor_problems(monitor, params, explicit, available, endpoint, blocked)
        derived: list[DerivedFile] = []
        if not problems:
            try:
                for baseline in monitor.baselines:
                    if baseline.param in explicit:
                        status.baselines[baseline.param] = explicit[baseline.param]
                        continue
                    docs = [document(path) for path in baseline.sources]
                    if not baseline.derive:
                        status.baselines[baseline.param] = available[baseline.sources[0]].uri
                        continue
                    file = derive(baseline.derive, docs, bucket=options.bucket, group=package.group,
                                  version=package.version, monitor_key=monitor.key, param=baseline.param,
                                  model_name=endpoint.model_name if endpoint else None)
                    derived.append(file)
                    status.baselines[baseline.param] = file.uri
                for path in monitor.optional_sources:
                    if path in available:
                        document(path)
                        status.shown[path] = available[path].uri
            except BaselineProblem as exc:
                problems = [str(exc)]
        if problems:
            status.enabled = False
            status.reason = "; ".join(problems)
            status.baselines.clear()
            status.shown.clear()
            plan.warnings.append(f"{stage}: {monitor.title} monitor disabled: {status.reason}")
            continue
        params.update(status.baselines)
        plan.derived.extend(derived)
    for status in plan.monitors:
        if params.get(status.monitor.enable_param, "no") in ("yes", "no"):  # else validation names the bad value
            params[status.monitor.enable_param] = "yes" if status.enabled else "no"
    curve = _label_curve(plan, objects, specs)
    sized: dict[str, RecallAlarm] = {}
    _alarm_thresholds(plan, explicit, specs, available, document, curve, sized)
    _matured_evaluation(plan, explicit, specs, available, document, sized, options)
    _processing_inputs(plan, explicit, specs)
    fill_missed_run_hours(params, explicit, specs)
    return plan


def _processing_inputs(plan: StagePlan, explicit: dict[str, str], specs: dict[str, ParameterSpec]) -> None:
    """The processing engine reads captures itself: where the endpoint writes them and under which variants
    (Model Monitor finds both from the endpoint). A value in the stage file wins."""
    params = plan.parameters
    if params.get("MonitoringEngine", specs["MonitoringEngine"].default) != PROCESSING or plan.endpoint is None:
        return
    destination = (plan.endpoint.capture or {}).get("DestinationS3Uri", "")
    if "DataCaptureS3Uri" not in explicit and destination:
        params["DataCaptureS3Uri"] = destination.rstrip("/")
    if "CaptureVariantNames" not in explicit and plan.endpoint.variants:
        params["CaptureVariantNames"] = ",".join(variant.name for variant in plan.endpoint.variants)


def _monitor_problems(monitor: Monitor, params: dict[str, str], explicit: dict[str, str],
                      available: dict[str, Baseline], endpoint: EndpointInfo | None, blocked: str) -> list[str]:
    if blocked:
        return [blocked]
    problems = []
    for baseline in monitor.baselines:
        if baseline.param in explicit:
            continue
        missing = [path for path in baseline.sources if path not in available]
        if missing:
            problems.append(f"{', '.join(missing)} missing from the model package's DriftCheckBaselines")
    if monitor.needs_ground_truth and not params.get("GroundTruthInput"):
        problems.append("GroundTruthInput is empty")
    needs_name = monitor.needs_model_name and any(b.derive and b.param not in explicit for b in monitor.baselines)
    if needs_name and endpoint is not None and not endpoint.model_name:
        problems.append(f"the deployed model's name is unknown ({endpoint.reason})")
    elif needs_name and endpoint is not None and endpoint.primary and not endpoint.primary.model_exists:
        problems.append(f"the endpoint's model '{endpoint.model_name}' no longer exists (deleted behind the live "
                        "endpoint), so Clarify cannot start its shadow endpoint from it; redeploy with ModelDeploy")
    return problems


def _alarm_thresholds(plan: StagePlan, explicit: dict[str, str], specs: dict[str, ParameterSpec],
                      available: dict[str, Baseline], document: Any, curve: Curve | None = None,
                      sized: dict[str, RecallAlarm] | None = None) -> None:
    """Fill the drift and model quality alarm thresholds from the baselines (thresholds.py); record problems."""
    problems, notes = drift_problems_and_thresholds(plan.parameters, explicit, available, document)
    warnings, more_notes = model_quality_threshold(plan.parameters, explicit, specs, available, document, curve, sized)
    plan.problems += problems
    plan.warnings += [f"{plan.stage}: {warning}" for warning in warnings]
    plan.notes += [f"{plan.stage}: {note}" for note in notes + more_notes]


def ground_truth_note(plan: StagePlan, s3: Any) -> None:
    """Labels may not have arrived yet: an empty ground-truth prefix is a note, never a failure."""
    if not any(status.enabled and status.monitor.needs_ground_truth for status in plan.monitors):
        return
    from pipelines.core.s3uri import S3UriError, parse_s3_uri

    uri = plan.parameters["GroundTruthInput"]
    try:
        bucket, prefix = parse_s3_uri(uri)
    except S3UriError:
        return  # a malformed GroundTruthInput from the stage file: validation reports it with the others
    try:
        labelled = aws.any_object(s3, bucket, prefix.rstrip("/") + "/")
    except MonitorError as exc:  # labels live outside this run's control: report, never fail the run
        plan.notes.append(f"{plan.stage}: cannot check the ground truth prefix: {exc}")
        return
    if not labelled:
        plan.notes.append(f"{plan.stage}: no labels under {uri} yet; model quality and bias jobs find nothing to "
                          "merge until labels arrive (python -m pipelines.ground_truth uploads them)")


# ---- matured labels (issue 18) -------------------------------------------------------------------------------------


def _model_quality_on(plan: StagePlan) -> bool:
    return any(s.enabled and s.monitor.key == "model-quality" for s in plan.monitors)


def _label_curve(plan: StagePlan, objects: S3Objects, specs: dict[str, ParameterSpec]) -> Curve | None:
    """The stage's label development curve (label_development.py), None before the first matured day.

    One GetObject per stage. A curve that exists but cannot be read is a warning (``--strict`` fails): early recall
    would silently go unjudged.
    """
    params = plan.parameters
    if not _model_quality_on(plan) or not params.get("GroundTruthInput"):
        return None
    try:
        uri = curve_uri(params["GroundTruthInput"], params["EndpointName"])
    except ValueError:
        return None  # a malformed GroundTruthInput: validation reports it
    try:
        body = objects.read(uri)
    except BaselineProblem:
        return None  # no curve yet: the threshold notes say so
    except MonitorError as exc:  # e.g. no s3:GetObject on it: the early alarm would silently not be sized
        plan.warnings.append(f"{plan.stage}: cannot read the label development curve {uri} ({exc}); early recall is "
                             "not judged until it can be read")
        return None
    try:
        curve = summarize(json_loads(body))
    except (ValueError, CurveError) as exc:
        plan.warnings.append(f"{plan.stage}: the label development curve {uri} cannot be read ({exc}); early recall "
                             "is not judged until it is fixed: rerun python -m pipelines.ground_truth "
                             "--matured-negatives, or delete the file to start the history again")
        return None
    maturity = params.get("LabelMaturityDays") or specs["LabelMaturityDays"].default or ""
    if str(curve.maturity_days) != maturity:
        plan.warnings.append(f"{plan.stage}: the label development curve {uri} was measured with a "
                             f"{curve.maturity_days}-day maturity but LabelMaturityDays is {maturity}; early "
                             "thresholds are not derived from it: start a new history or set LabelMaturityDays back")
        return None
    return curve


def _matured_evaluation(plan: StagePlan, explicit: dict[str, str], specs: dict[str, ParameterSpec],
                        available: dict[str, Baseline], document: Any, sized: dict[str, RecallAlarm],
                        options: RunOptions) -> None:
    """The matured model quality schedule's constraints, and the early one's when its alarm is sized: derived files
    with the alarm thresholds, so Model Monitor's own verdict agrees with the alarm."""
    params = plan.parameters
    if not _model_quality_on(plan):
        return
    maturity = params.get("LabelMaturityDays") or specs["LabelMaturityDays"].default or "90"
    params.setdefault("LabelMaturityDays", maturity)  # in every export: the day-2 tools read it
    runs_as = ("a Scheduler schedule and state machine running the analyzer image (MonitoringEngine processing)"
               if params.get("MonitoringEngine") == "processing" else "a Model Monitor schedule")
    plan.notes.append(f"{plan.stage}: label maturity {maturity} days (LabelMaturityDays): each day of transactions is "
                      f"evaluated again {maturity} days later (schedule {params['MonitoringScheduleBaseName']}-model-"
                      f"quality-matured, {runs_as}, captures -P{maturity}DT24H to -P{maturity}D) for recall, "
                      "precision and false-positive rate, once python -m pipelines.ground_truth --matured-negatives "
                      "has written its negatives")
    _matured_pages_without_watchdog(plan, specs, maturity)
    if params.get("MonitoringEngine") == "processing":
        _processing_model_quality_notes(plan, specs, maturity)
    registry_constraints = available[MQ_CONSTRAINTS].uri if MQ_CONSTRAINTS in available else ""
    if "ModelQualityBaselineConstraints" in explicit or MQ_STATISTICS not in available or not registry_constraints:
        if "ModelQualityMaturedBaselineConstraints" not in explicit:
            params["ModelQualityMaturedBaselineConstraints"] = params.get("ModelQualityBaselineConstraints", "")
            plan.notes.append(f"{plan.stage}: the matured model quality job uses ModelQualityBaselineConstraints as "
                              "is (no registry statistics to size its thresholds)")
        return
    package = plan.package
    daily = expected_daily_frauds(params)
    windows = [("matured", "ModelQualityMaturedBaselineConstraints", MATURED_PARAM),
               ("early", "ModelQualityBaselineConstraints", EARLY_PARAM)]
    for window, param, alarm_param in windows:
        if param in explicit and window == "matured":
            continue
        threshold = params.get(alarm_param, "")
        alarm = sized.get(window)
        frauds = alarm.expected_frauds if alarm else daily
        derived = derived_constraints(document(MQ_CONSTRAINTS), document(MQ_STATISTICS), frauds or 0.0,
                                      params.get("ModelQualityAlarmMetric", "recall"), threshold,
                                      early=window == "early") if threshold and frauds else None
        if derived is None:
            if window == "matured":
                params[param] = registry_constraints
                plan.notes.append(f"{plan.stage}: the matured model quality job uses the registry constraints as is "
                                  "(no derived thresholds: see the alarm notes)")
            continue
        file = derive_document(derived, bucket=options.bucket, group=package.group, version=package.version,
                               monitor_key="model-quality", name=f"constraints-{window}", param=param)
        plan.derived.append(file)
        params[param] = file.uri
        status = next(s for s in plan.monitors if s.monitor.key == "model-quality")
        status.baselines[param] = file.uri


def _matured_pages_without_watchdog(plan: StagePlan, specs: dict[str, ParameterSpec], maturity: str) -> None:
    """Without the watchdog, the failed-execution rule pages every failure, and the matured schedule fails daily
    until captures reach its window: say so (issue 18: never silently)."""
    params = plan.parameters

    def value(name: str) -> str:
        return params.get(name, specs[name].default or "") if name in specs else params.get(name, "")

    topic = value("NotificationTopicArn") or value("NotificationEmail")
    if not topic or value("EnableWatchdog") != "no" or value("ScheduleExpression") == "NOW":
        return
    base = params["MonitoringScheduleBaseName"]
    plan.notes.append(f"{plan.stage}: EnableWatchdog is \"no\": the matured schedule {base}-model-quality-matured "
                      f"fails daily for its first {maturity} days or so after deployment (its window, "
                      f"-P{maturity}DT24H to -P{maturity}D, holds no captures yet), and MonitoringExecutionFailedRule "
                      "pages each failure, as it pages the model quality and bias schedules while no labels have "
                      "arrived; set EnableWatchdog to \"yes\" to make those daily notes until the first window is "
                      "over (docs/watchdog.md)")


def _processing_model_quality_notes(plan: StagePlan, specs: dict[str, ParameterSpec], maturity: str) -> None:
    """On the processing engine: model quality's no-data failures are a daily note during the first maturity window
    (devtools/processing_engine_block.py). (It runs on InstanceCount instances as data quality does: shards and a
    merge step, pipelines/analyze/mq_partial.py.)"""
    params = plan.parameters

    def value(name: str) -> str:
        return params.get(name, specs[name].default or "") if name in specs else params.get(name, "")

    base = params["MonitoringScheduleBaseName"]
    if not (value("NotificationTopicArn") or value("NotificationEmail")):
        return
    quiet = " and, on this stage (StageTraffic intermittent), after it too" \
        if value("StageTraffic") == "intermittent" else ""
    runs = "model quality or bias run" if value("EnableModelBiasMonitor") == "yes" else "model quality run"
    plan.notes.append(f"{plan.stage}: processing engine: a {runs} with no data or no ground truth in its "
                      f"window sends one note a day to the alarm topic, not a page, until its state machine is "
                      f"{maturity} days old ({base}-model-quality-matured: {maturity} days + 24 h){quiet}; after "
                      "that it pages (docs/processing-engine.md)")


def capture_retention_check(plan: StagePlan, s3: Any, specs: dict[str, ParameterSpec]) -> None:
    """Warn (``--strict``: fail) when the capture bucket's lifecycle rules expire or archive captures before the
    matured evaluation reads them (capture_retention.py)."""
    from pipelines.deploy.capture_retention import capture_retention_warning

    endpoint = plan.endpoint
    destination = (endpoint.capture or {}).get("DestinationS3Uri") if endpoint and endpoint.exists else None
    if not _model_quality_on(plan) or not destination:
        return
    maturity = plan.parameters.get("LabelMaturityDays") or specs["LabelMaturityDays"].default or "90"
    if not maturity.isdigit():
        return  # validation names the bad value
    warning = capture_retention_warning(s3, destination, endpoint.name, int(maturity))
    if warning:
        plan.warnings.append(f"{plan.stage}: {warning}")

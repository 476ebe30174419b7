"""Entrypoint of the analyzer as a custom Model Monitor container (bring your own container).

The contract (AWS docs; details and sources in docs/analyzer.md):
- inputs, model-monitor-byoc-contract-inputs: environment ``dataset_source`` (local folder holding
  ``<endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl``), ``output_path``, ``start_time``, ``end_time``,
  ``publish_cloudwatch_metrics``, ``sagemaker_endpoint_name``, ``sagemaker_monitoring_schedule_name``, and
  ``baseline_statistics`` / ``baseline_constraints`` (local paths, only when the schedule has a baseline);
- outputs, model-monitor-byoc-contract-outputs: ``statistics.json``, ``constraints.json`` and
  ``constraint_violations.json`` in ``output_path`` (uploaded to S3 by the platform); the execution status from
  ``/opt/ml/output/message`` ("CompletedWithViolations: ..." vs "Completed: ..."); a failure's reason in
  ``/opt/ml/output/failure`` (the Processing job contract);
- metrics, model-monitor-byoc-cloudwatch: with ``publish_cloudwatch_metrics=Enabled``, one JSON record a line in
  ``/opt/ml/output/metrics/cloudwatch`` (``MetricName``, ``Timestamp``, ``Dimensions`` [Endpoint,
  MonitoringSchedule], ``Value`` or ``StatisticValues``); the platform publishes them.
Ours, set in the job definition's Environment: ``analyzer_command`` (data-quality, the default; model-quality;
estimate; clarify-dataset and clarify-check, the steps around the Clarify job of model bias on the processing engine,
shap-dataset and shap-check, the same for model explainability, with ``analysis_config``: the registered bias config
or the derived explainability config; ``dataset_source`` of clarify-check is the folder holding
Clarify's analysis.json), ``ground_truth`` (s3:// prefix of the labels; the contract has no input for them in a custom
container), ``threshold`` (0.5), ``calibration`` (s3:// URI of calibration.json, for the estimate),
``cloudwatch_namespace`` (set by the processing engine, issue 19: publish the
metrics with PutMetricData in this namespace instead of writing the file Model Monitor publishes).
``ANALYZER_OPT_ML`` moves /opt/ml (tests only).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pipelines.core.errors import EXIT_OK, MonitorError, UsageError
from pipelines.formats.times import iso_z

COMMANDS = ("data-quality", "model-quality", "estimate", "clarify-dataset", "clarify-check", "shap-dataset",
            "shap-check")


def opt_ml() -> Path:
    return Path(os.environ.get("ANALYZER_OPT_ML", "/opt/ml"))


def _env(name: str, required: bool = False) -> str | None:
    value = os.environ.get(name) or None
    if required and not value:
        raise UsageError(f"environment variable {name} is not set; Model Monitor sets it for a monitoring "
                         "execution (see docs/analyzer.md to run the container by hand)")
    return value


def run() -> tuple[Any, str]:
    """Run the analysis the environment asks for; (outcome, output_path)."""
    from pipelines.analyze import commands
    from pipelines.analyze.capture import Window
    from pipelines.analyze.sources import Reader
    from pipelines.formats.times import parse_time_flag as parse_time

    command = _env("analyzer_command") or "data-quality"
    if command not in COMMANDS:
        raise UsageError(f"analyzer_command '{command}' is not one of {', '.join(COMMANDS)}")
    source, output = _env("dataset_source", True), _env("output_path", True)
    start, end = _env("start_time"), _env("end_time")
    window = Window(parse_time(start, "start_time") if start else None, parse_time(end, "end_time") if end else None)
    threshold = float(_env("threshold") or 0.5)
    reader = Reader()
    if command == "data-quality":
        outcome = commands.data_quality(reader, source, window, _env("baseline_statistics", True),
                                        _env("baseline_constraints", True), output_columns_position())
    elif command == "model-quality":
        outcome = commands.model_quality(reader, source, window, _env("ground_truth", True),
                                         _env("baseline_constraints"), threshold)
    elif command == "estimate":
        outcome = commands.estimate(reader, source, window, threshold, _env("ground_truth"),
                                    _env("baseline_statistics"), _env("baseline_constraints"), _env("calibration"))
    else:  # model bias on the processing engine (pipelines/analyze/clarify.py): before and after the Clarify job
        from pipelines.analyze import clarify

        if command == "clarify-dataset":
            return clarify.clarify_dataset(reader, source, window, _env("ground_truth", True),
                                           _env("analysis_config", True), threshold), output
        if command == "shap-dataset":
            return clarify.shap_dataset(reader, source, window, _env("analysis_config", True)), output
        check = clarify.clarify_check if command == "clarify-check" else clarify.shap_check
        return check(reader, f"{source.rstrip('/')}/{clarify.ANALYSIS_FILE}", _env("baseline_constraints", True)), \
            output
    constraints_at = _env("baseline_constraints")
    outcome.files["constraints.json"] = reader.read_json(constraints_at, "baseline constraints") if constraints_at \
        else {"version": 0.0}
    return outcome, output


def output_columns_position() -> str:
    """``output_columns_position`` from the ``dataset_format`` environment variable, as Model Monitor's analyzer
    takes it: the SDK writes ``{"csv": {"header": false, "output_columns_position": "START"}}``
    (``DatasetFormat.csv``, aws/sagemaker-python-sdk src/sagemaker/model_monitor/dataset_format.py); START when
    the format does not say (a schedule's ``{"sagemakerCaptureJson": {...}}``), as the real jobs' logs print."""
    raw = _env("dataset_format")
    if not raw:
        return "START"
    try:
        document = json.loads(raw)
    except json.JSONDecodeError:
        raise UsageError(f"environment variable dataset_format is not JSON ({raw[:80]!r}); use e.g. "
                         '{"csv": {"header": false, "output_columns_position": "START"}}') from None
    formats = document.values() if isinstance(document, dict) else []
    found = [item["output_columns_position"] for item in formats
             if isinstance(item, dict) and "output_columns_position" in item]
    position = found[0] if found else "START"
    if position not in ("START", "END"):
        raise UsageError(f"dataset_format output_columns_position {position!r} is not START or END")
    return position


def metric_records(outcome: Any, when: datetime) -> list[str]:
    """CloudWatch records as the BYOC page shows them, one JSON object a line.

    ``cloudwatch_endpoint_dimension`` (processing engine, data quality): the endpoint dimension's name the drift
    alarms query (the template's DataQualityMetricsEndpointDimension; AWS's pages disagree on it), "Endpoint" else.
    """
    endpoint_dimension = os.environ.get("cloudwatch_endpoint_dimension") or "Endpoint"
    dimensions = [{"Name": endpoint_dimension, "Value": os.environ.get("sagemaker_endpoint_name", "")},
                  {"Name": "MonitoringSchedule", "Value": os.environ.get("sagemaker_monitoring_schedule_name", "")}]
    stamp = iso_z(when)
    # a metric's own Dimensions follow the two (bias: BiasStage, Label, LabelValue, Facet, FacetValue)
    return [json.dumps({"MetricName": metric["MetricName"], "Timestamp": stamp,
                        "Dimensions": dimensions + metric.get("Dimensions", []),
                        **{key: value for key, value in metric.items() if key not in ("MetricName", "Dimensions")}},
                       sort_keys=True)
            for metric in outcome.metrics]


PUT_METRIC_BATCH = 20  # metrics per PutMetricData request: the long-standing limit (newer accounts take 1000)


def publish_metrics(records: list[str], namespace: str, cloudwatch: Any = None) -> int:
    """PutMetricData of the records metric_records wrote, in ``namespace``; the number of requests made.

    The processing engine's jobs run without Model Monitor, which would otherwise publish the records file
    (model-monitor-byoc-cloudwatch); the metric names, dimensions and timestamps are the same, so the alarms and
    ``--check-alarms`` see the same metrics with either engine. Goes through the one AWS boundary (pipelines.core.aws).

    Raises:
        AwsError: CloudWatch refused or could not be reached (the job then fails and pages).
    """
    from pipelines.core import aws
    from pipelines.formats.times import parse_iso8601

    client = cloudwatch or aws.make_client(aws.make_session(), "cloudwatch")
    data = []
    for line in records:
        record = json.loads(line)
        datum = {"MetricName": record["MetricName"], "Dimensions": record["Dimensions"],
                 "Timestamp": parse_iso8601(record["Timestamp"])}
        datum.update({key: record[key] for key in ("Value", "StatisticValues", "Unit") if key in record})
        data.append(datum)
    requests = 0
    for start in range(0, len(data), PUT_METRIC_BATCH):
        aws.call(client, "PutMetricData", f"CloudWatch namespace {namespace}", Namespace=namespace,
                 MetricData=data[start:start + PUT_METRIC_BATCH])
        requests += 1
    return requests


def main() -> int:
    """Always exit 0 when the analysis ran (the message file carries Completed vs CompletedWithViolations); a bad
    input or runtime failure writes /opt/ml/output/failure and exits with its code (the job then Fails)."""
    from pipelines.analyze import commands

    output_dir = opt_ml() / "output"
    try:
        outcome, output_path = run()
        commands.write_outputs(outcome, output_path)
    except MonitorError as exc:
        output_dir.mkdir(parents=True, exist_ok=True)
        (output_dir / "failure").write_text(str(exc)[:1024])
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    for line in outcome.warnings + outcome.lines:
        print(line)
    from pipelines.formats.times import parse_time_flag as parse_time

    end = _env("end_time")
    when = parse_time(end, "end_time") if end else datetime.now(timezone.utc)  # the window's end, as MM stamps
    if (_env("publish_cloudwatch_metrics") or "Disabled") == "Enabled" and outcome.metrics:
        records = metric_records(outcome, when)
        namespace = _env("cloudwatch_namespace")
        if namespace:  # the processing engine: no Model Monitor harness publishes the file, so publish here
            try:
                publish_metrics(records, namespace)
            except MonitorError as exc:
                output_dir.mkdir(parents=True, exist_ok=True)
                reason = f"the analysis was written, but its CloudWatch metrics were not: {exc}"
                (output_dir / "failure").write_text(reason[:1024])
                print(f"error: {reason}", file=sys.stderr)
                return exc.exit_code
        else:
            metrics_dir = output_dir / "metrics" / "cloudwatch"
            metrics_dir.mkdir(parents=True, exist_ok=True)
            (metrics_dir / "metrics.jsonl").write_text("\n".join(records) + "\n")
    output_dir.mkdir(parents=True, exist_ok=True)
    count = len(outcome.violations)
    if outcome.exit_violations:
        unchecked = "baseline metrics missing from the analysis" if (_env("analyzer_command") or "").endswith(
            "-check") else "calibration assumption fails"
        reason = f"{count} violation(s)" + (f"; {unchecked}" if outcome.failed_assumption else "") + \
            ("; score drift" if getattr(outcome, "score_drift", False) else "")
        message = f"CompletedWithViolations: {reason}"
    else:
        message = "Completed: no violations"
    (output_dir / "message").write_text(message)
    print(message)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

"""Entrypoint of the analyzer as a custom Model Monitor container (bring your own container).

The contract (AWS docs; details and sources in docs/analyzer.md):
- inputs, model-monitor-byoc-contract-inputs: environment ``dataset_source`` (local folder holding
  ``<endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl``), ``output_path``, ``start_time``, ``end_time``,
  ``publish_cloudwatch_metrics``, ``sagemaker_endpoint_name``, ``sagemaker_monitoring_schedule_name``, and
  ``baseline_statistics`` / ``baseline_constraints`` (local paths, only when the schedule has a baseline);
- outputs, model-monitor-byoc-contract-outputs: ``statistics.json``, ``constraints.json`` and
  ``constraint_violations.json`` in ``output_path`` (uploaded to S3 by the platform); the execution status from
  ``/opt/ml/output/message`` ("CompletedWithViolations: ..." vs "Completed: ..."); a failure's reason in the same
  file (the Processing job contract, byoc-metadata: its first 1 KB is the job's ExitMessage);
- metrics, model-monitor-byoc-cloudwatch: with ``publish_cloudwatch_metrics=Enabled``, one JSON record a line in
  ``/opt/ml/output/metrics/cloudwatch`` (``MetricName``, ``Timestamp``, ``Dimensions`` [Endpoint,
  MonitoringSchedule], ``Value`` or ``StatisticValues``); the platform publishes them.
Ours, set in the job definition's Environment: ``analyzer_command`` (data-quality, the default; model-quality;
estimate; merge-statistics; merge-model-quality; clarify-dataset and clarify-check, the steps around the Clarify job of model bias on the processing engine,
shap-dataset and shap-check, the same for model explainability, with ``analysis_config``: the registered bias config
or the derived explainability config; ``dataset_source`` of clarify-check is the folder holding
Clarify's analysis.json), ``ground_truth`` (s3:// prefix of the labels; the contract has no input for them in a custom
container), ``threshold`` (0.5), ``calibration`` (s3:// URI of calibration.json, for the estimate),
``cloudwatch_namespace`` (set by the processing engine, issue 19: publish the metrics with PutMetricData in this
namespace instead of writing the file Model Monitor publishes), ``metric_time`` (set by the processing engine: the
scheduled hour, the metrics' timestamp instead of the window's end; below), ``shard_count`` (below).

Metric timestamps: Model Monitor's records carry the window's end (model-monitor-byoc-cloudwatch shows a Timestamp,
not which one). A model quality window ends days before the run (-P7D; -P<LabelMaturityDays>D for the matured job),
and CloudWatch takes PutMetricData time stamps "as much as two weeks before the current date" (botocore's
PutMetricData documentation), while an alarm with a one-day period judges the latest day only: a metric stamped at
the window's end would be refused (matured) or never judged (early). So the processing engine stamps every metric with
the execution's scheduled hour (``metric_time``), which is when Model Monitor's own executions publish as we read it
(undocumented).
``ANALYZER_OPT_ML`` moves /opt/ml (tests only).

Sharded data quality (a Processing job with InstanceCount N, capture input ShardedByS3Key; docs/analyzer.md and
docs/processing-engine.md):
- each instance: ``analyzer_command=data-quality`` with ``shard_count`` N > 1 (or ``partial_statistics=Enabled``);
  it writes only its partial statistics, ``<output_path>/<current_host>/statistics.json`` (the host from
  ``/opt/ml/config/resourceconfig.json``, which SageMaker Processing writes into every instance: all instances
  upload to one S3 prefix, so each writes under its own folder), with the baseline statistics and constraints inside,
  and the message ``Completed: partial statistics``;
- then one instance: ``python -m pipelines.analyze merge-statistics <the shards' files or folder> --output ...``
  (the processing engine's entrypoint: it needs no other input, the shards carry the baseline), or this entrypoint
  with ``analyzer_command=merge-statistics`` and ``dataset_source`` = the shards' folder, which also writes the
  message and the metric records as an unsharded data-quality run.

Sharded model quality (the same job shape; pipelines/analyze/mq_partial.py): ``analyzer_command=model-quality`` with
``shard_count`` N > 1 joins the instance's captures with all the window's ground truth and writes
``<output_path>/<current_host>/partial_model_quality.json`` (message ``Completed: partial model quality``; never
NoData: the merge decides that); ``analyzer_command=merge-model-quality`` with ``dataset_source`` = the shards' folder
writes the files, message (``NoData: ...`` included) and metric records of an unsharded model-quality run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from pipelines.core import clock
from pipelines.core.errors import EXIT_OK, EXIT_RUNTIME, MonitorError, NoDataError, UsageError
from pipelines.core.files import printable
from pipelines.formats.times import iso_z, parse_time_flag

COMMANDS = ("data-quality", "model-quality", "estimate", "merge-statistics", "merge-model-quality", "clarify-dataset",
            "clarify-check", "shap-dataset", "shap-check")
SHARDED = ("data-quality", "model-quality")  # the analyses that run as shards (partial) and a merge step
CLARIFY_CHECKS = ("clarify-check", "shap-check")  # read Clarify's analysis.json from dataset_source
# The contract's names for the settings the CLI takes as flags (same validation, same messages, other names)
ENV_NAMES = {"capture": "dataset_source", "start": "start_time", "end": "end_time", "output": "output_path",
             "threshold": "threshold", "statistics": "baseline_statistics", "constraints": "baseline_constraints",
             "ground_truth": "ground_truth", "calibration": "calibration"}
SWITCHES = ("Enabled", "Disabled")
NO_DATA_MARK = "NoData: "  # the message file's prefix for a window with nothing to analyse (NoDataError)
MESSAGE_BYTES = 1024  # DescribeProcessingJob's ExitMessage holds the first 1 KB of /opt/ml/output/message


def opt_ml() -> Path:
    return Path(os.environ.get("ANALYZER_OPT_ML", "/opt/ml"))


def _env(name: str, required: bool = False) -> str | None:
    value = os.environ.get(name) or None
    if required and not value:
        raise UsageError(f"environment variable {name} is not set; Model Monitor sets it for a monitoring "
                         "execution (see docs/analyzer.md to run the container by hand)")
    return value


def request() -> argparse.Namespace:
    """The environment as the CLI's arguments, each checked as the CLI checks its flag (``__main__.validate``)."""
    command = _env("analyzer_command") or "data-quality"
    if command not in COMMANDS:
        raise UsageError(f"analyzer_command '{command}' is not one of {', '.join(COMMANDS)}")
    publish = _env("publish_cloudwatch_metrics") or "Disabled"
    if publish not in SWITCHES:
        raise UsageError(f"publish_cloudwatch_metrics '{publish}' is not Enabled or Disabled")
    partial = _env("partial_statistics") or "Disabled"
    if partial not in SWITCHES:
        raise UsageError(f"partial_statistics '{partial}' is not Enabled or Disabled")
    shards = _env("shard_count") or "1"
    if not shards.isdigit() or int(shards) < 1:
        raise UsageError(f"shard_count '{shards}' is not a whole number of at least 1 (the job's InstanceCount)")
    metric_time = _env("metric_time")
    stamp = parse_time_flag(metric_time, "metric_time") if metric_time else None
    partial = partial == "Enabled" or int(shards) > 1
    if partial and command not in SHARDED:
        raise UsageError(f"partial_statistics=Enabled (or shard_count > 1) is for analyzer_command data-quality or "
                         f"model-quality, not {command}")
    checks = command == "data-quality"  # merge-statistics: the shards carry the baseline they ran against
    capture = _env("dataset_source", True)
    clarify_input = command in ("clarify-dataset", "shap-dataset")
    return argparse.Namespace(
        command=command, capture=capture, partials=[capture], output=_env("output_path", True),
        start=_env("start_time"), end=_env("end_time"), threshold=_env("threshold"),
        statistics=_env("baseline_statistics", checks),
        constraints=_env("baseline_constraints", (checks and not partial) or command in CLARIFY_CHECKS),
        ground_truth=_env("ground_truth", command in ("model-quality", "clarify-dataset")),
        config=_env("analysis_config", clarify_input), calibration=_env("calibration"), publish=publish == "Enabled",
        partial=partial, host=current_host() if partial else None, metric_time=stamp,
        partial_file=(f"{current_host()}/statistics.json" if command == "data-quality" else
                      f"{current_host()}/partial_model_quality.json") if partial else None,
        output_columns_position=output_columns_position())


def run() -> tuple[Any, argparse.Namespace]:
    """Run the analysis the environment asks for; (outcome, request)."""
    from pipelines.analyze.__main__ import analyze, validate
    from pipelines.analyze.sources import Reader

    args = request()
    window, threshold = validate(args, ENV_NAMES)
    reader = Reader()
    if args.command in CLARIFY_CHECKS:  # after the Clarify job of bias / explainability (processing engine)
        from pipelines.analyze import clarify

        check = clarify.clarify_check if args.command == "clarify-check" else clarify.shap_check
        return check(reader, f"{args.capture.rstrip('/')}/{clarify.ANALYSIS_FILE}", args.constraints), args
    outcome = analyze(args, window, threshold, reader)
    if args.command in ("clarify-dataset", "shap-dataset"):  # the Clarify job's inputs, no Model Monitor files
        return outcome, args
    if not args.partial and "constraints.json" not in outcome.files:  # a shard writes its partial statistics only
        outcome.files["constraints.json"] = reader.read_json(args.constraints, "baseline constraints") \
            if args.constraints else {"version": 0.0}
    return outcome, args


def current_host() -> str:
    """This instance's name in a Processing job (``current_host`` of /opt/ml/config/resourceconfig.json, e.g.
    ``algo-2``; AWS docs, build-your-own-processing-container); ``algo-1`` when the file is absent (one instance)."""
    path = opt_ml() / "config" / "resourceconfig.json"
    try:
        host = json.loads(path.read_text()).get("current_host")
    except FileNotFoundError:
        return "algo-1"
    except (OSError, ValueError, AttributeError):
        raise UsageError(f"{path} is not the JSON SageMaker Processing writes (current_host, hosts)") from None
    if not isinstance(host, str) or not host or not all(ch.isalnum() or ch in "._-" for ch in host):
        raise UsageError(f"{path} has no usable current_host ({host!r})")
    return host


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
                       sort_keys=True, allow_nan=False)
            for metric in outcome.metrics]


def write_message(text: str) -> None:
    """/opt/ml/output/message: the execution's status line, or a failure's reason (its first 1 KB, UTF-8, becomes
    DescribeProcessingJob's ExitMessage; AWS docs byoc-metadata)."""
    output_dir = opt_ml() / "output"
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "message").write_bytes(text.encode("utf-8")[:MESSAGE_BYTES].decode("utf-8", "ignore").encode())


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


def main(now: datetime | None = None) -> int:
    """Exit 0 when the analysis ran (the message file carries Completed vs CompletedWithViolations); a bad input or
    runtime failure writes its one-line reason to /opt/ml/output/message and exits with its code (the job then
    Fails). An unexpected error (a bug) is written there too, with its traceback on stderr for the job's log."""
    from pipelines.analyze import commands

    try:
        outcome, args = run()
        commands.write_outputs(outcome, args.output)
    except MonitorError as exc:
        reason = printable(str(exc))
        # "NoData: " marks a window with nothing to analyse (no captures, no labels yet): the processing engine's
        # model quality state machines match it in the job's ExitMessage and page it only after the first maturity
        # window (devtools/processing_engine_block.py); the reason itself is the CLI's line
        write_message(f"{NO_DATA_MARK}{reason}" if isinstance(exc, NoDataError) else reason)
        print(f"error: {reason}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - the job must fail with a reason, not an empty ExitMessage
        import traceback

        traceback.print_exc()
        write_message(f"internal error: {type(exc).__name__}: {exc}; please report it with the job's log")
        return EXIT_RUNTIME
    for line in outcome.warnings:
        print(f"warning: {printable(line)}")
    for line in outcome.lines:
        print(line)
    # the scheduled hour on the processing engine (module docstring), else the window's end, as Model Monitor stamps
    when = args.metric_time or (parse_time_flag(args.end, "end_time") if args.end else now or clock.utc_now())
    output_dir = opt_ml() / "output"
    if args.publish and outcome.metrics:
        records = metric_records(outcome, when)
        namespace = _env("cloudwatch_namespace")
        if namespace:  # the processing engine: no Model Monitor harness publishes the file, so publish here
            try:
                publish_metrics(records, namespace)
            except MonitorError as exc:
                reason = printable(f"the analysis was written, but its CloudWatch metrics were not: {exc}")
                write_message(reason)
                print(f"error: {reason}", file=sys.stderr)
                return exc.exit_code
        else:
            metrics_dir = output_dir / "metrics" / "cloudwatch"
            metrics_dir.mkdir(parents=True, exist_ok=True)
            (metrics_dir / "metrics.jsonl").write_text("\n".join(records) + "\n")
    count = len(outcome.violations)
    if args.partial:  # a shard: the merge step writes the execution's verdict
        message = "Completed: partial statistics" if args.command == "data-quality" else \
            "Completed: partial model quality"
    elif outcome.exit_violations:
        unchecked = "baseline metrics missing from the analysis" if args.command in CLARIFY_CHECKS \
            else "calibration assumption fails"
        reason = f"{count} violation(s)" + (f"; {unchecked}" if outcome.failed_assumption else "") + \
            ("; score drift" if getattr(outcome, "score_drift", False) else "")
        message = f"CompletedWithViolations: {reason}"
    else:
        message = "Completed: no violations"
    if outcome.skipped:  # never "fine" on less data than was there without saying so
        message += f"; {outcome.skipped} unreadable file(s), record(s) or row(s) skipped (see the job's log)"
    write_message(message)
    print(message)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

"""python -m pipelines.ground_truth: flags (with environment-variable fallbacks), then validate, compare, upload."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from pipelines.core import aws, clock
from pipelines.core.command import env_argument, parse_with_env, run_command
from pipelines.core.errors import ConfigError, UsageError
from pipelines.core.monitors import stage
from pipelines.core.progress import Progress
from pipelines.core.s3uri import S3UriError, parse_s3_uri
from pipelines.core.stage_params import load_stage_params, missing_parameter
from pipelines.formats.times import parse_time_flag
from pipelines.ground_truth.coverage import capture_coverage
from pipelines.ground_truth.label_file import detect_format, validate
from pipelines.ground_truth.render import render_coverage, render_upload, render_validation, validation_error
from pipelines.ground_truth.s3_labels import check_existing, upload
from pipelines.ground_truth.shapes import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_LOOKBACK_HOURS,
    DEFAULT_NEGATIVE,
    DEFAULT_POSITIVE,
    LabelSpec,
)

# ---- CLI -----------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Flags, each falling back to an environment variable (checked like the flag itself)."""
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.ground_truth",
        description="Validate a label file and upload it as SageMaker Model Monitor ground truth.")
    add = parser.add_argument
    add("labels", type=Path, nargs="?", help="CSV or JSON-lines label file (not with --matured-negatives)")
    env_argument(parser, "--stage", "STAGE", type=stage, metavar="STAGE",
                 help="stage whose GroundTruthInput receives the labels (env STAGE)")
    env_argument(parser, "--params-file", "PARAMS_FILE",
                 help="template configuration of the stage (env PARAMS_FILE; default "
                      "<stage>-config-export.json, then <stage>-monitoring-schedule-config.json)")
    env_argument(parser, "--ground-truth-s3-uri", "GROUND_TRUTH_S3_URI",
                 help="override the stage's GroundTruthInput (env GROUND_TRUTH_S3_URI)")
    env_argument(parser, "--format", "LABELS_FORMAT", choices=("csv", "jsonl"),
                 help="input format (env LABELS_FORMAT; default: from the extension)")
    env_argument(parser, "--id-column", "LABELS_ID_COLUMN", default="inference_id",
                 help="column with the inference id or capture event id (env LABELS_ID_COLUMN)")
    env_argument(parser, "--label-column", "LABELS_LABEL_COLUMN", default="is_fraud",
                 help="column with the label (env LABELS_LABEL_COLUMN)")
    env_argument(parser, "--time-column", "LABELS_TIME_COLUMN",
                 help="ISO-8601 label collection time column (env LABELS_TIME_COLUMN; default: now, UTC)")
    env_argument(parser, "--positive-values", "LABELS_POSITIVE_VALUES", default=DEFAULT_POSITIVE,
                 help="comma-separated values meaning fraud, case-insensitive (env LABELS_POSITIVE_VALUES)")
    env_argument(parser, "--negative-values", "LABELS_NEGATIVE_VALUES", default=DEFAULT_NEGATIVE,
                 help="comma-separated values meaning not fraud (env LABELS_NEGATIVE_VALUES)")
    env_argument(parser, "--batch-size", "LABELS_BATCH_SIZE", type=int, default=DEFAULT_BATCH_SIZE,
                 help="records per S3 object (env LABELS_BATCH_SIZE)")
    add("--skip-invalid", action="store_true", help="upload the valid rows of a file with errors")
    add("--dry-run", action="store_true", help="validate and show what would be written")
    add("--check-coverage", action="store_true",
        help="join the labels with the endpoint's data-capture files of a time window")
    env_argument(parser, "--capture-s3-uri", "CAPTURE_S3_URI",
                 help="the endpoint's DataCaptureConfig DestinationS3Uri (env CAPTURE_S3_URI)")
    env_argument(parser, "--endpoint-name", "ENDPOINT_NAME",
                 help="endpoint whose captures are read (env ENDPOINT_NAME; default: the stage's)")
    env_argument(parser, "--window-hours", "COVERAGE_WINDOW_HOURS", type=int, default=24,
                 help="capture hours to read, ending with --window-end (env COVERAGE_WINDOW_HOURS)")
    env_argument(parser, "--window-end", "COVERAGE_WINDOW_END",
                 help="ISO-8601 end of the capture window (env COVERAGE_WINDOW_END; default: now)")
    add("--replace-conflicting", action="store_true",
        help="replace an earlier upload's different label for an id instead of refusing the file")
    add("--lookback-hours", type=int, default=DEFAULT_LOOKBACK_HOURS,
        help="hours of earlier uploads compared for duplicates and conflicts; older label times are "
             "rejected (default: %(default)s, the -P8D ground-truth offset plus a day)")
    add("--matured-negatives", action="store_true",
        help="for one matured day of captures (--day), write a 0 label for every captured id without a label and "
             "update the label development curve; needs --capture-s3-uri (docs/day2.md)")
    env_argument(parser, "--day", "MATURED_DAY",
                 help="--matured-negatives: the day of transactions, yyyy-mm-dd (env MATURED_DAY; default: the newest "
                      "day whose labels are mature, LabelMaturityDays + 1 days ago)")
    env_argument(parser, "--log-level", "LOG_LEVEL", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                 help="(env LOG_LEVEL)")
    return parse_with_env(parser, argv)


def _values(text: str, flag: str) -> frozenset[str]:
    values = frozenset(v.strip().lower() for v in text.split(",") if v.strip())
    if not values:
        raise UsageError(f"{flag} is empty; give comma-separated values such as {DEFAULT_POSITIVE}")
    return values


def resolve_targets(args: argparse.Namespace, *, need_endpoint: bool = False) -> tuple[str, str | None]:
    """(GroundTruthInput, EndpointName) from flags, else the stage's parameter file."""
    gt_uri, endpoint = args.ground_truth_s3_uri, args.endpoint_name
    if not gt_uri or ((args.check_coverage or need_endpoint) and not endpoint):
        if not args.stage and not args.params_file:
            raise UsageError("no destination: pass --stage (or --params-file), or --ground-truth-s3-uri")
        params, source = load_stage_params(args.stage, args.params_file)
        if not gt_uri:
            if "GroundTruthInput" not in params:
                raise missing_parameter("GroundTruthInput", source, "pass --ground-truth-s3-uri")
            gt_uri = params["GroundTruthInput"]
            if not gt_uri:
                raise ConfigError(f"GroundTruthInput is empty in {source} (model quality and bias monitors are "
                                  "off); set it in the stage config or pass --ground-truth-s3-uri")
        endpoint = endpoint or params.get("EndpointName") or None
    try:
        parse_s3_uri(gt_uri)  # a bucket root is refused: the labels would land outside any GroundTruthInput prefix
    except S3UriError as exc:
        raise UsageError(f"ground truth destination {exc}; pass --ground-truth-s3-uri s3://<bucket>/<prefix>, the "
                         "stage's GroundTruthInput (e.g. s3://<bucket>/ground-truth/<endpoint>)") from exc
    return gt_uri, endpoint


def run(args: argparse.Namespace, *, s3: Any = None, now: datetime | None = None, out: Any = None) -> int:
    """Validate, optionally check coverage, then upload; returns the exit code."""
    out = out or sys.stdout
    now = now or clock.utc_now()
    if args.batch_size < 1:
        raise UsageError(f"--batch-size {args.batch_size} must be at least 1")
    if args.window_hours < 1 or args.window_hours > 24 * 31:
        raise UsageError(f"--window-hours {args.window_hours} must be between 1 and 744")
    positive = _values(args.positive_values, "--positive-values")
    negative = _values(args.negative_values, "--negative-values")
    if positive & negative:
        raise UsageError(f"{', '.join(sorted(positive & negative))} is both a positive and a negative value; "
                         "fix --positive-values / --negative-values")
    if args.matured_negatives:
        return _run_matured(args, s3=s3, now=now, out=out)
    if args.labels is None:
        raise UsageError("no label file given; pass the CSV or JSON-lines file of labels (or --matured-negatives)")
    if args.check_coverage and not args.capture_s3_uri:
        raise UsageError("--check-coverage needs --capture-s3-uri (the endpoint's data capture destination)")
    spec = LabelSpec(path=args.labels, fmt=detect_format(args.labels, args.format), id_column=args.id_column,
                     label_column=args.label_column, time_column=args.time_column or None,
                     positive=positive, negative=negative)
    gt_uri, endpoint = resolve_targets(args)
    if args.check_coverage and not endpoint:
        raise UsageError("--check-coverage needs the endpoint name; pass --endpoint-name or --stage")
    window_end = parse_time_flag(args.window_end, "--window-end") if args.window_end else now

    if args.lookback_hours < 1:
        raise UsageError(f"--lookback-hours {args.lookback_hours} must be at least 1")
    progress = Progress(f"ground truth {spec.path.name}").start()  # stderr, only on a terminal after ~2 s
    progress.step("validating labels")
    try:
        result = validate(spec, now, args.lookback_hours)
    except BaseException:
        progress.stop()
        raise
    try:
        if s3 is None:
            s3 = aws.make_client(aws.make_session(), "s3")
        progress.step(f"comparing with the labels uploaded in the last {args.lookback_hours} hours")
        check_existing(result, s3, gt_uri, now=now, lookback_hours=args.lookback_hours,
                       replace=args.replace_conflicting)
        out.write(render_validation(spec, result, gt_uri))
        if args.check_coverage:
            progress.step("joining with the captures")
            cov = capture_coverage(s3, args.capture_s3_uri, endpoint or "", result.store, end=window_end,
                                   hours=args.window_hours)
            if not cov.files:  # nothing to join: a wrong prefix or window must not read as "0 of 0 matched"
                raise UsageError(f"no Data Capture files under {cov.capture_prefix} from {cov.window_start:%Y-%m-%dT%H:%MZ} "
                                 f"to {cov.window_end:%Y-%m-%dT%H:%MZ}; check --capture-s3-uri (the endpoint's "
                                 "DataCaptureConfig DestinationS3Uri) and --window-end / --window-hours")
            out.write(render_coverage(cov))
        if result.invalid and not args.skip_invalid:
            raise validation_error(spec, result)
        if not result.valid:
            raise UsageError(f"{spec.path.name} has no valid label rows ({result.invalid} invalid); nothing to upload"
                             if result.invalid else f"{spec.path.name} has no label rows; nothing to upload")
        if result.invalid:
            print(f"warning: skipping {result.invalid} invalid rows of {spec.path.name} (--skip-invalid)",
                  file=sys.stderr)
        progress.step("uploading")
        written = upload(result, s3, gt_uri, batch_size=args.batch_size, dry_run=args.dry_run)
    finally:
        progress.stop()
        result.close()
    out.write(render_upload(written, parse_s3_uri(gt_uri, key_required=False)[0], dry_run=args.dry_run))
    return 0


def _run_matured(args: argparse.Namespace, *, s3: Any, now: datetime, out: Any) -> int:
    """--matured-negatives: the 0 labels of one matured day and its entry of the label development curve."""
    from pipelines.ground_truth.matured import parse_day, render_matured, run_matured, score_reader
    from pipelines.formats.label_development import offset_days

    if args.labels is not None:
        raise UsageError("--matured-negatives writes the negatives of captured ids only; upload the label file in a "
                         "separate run without it")
    if not args.capture_s3_uri:
        raise UsageError("--matured-negatives needs --capture-s3-uri (the endpoint's data capture destination)")
    params: dict[str, str] = {}
    if args.stage or args.params_file:
        params, _ = load_stage_params(args.stage, args.params_file)
    gt_uri, endpoint = resolve_targets(args, need_endpoint=True)
    if not endpoint:
        raise UsageError("--matured-negatives needs the endpoint name; pass --endpoint-name or --stage")
    maturity = params.get("LabelMaturityDays") or "90"
    threshold = params.get("ProbabilityThresholdAttribute") or "0.5"
    if not maturity.isdigit() or not 1 <= int(maturity) <= 365:
        raise ConfigError(f"LabelMaturityDays '{maturity}' must be a whole number of days from 1 to 365")
    try:
        cut = float(threshold)
    except ValueError:
        raise ConfigError(f"ProbabilityThresholdAttribute '{threshold}' is not a number") from None
    caught = score_reader(params.get("ProbabilityAttribute", "0") if "ProbabilityAttribute" in params else "0",
                          params.get("InferenceAttribute", ""), cut)
    if args.batch_size < 1:
        raise UsageError(f"--batch-size {args.batch_size} must be at least 1")
    if s3 is None:
        s3 = aws.make_client(aws.make_session(), "s3")
    result = run_matured(s3, gt_uri=gt_uri, capture_uri=args.capture_s3_uri, endpoint=endpoint,
                         day=parse_day(args.day) if args.day else None, now=now, maturity_days=int(maturity),
                         caught=caught, early_age=offset_days(params.get("GroundTruthEndTimeOffset") or "-P7D") or 0,
                         batch_size=args.batch_size, dry_run=args.dry_run)
    out.write(render_matured(result, dry_run=args.dry_run))
    return 0


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: 0 ok, 2 usage/config/validation, 1 AWS/runtime."""
    return run_command(argv, parse_args, run,
                       interrupted="rerun the upload (objects are content-addressed, re-uploading is safe)")

"""``python -m pipelines.analyze {data-quality,model-quality,estimate,calibrate,clarify-dataset,clarify-check,shap-dataset,shap-check}``: Model Monitor's checks, anywhere.

Exit codes: 0 no violations, 3 violations found (or, for estimate, the calibration assumption fails or the scores
drifted), 2 bad input, 1 AWS/runtime failure.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any

from pipelines.core.clock import utc_now
from pipelines.core.command import env_argument, parse_with_env, run_command
from pipelines.core.errors import EXIT_OK, EXIT_VIOLATIONS, UsageError
from pipelines.formats.times import iso_z


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Flags (argparse exits 2 for a bad one, like the other three commands)."""
    parser = argparse.ArgumentParser(prog="python -m pipelines.analyze", description=__doc__.splitlines()[0])
    env_argument(parser, "--log-level", "LOG_LEVEL", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                 help="(env LOG_LEVEL)")
    commands = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--capture", required=True, help="Data Capture folder or s3:// prefix (above <endpoint>/, "
                        "or one endpoint's folder)")
    common.add_argument("--start", help="window start, ISO-8601 (default: everything found)")
    common.add_argument("--end", help="window end, ISO-8601, exclusive (default: everything found)")
    common.add_argument("--output", required=True, help="directory for statistics.json and "
                        "constraint_violations.json")
    dq = commands.add_parser("data-quality", parents=[common], help="the six data quality checks")
    dq.add_argument("--statistics", required=True, help="baseline statistics.json (path or s3:// URI)")
    dq.add_argument("--constraints", required=True, help="baseline constraints.json (path or s3:// URI)")
    dq.add_argument("--output-columns-position", default="START", choices=("START", "END"),
                    help="where the endpoint's output columns go in each CSV row: before (START, Model Monitor's "
                         "default) or after (END) the input columns; the baseline's columns are in that order")
    mq = commands.add_parser("model-quality", parents=[common], help="merge with ground truth; binary metrics")
    mq.add_argument("--ground-truth", required=True, help="ground truth folder or s3:// prefix (yyyy/mm/dd/hh)")
    mq.add_argument("--constraints", help="model quality constraints.json (path or s3:// URI)")
    mq.add_argument("--threshold", type=float, default=0.5, help="predict fraud at score >= threshold (0.5)")
    est = commands.add_parser("estimate", parents=[common], help="estimated recall/precision before labels arrive")
    est.add_argument("--threshold", type=float, default=0.5, help="predict fraud at score >= threshold (0.5)")
    est.add_argument("--statistics", help="model quality baseline statistics.json (for the calibration check)")
    est.add_argument("--constraints", help="model quality constraints.json (estimated metrics are checked too)")
    est.add_argument("--ground-truth", help="labels that have arrived, to check the calibration assumption")
    est.add_argument("--calibration", help="calibration.json from `calibrate` (path or s3:// URI): calibrated "
                     "probabilities and score drift against its reference")
    cal = commands.add_parser("calibrate", parents=[common], help="fit the isotonic calibration and keep the "
                              "reference score distribution, from a matured labelled window")
    cal.add_argument("--ground-truth", required=True, help="ground truth folder or s3:// prefix (yyyy/mm/dd/hh); "
                     "use a window whose labels have matured")
    cal.add_argument("--upload", help="also put calibration.json under this s3:// prefix, next to the model version's "
                     "derived baselines (s3://<bucket>/derived-baselines/<group>/<version>/), content-addressed; "
                     "prints the URI for AnalyzerCalibrationS3Uri")
    cd = commands.add_parser("clarify-dataset", parents=[common], help="model bias, before Clarify: labelled "
                             "captures as a Clarify dataset + its analysis config")
    cd.add_argument("--ground-truth", required=True, help="ground truth folder or s3:// prefix (yyyy/mm/dd/hh)")
    cd.add_argument("--config", required=True, help="the model package's bias analysis config (path or s3:// URI)")
    cd.add_argument("--threshold", type=float, default=0.5, help="predict fraud at score >= threshold (0.5)")
    cc = commands.add_parser("clarify-check", help="model bias, after Clarify: analysis.json against the "
                             "baseline constraints (bias drift)")
    cc.add_argument("--analysis", required=True, help="Clarify's analysis.json (path or s3:// URI)")
    cc.add_argument("--constraints", required=True, help="baseline bias constraints (path or s3:// URI)")
    cc.add_argument("--output", required=True, help="directory for analysis.json and constraint_violations.json")
    sd = commands.add_parser("shap-dataset", parents=[common], help="model explainability, before Clarify: "
                             "captured features as a Clarify dataset + its SHAP analysis config")
    sd.add_argument("--config", required=True, help="the derived explainability analysis config (path or s3:// URI)")
    sc = commands.add_parser("shap-check", help="model explainability, after Clarify: global SHAP values against "
                             "the baseline (feature attribution drift, nDCG)")
    sc.add_argument("--analysis", required=True, help="Clarify's analysis.json (path or s3:// URI)")
    sc.add_argument("--constraints", required=True, help="baseline explainability constraints (path or s3:// URI)")
    sc.add_argument("--output", required=True, help="directory for analysis.json and constraint_violations.json")
    return parse_with_env(parser, argv)


def main(argv: list[str] | None = None, now: datetime | None = None) -> int:
    """The shared command shape (errors.run_command): parse, log to stderr, run guarded; the exit code. ``now`` (the
    clock, for the calibration file's creation time) is injectable."""
    return run_command(argv, parse_args, lambda args: _run(args, now), interrupted="nothing was written")


def _run(args: argparse.Namespace, now: datetime | None = None) -> int:
    from pipelines.analyze import commands
    from pipelines.analyze.capture import Window
    from pipelines.analyze.sources import Reader
    from pipelines.core.progress import Progress
    from pipelines.formats.times import parse_time_flag as parse_time

    if getattr(args, "upload", None):  # checked before anything is read or written
        from pipelines.core.s3uri import S3UriError, parse_s3_uri

        try:
            parse_s3_uri(args.upload, key_required=False)
        except S3UriError as exc:
            raise UsageError(f"--upload {args.upload}: {exc}; pass s3://<bucket>/derived-baselines/<group>/"
                             "<version>/") from None
    reader = Reader()
    if args.command in ("clarify-check", "shap-check"):
        from pipelines.analyze import clarify

        check = clarify.clarify_check if args.command == "clarify-check" else clarify.shap_check
        with Progress(f"analyze {args.command}") as progress:  # stderr, only on a terminal and after ~2 s
            progress.step(f"reading {args.analysis}")
            outcome = check(reader, args.analysis, args.constraints)
            progress.step(f"writing {args.output}")
            paths = commands.write_outputs(outcome, args.output)
        return _report(outcome, paths)
    window = Window(parse_time(args.start, "--start") if args.start else None,
                    parse_time(args.end, "--end") if args.end else None)
    if window.start and window.end and window.end <= window.start:
        raise UsageError(f"--end {args.end} is not after --start {args.start}")
    if getattr(args, "threshold", 0.5) is not None and not 0.0 < getattr(args, "threshold", 0.5) < 1.0:
        raise UsageError(f"--threshold {args.threshold} is not between 0 and 1")
    with Progress(f"analyze {args.command}") as progress:  # stderr, only on a terminal and after ~2 s
        progress.step(f"reading captures under {args.capture}")
        if args.command == "data-quality":
            outcome = commands.data_quality(reader, args.capture, window, args.statistics, args.constraints,
                                            args.output_columns_position)
        elif args.command == "model-quality":
            outcome = commands.model_quality(reader, args.capture, window, args.ground_truth, args.constraints,
                                             args.threshold)
        elif args.command == "estimate":
            outcome = commands.estimate(reader, args.capture, window, args.threshold, args.ground_truth,
                                        args.statistics, args.constraints, args.calibration)
        elif args.command == "calibrate":
            outcome = commands.calibrate(reader, args.capture, window, args.ground_truth, iso_z(now or utc_now()))
        else:
            from pipelines.analyze import clarify

            if args.command == "shap-dataset":
                outcome = clarify.shap_dataset(reader, args.capture, window, args.config)
            else:
                outcome = clarify.clarify_dataset(reader, args.capture, window, args.ground_truth, args.config,
                                                  args.threshold)
        progress.step(f"writing {args.output}")
        paths = commands.write_outputs(outcome, args.output)
        if args.command == "calibrate" and args.upload:
            outcome.lines.append("uploaded " + commands.upload_calibration(
                reader, outcome.files["calibration.json"], args.upload))
    return _report(outcome, paths)


def _report(outcome: Any, paths: list[Any]) -> int:
    """Warnings to stderr, the summary lines and the written files to stdout; the exit code."""
    for line in outcome.warnings:
        print(f"warning: {line}", file=sys.stderr)
    for line in outcome.lines:
        print(line)
    print("wrote " + ", ".join(str(path) for path in paths))
    return EXIT_VIOLATIONS if outcome.exit_violations else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

"""``python -m pipelines.analyze {data-quality,merge-statistics,model-quality,merge-model-quality,estimate,calibrate,
clarify-dataset,clarify-check,shap-dataset,shap-check}``: Model Monitor's checks, anywhere.

Exit codes: 0 no violations, 3 violations found (or, for estimate, the calibration assumption fails or the scores
drifted), 2 bad input, 1 AWS/runtime failure.
"""

from __future__ import annotations

import argparse
import math
import sys
from datetime import datetime
from typing import Any

from pipelines.core.clock import utc_now
from pipelines.core.command import env_argument, parse_with_env, run_command
from pipelines.core.errors import EXIT_OK, EXIT_VIOLATIONS, UsageError
from pipelines.core.files import printable
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
    dq.add_argument("--constraints", help="baseline constraints.json (path or s3:// URI); required without --partial")
    dq.add_argument("--partial", action="store_true", help="one shard of the window: write partial_statistics.json "
                    "(no checks) for merge-statistics")
    merge = commands.add_parser("merge-statistics", help="merge shards' partial statistics; the data quality checks")
    merge.add_argument("partials", nargs="+", metavar="PARTIAL_STATISTICS",
                       help="partial_statistics*.json files, or folders / s3:// prefixes holding them")
    merge.add_argument("--statistics", help="baseline statistics.json (path or s3:// URI); default: the baseline the "
                       "shards carry")
    merge.add_argument("--constraints", help="baseline constraints.json (path or s3:// URI); default: the baseline "
                       "the shards carry")
    merge.add_argument("--output", required=True, help="directory for statistics.json and "
                       "constraint_violations.json")
    dq.add_argument("--output-columns-position", default="START", choices=("START", "END"),
                    help="where the endpoint's output columns go in each CSV row: before (START, Model Monitor's "
                         "default) or after (END) the input columns; the baseline's columns are in that order")
    mq = commands.add_parser("model-quality", parents=[common], help="merge with ground truth; binary metrics")
    mq.add_argument("--ground-truth", required=True, help="ground truth folder or s3:// prefix (yyyy/mm/dd/hh)")
    mq.add_argument("--constraints", help="model quality constraints.json (path or s3:// URI)")
    mq.add_argument("--threshold", default="0.5", help="predict fraud at score >= threshold (0.5)")
    mq.add_argument("--partial", action="store_true", help="one shard of the window: write partial_model_quality.json "
                    "(the shard's joined records; no metrics, no checks, never 'no data') for merge-model-quality")
    mqm = commands.add_parser("merge-model-quality", help="merge shards' partial model quality; the model quality "
                              "statistics and checks of one pass over the window, byte for byte")
    mqm.add_argument("partials", nargs="+", metavar="PARTIAL_MODEL_QUALITY",
                     help="partial_model_quality*.json files, or folders / s3:// prefixes holding them")
    mqm.add_argument("--constraints", help="model quality constraints.json (path or s3:// URI); default: the "
                     "constraints the shards carry")
    mqm.add_argument("--output", required=True, help="directory for statistics.json, constraint_violations.json "
                     "and constraints.json")
    est = commands.add_parser("estimate", parents=[common], help="estimated recall/precision before labels arrive")
    est.add_argument("--threshold", default="0.5", help="predict fraud at score >= threshold (0.5)")
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
    cd.add_argument("--threshold", default="0.5", help="predict fraud at score >= threshold (0.5)")
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
    """The shared command shape (core.command.run_command): parse, log to stderr, run guarded; the exit code. ``now``
    (the clock, for the calibration file's creation time) is injectable."""
    return run_command(argv, parse_args, lambda args: _run(args, now), interrupted="nothing was written")


# What each setting is called where it comes from: the CLI's flags; the container's environment (container.py)
FLAGS = {"capture": "--capture", "start": "--start", "end": "--end", "output": "--output", "threshold": "--threshold",
         "statistics": "--statistics", "constraints": "--constraints", "ground_truth": "--ground-truth",
         "calibration": "--calibration", "upload": "--upload"}


def validate(args: argparse.Namespace, names: dict[str, str] = FLAGS) -> tuple[Any, float]:
    """The one validation of an analysis request, for the CLI and the container alike (``names``: how each setting
    is spelled to the user): (window, threshold). Checks the output folder (and calibrate's --upload prefix) before
    anything is read.

    Raises:
        UsageError: a time that is not ISO-8601, an empty window, a threshold that is not a number strictly
            between 0 and 1, an --upload that is not an s3:// prefix, or an output folder that cannot be written.
    """
    from pipelines.analyze.capture import Window
    from pipelines.analyze.commands import check_output
    from pipelines.formats.times import parse_time_flag as parse_time

    start = parse_time(args.start, names["start"]) if getattr(args, "start", None) else None
    end = parse_time(args.end, names["end"]) if getattr(args, "end", None) else None
    if start and end and end <= start:
        raise UsageError(f"{names['end']} {args.end} is not after {names['start']} {args.start}; pass a window "
                         "that ends after it starts")
    threshold = threshold_value(getattr(args, "threshold", None), names["threshold"])
    if getattr(args, "upload", None):
        from pipelines.core.s3uri import S3UriError, parse_s3_uri

        try:
            parse_s3_uri(args.upload, key_required=False)
        except S3UriError as exc:
            raise UsageError(f"{names.get('upload', '--upload')} {args.upload}: {exc}; pass "
                             "s3://<bucket>/derived-baselines/<group>/<version>/") from None
    check_output(args.output, names["output"])
    return Window(start, end), threshold


def threshold_value(text: Any, name: str) -> float:
    """The decision threshold: a number strictly between 0 and 1 (0 would call every record fraud, 1 none)."""
    if text is None or text == "":
        return 0.5
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = math.nan
    if not 0.0 < value < 1.0:  # NaN too
        raise UsageError(f"{name} '{text}' is not a number between 0 and 1 (exclusive); pass the score at which the "
                         "model flags fraud, e.g. 0.5")
    return value


def analyze(args: argparse.Namespace, window: Any, threshold: float, reader: Any = None,
            now: datetime | None = None) -> Any:
    """Run the analysis ``args.command`` asks for; its Outcome (nothing written yet). ``now``: calibrate's clock."""
    from pipelines.analyze import commands
    from pipelines.analyze.sources import Reader

    reader = reader or Reader()
    position = getattr(args, "output_columns_position", "START")
    if args.command == "merge-statistics":
        return commands.merge_statistics(reader, args.partials, args.statistics, args.constraints)
    if args.command == "merge-model-quality":
        return commands.merge_model_quality(reader, args.partials, args.constraints)
    if args.command == "data-quality" and getattr(args, "partial", False):
        return commands.data_quality_partial(reader, args.capture, window, args.statistics, getattr(args, "host", None),
                                             position, args.constraints, getattr(args, "partial_file", None))
    if args.command == "data-quality":
        if not args.constraints:
            raise UsageError(f"data-quality needs {FLAGS['constraints']} (only a --partial shard runs without them)")
        return commands.data_quality(reader, args.capture, window, args.statistics, args.constraints, position)
    if args.command == "model-quality" and getattr(args, "partial", False):
        return commands.model_quality_partial(reader, args.capture, window, args.ground_truth, args.constraints,
                                              threshold, getattr(args, "host", None),
                                              getattr(args, "partial_file", None))
    if args.command == "model-quality":
        return commands.model_quality(reader, args.capture, window, args.ground_truth, args.constraints, threshold)
    if args.command == "calibrate":
        return commands.calibrate(reader, args.capture, window, args.ground_truth, iso_z(now or utc_now()))
    if args.command in ("clarify-dataset", "shap-dataset"):  # the data Clarify reads (processing engine)
        from pipelines.analyze import clarify

        if args.command == "shap-dataset":
            return clarify.shap_dataset(reader, args.capture, window, args.config)
        return clarify.clarify_dataset(reader, args.capture, window, args.ground_truth, args.config, threshold)
    return commands.estimate(reader, args.capture, window, threshold, args.ground_truth, args.statistics,
                             args.constraints, getattr(args, "calibration", None))


def _run(args: argparse.Namespace, now: datetime | None = None) -> int:
    from pipelines.analyze import commands
    from pipelines.analyze.sources import Reader
    from pipelines.core.progress import Progress

    if args.command in ("clarify-check", "shap-check"):  # read Clarify's analysis.json, no capture window
        from pipelines.analyze import clarify

        check = clarify.clarify_check if args.command == "clarify-check" else clarify.shap_check
        commands.check_output(args.output, FLAGS["output"])
        with Progress(f"analyze {args.command}") as progress:  # stderr, only on a terminal and after ~2 s
            progress.step(f"reading {args.analysis}")
            outcome = check(Reader(), args.analysis, args.constraints)
            progress.step(f"writing {args.output}")
            paths = commands.write_outputs(outcome, args.output)
        return _report(outcome, paths)
    window, threshold = validate(args)
    reader = Reader()
    with Progress(f"analyze {args.command}") as progress:  # stderr, only on a terminal and after ~2 s
        source = ", ".join(args.partials) if args.command.startswith("merge-") else args.capture
        progress.step(f"reading {source}")
        outcome = analyze(args, window, threshold, reader, now)
        progress.step(f"writing {args.output}")
        paths = commands.write_outputs(outcome, args.output)
        if args.command == "calibrate" and args.upload:
            outcome.lines.append("uploaded " + commands.upload_calibration(
                reader, outcome.files["calibration.json"], args.upload))
    return _report(outcome, paths)


def _report(outcome: Any, paths: list[Any]) -> int:
    """Warnings to stderr, the summary lines and the written files to stdout; the exit code."""
    for line in outcome.warnings:
        print(f"warning: {printable(line)}", file=sys.stderr)
    for line in outcome.lines:
        print(line)
    print("wrote " + ", ".join(str(path) for path in paths))
    return EXIT_VIOLATIONS if outcome.exit_violations else EXIT_OK


if __name__ == "__main__":
    import gc

    try:  # numpy and the analysis modules first (~100k objects), then out of the collector's scans: every full
        import pipelines.analyze.commands  # noqa: F401  # collection rescanned them, 3-5% of a 1M-record run
    except ImportError:  # numpy missing: main() says so
        pass
    gc.freeze()
    sys.exit(main())

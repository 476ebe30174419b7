"""Analyzer part of `make demo` (run by bench/demo.py with the emulator's environment): our own Model Monitor
checks on seeded captures, with the registry's baselines, and fraud recall estimated before the labels arrive.

Seeds (devtools/seed_captures.py): 20,000 prod captures over two hours in S3 (SageMaker's layout), their CSV inputs
drawn by ``fraud_rows``, the generator the registry's data quality baseline was profiled from
(tests/fixtures/sdk/generate_data_quality.py), with transaction_amount shifted by the baseline's standard
deviation; calibrated fraud scores, and labels for 60% of the records filed two days later (the rest are late).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from devtools.seed import GROUP, OUTPUTS_BUCKET  # noqa: E402
from devtools.seed_captures import fraud_rows, start_of_day, traffic, write_captures, write_ground_truth  # noqa: E402

RECORDS, LABELLED, DRIFTED = 20_000, 0.6, 1  # DRIFTED: transaction_amount (after the label), what fraud_rows shifts
PREFIX = f"s3://{OUTPUTS_BUCKET}/analyzer-demo"


def registry_documents(sm: Any, s3: Any) -> dict[str, tuple[str, Any]]:
    """The newest Approved package's baselines, read through the CLI's own registry and baseline functions."""
    from pipelines.deploy.baselines import S3Objects, load_baseline, registry_baselines
    from pipelines.deploy.registry import latest_approved

    package = latest_approved(sm, GROUP)
    found = registry_baselines(package.drift_check_baselines)
    objects = S3Objects(s3)
    kinds = {"ModelDataQuality.Statistics": "statistics", "ModelDataQuality.Constraints": "constraints",
             "ModelQuality.Statistics": "model-quality-statistics",
             "ModelQuality.Constraints": "model-quality-constraints"}
    print(f"  baselines of {package.arn} (version {package.version})")
    return {path: (found[path].uri, load_baseline(objects, found[path], kind)) for path, kind in kinds.items()}


def seed_s3(s3: Any, statistics: dict[str, Any], work: Path) -> Any:
    """Captures and late labels, written in SageMaker's layout, uploaded under PREFIX."""
    data = traffic(RECORDS, 1, seed=13, high_risk=0.012)  # scores and labels; the inputs are fraud_rows
    std = statistics["features"][DRIFTED]["numerical_statistics"]["std_dev"]
    rows = fraud_rows(RECORDS, seed=14, amount_shift=std)
    ids = write_captures(work / "data-capture", data, start_of_day(), seconds_apart=0.36, rows=rows)
    labelled = int(RECORDS * LABELLED)
    write_ground_truth(work / "ground-truth", ids[:labelled], data.labels[:labelled],
                       start_of_day() + timedelta(days=2))
    for path in work.rglob("*.jsonl"):
        key = "analyzer-demo/" + str(path.relative_to(work))
        s3.put_object(Bucket=OUTPUTS_BUCKET, Key=key, Body=path.read_bytes())
    print(f"  {RECORDS:,} captures of fraud-detect-prod in {PREFIX}/data-capture (feature "
          f"'{statistics['features'][DRIFTED]['name']}' shifted by one standard deviation), labels for "
          f"{labelled:,} of them in {PREFIX}/ground-truth (the rest not yet arrived)")
    return data


def run(cmd: list[str]) -> int:
    print("$ " + " ".join(str(c).replace(str(REPO) + "/", "") for c in cmd), flush=True)
    started = time.monotonic()
    code = subprocess.call(cmd, cwd=REPO)
    print(f"(exit {code}, {time.monotonic() - started:.1f} s)", flush=True)
    return code


def main(out: Path) -> int:
    import boto3

    url = os.environ["AWS_ENDPOINT_URL"]
    sm, s3 = boto3.client("sagemaker", endpoint_url=url), boto3.client("s3", endpoint_url=url)
    documents = registry_documents(sm, s3)
    with tempfile.TemporaryDirectory() as work:
        data = seed_s3(s3, documents["ModelDataQuality.Statistics"][1], Path(work))
    capture = f"{PREFIX}/data-capture/fraud-detect-prod"
    window = ["--start", "2026-11-27T00:00:00Z", "--end", "2026-11-27T02:00:00Z"]
    out = out / "analyzer"
    steps = [
        ["data-quality", "--capture", capture, *window, "--statistics", documents["ModelDataQuality.Statistics"][0],
         "--constraints", documents["ModelDataQuality.Constraints"][0], "--output", str(out / "data-quality")],
        ["estimate", "--capture", capture, *window, "--threshold", "0.5", "--ground-truth",
         f"{PREFIX}/ground-truth", "--statistics", documents["ModelQuality.Statistics"][0],
         "--constraints", documents["ModelQuality.Constraints"][0], "--output", str(out / "estimate")],
        ["model-quality", "--capture", capture, *window, "--ground-truth", f"{PREFIX}/ground-truth",
         "--constraints", documents["ModelQuality.Constraints"][0], "--output", str(out / "model-quality")],
    ]
    for step in steps:
        if run([sys.executable, "-m", "pipelines.analyze", *step]) not in (0, 3):
            return 1
        if step[0] == "data-quality":
            print("  (is_fraud data_type_check: the registry's baseline has the label first, as AWS's ModelBuild "
                  "template baselines it; Model Monitor puts the endpoint's output there (output_columns_position "
                  "START), a probability, so the Integral label column sees 0% Integral every hour and gets no drift "
                  "check; real executions show the same pattern, type failures + 1)")
    compare(out, data)
    explain_constraints(documents["ModelQuality.Statistics"][1])
    return 0


def compare(out: Path, data: Any) -> None:
    """Estimated recall (no labels needed) vs realized recall on the labelled 60%, and the estimate for exactly
    those records, so the two numbers that should agree are side by side."""
    import json

    from pipelines.analyze.estimate import estimate_statistics

    estimated = json.loads((out / "estimate" / "statistics.json").read_text())["binary_classification_metrics"]
    realized = json.loads((out / "model-quality" / "statistics.json").read_text())
    labelled = realized["dataset"]["item_count"]
    same = estimate_statistics(np.round(data.scores[:labelled], 6), 0.5, {"holds": None})
    print("\nfraud recall at threshold 0.5, before and after the labels:")
    for what, recall in ((f"estimated, all {RECORDS:,} records (no labels needed)", estimated["recall"]),
                         (f"estimated, the {labelled:,} labelled records", same["binary_classification_metrics"]
                          ["recall"])):
        low, high = recall["confidence_interval_95"]
        print(f"  {what:<50} {recall['value']:.3f}  (95% interval {low:.3f}-{high:.3f})")
    print(f"  {f'realized, the {labelled:,} labelled records':<50} "
          f"{realized['binary_classification_metrics']['recall']['value']:.3f}  (join rate "
          f"{realized['dataset']['join_rate']:.0%}; the other labels are still on their way)")
    print("  (one window: a 95% interval misses the realized value in about 1 window in 20; "
          "tests/test_analyze_estimate.py checks the coverage over 300 windows)")


def explain_constraints(statistics: dict[str, Any]) -> None:
    """Why a window of the same model reports violations, and where the recall alarm sits instead (the CLI's rule:
    3 binomial standard errors over the prod stage's ExpectedDailyFrauds, issue 18)."""
    from pipelines.deploy.thresholds import MARGIN_SIGMAS, number_text, size_recall_alarm

    metrics = statistics["binary_classification_metrics"]
    recall = metrics["recall"]["value"]
    config = json.loads((Path(__file__).resolve().parents[1] / "prod-monitoring-schedule-config.json").read_text())
    daily = float(config["Parameters"]["ExpectedDailyFrauds"])
    alarm = size_recall_alarm("matured", 90, recall, daily, metrics["recall"]["standard_deviation"])
    print(f"  (the registry's constraints sit at the baseline values, as a real baselining job writes them: baseline "
          f"recall {number_text(recall)}, so a window just below average reports violations; the matured recall "
          f"alarm the CLI derives for prod pages below the baseline minus {MARGIN_SIGMAS} binomial standard errors "
          f"over its {daily:g} expected frauds a day, {number_text(alarm.threshold)}: "
          f"{alarm.false_pages_per_month:.2f} false pages a month on an unchanged model)")


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))

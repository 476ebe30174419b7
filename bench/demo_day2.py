"""Day-2 part of `make demo` (run by bench/demo.py with the emulator's environment): labels in, report out.

Argument: the folder holding the generated prod-config-export.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_ground_truth import write_capture_files, write_label_csv  # noqa: E402
from devtools.seed import OUTPUTS_BUCKET  # noqa: E402
from tests.fixtures.violations.seed import seed_violations  # noqa: E402


def seed_matured_day(s3, params: dict, now: datetime) -> None:
    """A day of transactions LabelMaturityDays + 1 days ago (200 captured, 10 frauds: 8 scored high) and the positive
    labels uploaded over the 90 days after it (analysts first, chargebacks later), as the upload tool writes them."""
    from devtools.seed_captures import capture_line
    from pipelines.formats.ground_truth import record_line
    from pipelines.formats.times import hour_folder

    endpoint, gt_uri = params["EndpointName"], params["GroundTruthInput"]
    day = (now - timedelta(days=int(params.get("LabelMaturityDays", "90")) + 1)).replace(hour=12, minute=0, second=0,
                                                                                           microsecond=0)
    frauds = {f"mx-{i:04d}": (0.93 if i < 8 else 0.12, [2, 2, 2, 3, 5, 20, 40, 60, 45, 70][i]) for i in range(10)}
    lines = [capture_line("129.5,online,0,3,12,2", frauds.get(f"mx-{i:04d}", (0.031, 0))[0], f"ev-{i:04d}",
                          day + timedelta(seconds=i), f"mx-{i:04d}") for i in range(200)]
    s3.put_object(Bucket=OUTPUTS_BUCKET, Key=f"data-capture/{endpoint}/AllTraffic/{hour_folder(day)}/matured.jsonl",
                  Body=("\n".join(lines) + "\n").encode())
    bucket, _, prefix = gt_uri.removeprefix("s3://").partition("/")
    for ident, (_, age) in frauds.items():
        s3.put_object(Bucket=bucket, Key=f"{prefix}/{hour_folder(day + timedelta(days=age))}/labels-{ident}.jsonl",
                      Body=record_line(ident, "1").encode())


def main(out: Path) -> int:
    import boto3

    params = json.loads((out / "prod-config-export.json").read_text())["Parameters"]
    s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    now = datetime.now(timezone.utc)
    labels = write_label_csv(out / "labels.csv", 1000)
    ids = [f"tx-{i:09d}" for i in range(950)]  # 950 of the 1,000 labelled transactions were captured
    write_capture_files(s3, f"s3://{OUTPUTS_BUCKET}/data-capture", params["EndpointName"], ids, now)
    seed_violations(s3, params)  # what the hourly jobs would have written (the emulator runs no jobs)
    seed_matured_day(s3, params, now)
    steps = [
        [sys.executable, "-m", "pipelines.ground_truth", str(labels), "--stage", "prod",
         "--params-file", str(out / "prod-config-export.json"), "--check-coverage",
         "--capture-s3-uri", f"s3://{OUTPUTS_BUCKET}/data-capture", "--window-hours", "2"],
        [sys.executable, "-m", "pipelines.ground_truth", "--matured-negatives", "--stage", "prod",
         "--params-file", str(out / "prod-config-export.json"), "--capture-s3-uri",
         f"s3://{OUTPUTS_BUCKET}/data-capture"],
        [sys.executable, "-m", "pipelines.report", "--stage", "prod", "--params-file",
         str(out / "prod-config-export.json")],
    ]
    for cmd in steps:
        print("$ " + " ".join(str(c).replace(str(REPO) + "/", "") for c in cmd), flush=True)
        code = subprocess.call(cmd, cwd=REPO)
        if code != 0:
            print(f"(exit {code})")
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))

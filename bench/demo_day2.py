"""Day-2 part of `make demo` (run by bench/demo.py with the emulator's environment): labels in, report out.

Argument: the folder holding the generated prod-config-export.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_ground_truth import write_capture_files, write_label_csv  # noqa: E402
from devtools.seed import OUTPUTS_BUCKET  # noqa: E402
from pipelines.core import clock  # noqa: E402
from devtools.seed_captures import write_matured_day  # noqa: E402
from tests.fixtures.violations.seed import seed_violations  # noqa: E402


def main(out: Path) -> int:
    import boto3

    params = json.loads((out / "prod-config-export.json").read_text())["Parameters"]
    s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    now = clock.utc_now()
    labels = write_label_csv(out / "labels.csv", 1000)
    ids = [f"tx-{i:09d}" for i in range(950)]  # 950 of the 1,000 labelled transactions were captured
    write_capture_files(s3, f"s3://{OUTPUTS_BUCKET}/data-capture", params["EndpointName"], ids, now)
    seed_violations(s3, params)  # what the hourly jobs would have written (the emulator runs no jobs)
    write_matured_day(s3, OUTPUTS_BUCKET, params, now)  # a day of transactions whose labels are mature
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
        if code == 3 and "pipelines.report" in cmd:
            print("(exit 3: verdict DEGRADED, as seeded: the report's exit code follows its first line)")
            continue
        if code != 0:
            print(f"(exit {code})")
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))

"""`make bench` part: the HTML report's size and time (python -m pipelines.report --html), and its load time in
headless Chromium; with plotly and bokeh installed (not pinned: the one-off comparison behind the choice of
matplotlib SVG, docs/report.md), the same chart set drawn by each candidate.

The monitoring outputs are devtools/seed_monitoring.py's (12 hourly executions of the four monitors, our analyzer's
files) on moto's S3 in-process.
"""

from __future__ import annotations

import contextlib
import io
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.report import BUCKET, PARAMS  # noqa: E402

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
END = datetime(2026, 11, 27, 10, 30, tzinfo=timezone.utc)


def report_file(folder: Path) -> tuple[Path, list[float]]:
    """Seed, then time three --html runs in-process; the file and the wall times."""
    import boto3
    from botocore.stub import Stubber
    from moto import mock_aws

    from devtools.seed_monitoring import SDK, seed_monitoring
    from pipelines.report import cli as report

    params = dict(PARAMS, DataQualityBaselineStatistics=f"s3://{BUCKET}/baselines/statistics.json",
                  DataQualityBaselineConstraints=f"s3://{BUCKET}/baselines/constraints.json")
    (folder / "prod-config-export.json").write_text(json.dumps({"Parameters": params}))
    target, times = folder / "report.html", []
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        for name, key in (("data_quality_statistics.json", "statistics.json"),
                          ("data_quality_constraints.json", "constraints.json")):
            s3.put_object(Bucket=BUCKET, Key=f"baselines/{key}", Body=(SDK / name).read_bytes())
        seed_monitoring(s3, params, end=END, hours=12, drift_from=8, rows=1000)
        for _ in range(3):
            sm = boto3.client("sagemaker", region_name="us-east-1")
            stubber = Stubber(sm)
            for _ in range(4):
                stubber.add_client_error("describe_monitoring_schedule", "ResourceNotFound", "not found", 400)
            stubber.activate()
            started = time.perf_counter()
            with contextlib.redirect_stderr(io.StringIO()):  # the DEGRADED verdict's error line, every run
                report.run(report.parse_args(["--stage", "prod", "--params-file", str(folder / "prod-config-export.json"),
                                              "--html", str(target)]), sm=sm, s3=s3,
                           cw=boto3.client("cloudwatch", region_name="us-east-1"), out=io.StringIO())
            times.append(time.perf_counter() - started)
    return target, times


def load_times(paths: list[Path], runs: int = 3) -> dict[str, list[float]]:
    """Load event time (ms) of each file in headless Chromium, after one warm-up load."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in FLAGS + [f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-')}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    found: dict[str, list[float]] = {}
    try:
        for path in paths:
            driver.get(path.as_uri())  # warm-up
            found[path.name] = []
            for _ in range(runs):
                driver.get(path.as_uri())
                found[path.name].append(driver.execute_script(
                    "return performance.timing.loadEventEnd - performance.timing.navigationStart"))
    finally:
        driver.quit()
    return found


def main() -> int:
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        target, times = report_file(folder)
        print(f"report --html, 12 hourly executions x 4 monitors: {target.stat().st_size:,} bytes, "
              f"{statistics.median(times):.2f} s median of {len(times)} in-process runs (moto S3)")
        if not Path("/usr/bin/chromium").exists():
            print("chromium not installed (make browser): load time not measured")
            return 0
        for name, values in load_times([target]).items():
            print(f"{name}: load event {statistics.median(values):.0f} ms median in headless Chromium")
    return 0


if __name__ == "__main__":
    sys.exit(main())

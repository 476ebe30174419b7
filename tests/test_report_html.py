"""``python -m pipelines.report --html``: the page's content, then the page in a real browser (headless Chromium).

The monitoring outputs are made by devtools/seed_monitoring.py: our analyzer's statistics.json and
constraint_violations.json per hourly execution (the analyzer reproduces a real baselining job's statistics exactly,
docs/analyzer.md), in Model Monitor's output layout, on moto's S3.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.support.report import BUCKET, PARAMS

pytestmark = pytest.mark.slow  # matplotlib, the analyzer on seeded captures, a browser

END = datetime(2026, 11, 27, 10, 30, tzinfo=timezone.utc)
HTML_PARAMS = dict(PARAMS, DataQualityBaselineStatistics=f"s3://{BUCKET}/baselines/statistics.json",
                   DataQualityBaselineConstraints=f"s3://{BUCKET}/baselines/constraints.json",
                   AnalyzerEstimateOutputS3Uri=f"s3://{BUCKET}/monitoring/prod/estimate",
                   ModelQualityAlarmThreshold="0.62", ModelQualityAlarmMetric="recall")
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def schedules_not_found():
    """A SageMaker client whose DescribeMonitoringSchedule answers ResourceNotFound (moto has no schedules)."""
    import boto3
    from botocore.stub import Stubber

    sm = boto3.client("sagemaker", region_name="us-east-1")
    stubber = Stubber(sm)
    for _ in range(4):
        stubber.add_client_error("describe_monitoring_schedule", "ResourceNotFound", "not found", 400)
    stubber.activate()
    return sm


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """(exit code, text report, html path) of one --html run over 6 seeded hourly executions (drift from hour 4)."""
    import boto3
    from moto import mock_aws

    from devtools.seed_monitoring import SDK, seed_monitoring
    from pipelines.report import cli as report

    folder = tmp_path_factory.mktemp("html")
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                           "AWS_DEFAULT_REGION": "us-east-1"}.items():
            patch.setenv(key, value)
        patch.chdir(folder)
        s3 = boto3.client("s3", region_name="us-east-1")
        cw = boto3.client("cloudwatch", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        for name, key in (("data_quality_statistics.json", "statistics.json"),
                          ("data_quality_constraints.json", "constraints.json")):
            s3.put_object(Bucket=BUCKET, Key=f"baselines/{key}", Body=(SDK / name).read_bytes())
        seed_monitoring(s3, HTML_PARAMS, end=END, hours=6, drift_from=4, rows=400)
        cw.put_metric_alarm(AlarmName="fraud-detect-prod-model-quality-recall", MetricName="recall",
                            Namespace="aws/sagemaker/Endpoints/model-metrics", Statistic="Average", Period=3600,
                            EvaluationPeriods=1, Threshold=0.62, ComparisonOperator="LessThanThreshold")
        cw.set_alarm_state(AlarmName="fraud-detect-prod-model-quality-recall", StateValue="ALARM",
                           StateReason="recall 0.41 < 0.62")
        (folder / "prod-config-export.json").write_text(json.dumps({"Parameters": HTML_PARAMS}))
        out = io.StringIO()
        target = folder / "report.html"
        code = report.run(report.parse_args(["--stage", "prod", "--html", str(target)]),
                          sm=schedules_not_found(), s3=s3, cw=cw, out=out)
    return code, out.getvalue(), target


def test_html_report_opens_with_the_verdict_and_the_same_exit_code_as_the_text(page):
    code, text, target = page
    document = target.read_text()

    assert code == 3
    # is_fraud: the registry's baseline has the label first (AWS's XGBoost layout) and real jobs put the captured
    # score there and type-check it (facts.md); transaction_amount drifts from the 5th hour on, as seeded
    assert text.splitlines()[0].startswith(
        "verdict: prod DEGRADED: data-quality: 2 violations since at least 2026-11-27T05:00:00Z (is_fraud, "
        "transaction_amount since 2026-11-27T09:00:00Z); model-quality: ")
    assert re.search(r'<div class="verdict" id="verdict" style="background:#cf222e">prod: DEGRADED<small>'
                     r"data-quality DEGRADED: 2 violations since at least 2026-11-27T05:00:00Z \(is_fraud, "
                     r"transaction_amount since 2026-11-27T09:00:00Z\)</small>", document)
    assert "alarms DEGRADED: fraud-detect-prod-model-quality-recall in ALARM since" in document


def test_html_report_is_self_contained_no_script_no_link_no_remote_reference(page):
    document = page[2].read_text()

    assert "<script" not in document and "<link" not in document and "@import" not in document
    assert "<img" not in document and "<iframe" not in document and "<object" not in document
    # every reference a browser would follow stays in the page (SVG's "#id" links to its own definitions)
    references = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"|url\(([^)]*)\)', document)
    assert references and all((a or b).lstrip("'").startswith("#") for a, b in references)


def test_html_report_draws_every_chart_the_data_allows(page):
    document = page[2].read_text()

    charts = re.findall(r'<figure class="chart" data-chart="([^"]+)">', document)
    assert charts == ["executions-data-quality", "drift-distance", "distribution-transaction_amount",
                      "executions-model-quality", "recall", "executions-model-bias", "executions-model-explainability"]
    # the drifted feature's numbers are printed as well as drawn
    assert "<td>transaction_amount</td><td>baseline_drift_check</td>" in document
    # estimate windows: the label-free estimate with its interval, realized still pending at the same hour
    assert document.count("<td>labels pending</td>") == 6


def _browser(user_data: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS + [f"--user-data-dir={user_data}", "--window-size=1200,2400"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


def test_html_report_loads_in_headless_chromium_without_console_errors_and_every_chart_drawn(page, tmp_path):
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("needs Debian's chromium and chromium-driver (make test installs them with apt-get)")
    pytest.importorskip("selenium", reason="selenium is in requirements-dev.txt")
    from PIL import Image

    target = page[2]
    user_data = tempfile.mkdtemp(prefix="chromium-", dir=tmp_path)
    driver = _browser(user_data)
    try:
        driver.get(target.as_uri())
        console = driver.get_log("browser")
        drawn = driver.execute_script("""
            return Array.from(document.querySelectorAll('figure.chart')).map(f => {
              const svg = f.querySelector('svg'); const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
              return [f.dataset.chart, Math.round(box.width) > 100 && Math.round(box.height) > 50,
                      svg ? svg.querySelectorAll('path, rect, use').length > 10 : false];
            });""")
        verdict = driver.execute_script("return document.getElementById('verdict').innerText.split('\\n')[0]")
        shot = tmp_path / "report.png"
        driver.save_screenshot(str(shot))
    finally:
        driver.quit()
        shutil.rmtree(user_data, ignore_errors=True)

    assert console == []
    assert drawn == [[name, True, True] for name in (
        "executions-data-quality", "drift-distance", "distribution-transaction_amount", "executions-model-quality",
        "recall", "executions-model-bias", "executions-model-explainability")]
    assert verdict == "prod: DEGRADED"
    image = Image.open(shot).convert("RGB")
    colours = dict((colour, count) for count, colour in image.getcolors(maxcolors=1 << 22))
    assert image.width == 1200
    assert len(colours) > 50  # a blank page has one or two colours
    assert colours.get((0xcf, 0x22, 0x2e), 0) > 100_000  # the red DEGRADED banner (~1,150 x 170 px) is painted


def test_the_label_maturity_section_draws_the_windows_and_the_label_development_curve():
    """The section's data as issue 18's report collects it (branch issue-18a, pipelines/report/label_maturity.py
    ``collect``, with ``Curve.as_dict``); the page draws what that producer hands over."""
    from pipelines.report.html import label_maturity_html

    section = {
        "label_maturity_days": 90, "expected_daily_frauds": 40.0, "curve_error": None,
        "curve_uri": "s3://fraud-monitor-outputs-123456789012/ground-truth/fraud-detect-prod/label-development.json",
        "curve": {"label_maturity_days": 90, "matured_days": 30, "frauds": 1200, "caught": 1000, "enough_history": True,
                  "missing_history": "", "min_history_days": 14, "min_history_frauds": 200,
                  "share_labelled_by_day": [round(min(1.0, 0.1 + age / 60), 6) for age in range(91)],
                  "recall_at_label_age": [round(0.95 - age / 300, 6) for age in range(91)],
                  "matured_recall": 0.65},
        "windows": [
            {"window": "early", "start_offset": "-P8D", "end_offset": "-P7D", "label_age_days": 7,
             "schedule": "fraud-detect-prod-model-quality", "alarm_threshold": 0.71, "paged": True,
             "not_paged_reason": None, "share_labelled": 0.216667, "recall_at_label_age": 0.926667,
             "expected_labelled_frauds": 8.6667},
            {"window": "matured", "start_offset": "-P90DT24H", "end_offset": "-P90D", "label_age_days": 90,
             "schedule": "fraud-detect-prod-model-quality-matured", "alarm_threshold": 0.6, "paged": True,
             "not_paged_reason": None, "share_labelled": 1.0, "recall_at_label_age": 0.65,
             "expected_labelled_frauds": 40.0}]}

    parts = label_maturity_html(section)

    assert parts[0] == "<h3>labels and recall windows (LabelMaturityDays 90)</h3>"
    assert "<td>early</td><td>-P8D to -P7D</td><td>7</td><td>fraud-detect-prod-model-quality</td>" in parts[1]
    assert parts[2].startswith('<figure class="chart" data-chart="label-development"><svg')
    assert label_maturity_html(None) == []
    assert label_maturity_html(dict(section, curve_error="not JSON"))[2] == (
        '<p class="unk">label development curve s3://fraud-monitor-outputs-123456789012/ground-truth/fraud-detect-prod/'
        "label-development.json: cannot be read (not JSON)</p>")

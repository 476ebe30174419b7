"""`make try` / `make try-stop`: a seeded emulator left running, so the README's usage commands run as written.

    make try        # moto_server on 127.0.0.1, seeded; prints the export lines (also in out/try/env.sh)
    make try-stop   # stops it

What it seeds, all in SageMaker's and Model Monitor's layouts (devtools/seed*.py say where each shape comes from):
- the fraud model registry and the staging, prod and dev endpoints with data capture (devtools/seed.py, as
  `make demo`; dev for the README's "More stages" example);
- profile ``ml-dev`` in its own AWS config file (the README's dry run exports AWS_PROFILE=ml-dev);
- ``labels.csv`` in the current folder (inference_id,is_fraud,source) and captures of 950 of those ids in the
  current hour (the README's ground-truth coverage check);
- analyzer captures for 2026-11-27 00:00-02:00 in ``s3://<outputs>/data-capture/fraud-detect-prod`` (fraud_rows with
  transaction_amount shifted) and their labels in ``s3://<outputs>/ground-truth/fraud-detect-prod/2026/11/29/00/``
  (the README's analyzer commands);
- 12 hourly executions of all four monitors ending now under each stage's output URIs, as the CLI derives them
  (devtools/seed_monitoring.py), and the stack's recall alarm with its datapoints (the README's report commands).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
STATE = Path(os.environ.get("TRY_STATE_DIR") or REPO / "out" / "try")  # tests point it elsewhere
PROFILE = "ml-dev"
ANALYZER_DAY = datetime(2026, 11, 27, tzinfo=timezone.utc)


def _client(service: str, url: str) -> Any:
    import boto3

    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                     region_name="us-east-1")
    return session.client(service, endpoint_url=url)


def _start_server(state: Path) -> tuple[int, str]:
    from devtools.moto import FAKE_ENV, _server_command, free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(state / "moto_server.log", "wb")
    proc = subprocess.Popen(_server_command(port), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            env=os.environ | FAKE_ENV, start_new_session=True)  # outlives `make try`
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"error: moto_server exited with code {proc.returncode}; see {state}/moto_server.log")
        try:
            urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1).read()
            return proc.pid, url
        except OSError:
            if time.monotonic() > deadline:
                os.killpg(proc.pid, signal.SIGTERM)
                raise SystemExit(f"error: moto_server did not answer on {url} within 30 s") from None
            time.sleep(0.1)


def _aws_files(state: Path, url: str) -> dict[str, str]:
    config, credentials = state / "aws-config", state / "aws-credentials"
    config.write_text(f"[profile {PROFILE}]\nregion = us-east-1\nendpoint_url = {url}\n")
    credentials.write_text(f"[{PROFILE}]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    return {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(credentials), "AWS_ENDPOINT_URL": url,
            "AWS_REGION": "us-east-1", "AWS_PROFILE": PROFILE}


def _stage_params(state: Path, env: dict[str, str]) -> dict[str, dict[str, str]]:
    """The parameters the deploy CLI derives (a dry run into out/try, as the README's first command)."""
    from devtools.seed import OUTPUTS_BUCKET, PROJECT_ID, PROJECT_NAME, ROLE_ARN

    exports = state / "exports"
    exports.mkdir(exist_ok=True)
    cmd = [sys.executable, str(REPO / "get_baselines_and_configs.py"), "--model-monitor-role", ROLE_ARN,
           "--sagemaker-project-name", PROJECT_NAME, "--sagemaker-project-id", PROJECT_ID,
           "--monitor-outputs-bucket", OUTPUTS_BUCKET, "--dry-run",
           "--template-file", str(REPO / "model-monitor-template.yml")]
    for stage in ("staging", "prod"):
        cmd += ["--import-config", f"{stage}={REPO / f'{stage}-monitoring-schedule-config.json'}",
                "--export-config", f"{stage}={exports / f'{stage}-config-export.json'}"]
    done = subprocess.run(cmd, cwd=REPO, env=os.environ | env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"error: the dry run that derives the stage parameters failed:\n{done.stderr}")
    return {stage: json.loads((exports / f"{stage}-config-export.json").read_text())["Parameters"]
            for stage in ("staging", "prod")}


def _analyzer_data(s3: Any) -> None:
    """Two hours of prod captures on 2026-11-27 (transaction_amount shifted) and their labels two days later."""
    from devtools.seed import OUTPUTS_BUCKET
    from devtools.seed_captures import fraud_rows, traffic, write_captures, write_ground_truth

    rows = 4000
    data = traffic(rows, seed=11, high_risk=0.012)
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        ids = write_captures(root / "capture", data, ANALYZER_DAY, seconds_apart=7200 / rows,
                             rows=fraud_rows(rows, seed=11, amount_shift=40.0))
        write_ground_truth(root / "labels", ids, data.labels, ANALYZER_DAY + timedelta(days=2))
        for folder, prefix in ((root / "capture", "data-capture"), (root / "labels", "ground-truth/fraud-detect-prod")):
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                s3.put_object(Bucket=OUTPUTS_BUCKET, Key=f"{prefix}/{path.relative_to(folder).as_posix()}",
                              Body=path.read_bytes())


def _alarms(cw: Any, params: dict[str, str], s3: Any, now: datetime) -> None:
    """The stack's recall alarm (as the template names and shapes it) with the recall datapoints Model Monitor would
    have published, and its state."""
    base, endpoint = params["MonitoringScheduleBaseName"], params["EndpointName"]
    metric = params.get("ModelQualityAlarmMetric") or "recall"
    threshold = float(params.get("ModelQualityAlarmThreshold") or 0.5)
    dimensions = [{"Name": "Endpoint", "Value": endpoint},
                  {"Name": "MonitoringSchedule", "Value": f"{base}-model-quality"}]
    cw.put_metric_alarm(AlarmName=f"{base}-model-quality-{metric}", Namespace="aws/sagemaker/Endpoints/model-metrics",
                        MetricName=metric, Dimensions=dimensions, Statistic="Minimum", Period=86400,
                        EvaluationPeriods=1, DatapointsToAlarm=1, ComparisonOperator="LessThanThreshold",
                        Threshold=threshold, TreatMissingData="missing")
    bucket, _, prefix = params["ModelQualityOutputS3Uri"].removeprefix("s3://").partition("/")
    values = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if item["Key"].endswith("/statistics.json"):
                document = json.loads(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
                hour = datetime.strptime("/".join(item["Key"].split("/")[-5:-1]), "%Y/%m/%d/%H")
                values.append((hour.replace(tzinfo=timezone.utc),
                               document["binary_classification_metrics"][metric]["value"]))
    cw.put_metric_data(Namespace="aws/sagemaker/Endpoints/model-metrics", MetricData=[
        {"MetricName": metric, "Dimensions": dimensions, "Timestamp": when, "Value": value} for when, value in values])
    newest = max(values)[1] if values else None
    if newest is not None and newest < threshold:
        cw.set_alarm_state(AlarmName=f"{base}-model-quality-{metric}", StateValue="ALARM",
                           StateReason=f"Threshold Crossed: {metric} {newest:.3f} < {threshold}")


def start(folder: Path) -> int:
    """Start and seed; print the export lines. ``folder``: where labels.csv goes (the README's commands' folder)."""
    from bench.bench_ground_truth import write_capture_files, write_label_csv
    from devtools.seed import OUTPUTS_BUCKET, create_endpoint, seed
    from devtools.seed_monitoring import seed_monitoring

    STATE.mkdir(parents=True, exist_ok=True)
    if (STATE / "state.json").exists():
        print(f"error: a try environment is already running ({STATE / 'state.json'}); run make try-stop first",
              file=sys.stderr)
        return 2
    pid, url = _start_server(STATE)
    (STATE / "state.json").write_text(json.dumps({"pid": pid, "url": url}))
    try:
        env = _aws_files(STATE, url)
        sm, s3, cw = _client("sagemaker", url), _client("s3", url), _client("cloudwatch", url)
        print(f"moto_server on {url} (pid {pid}); seeding ...", file=sys.stderr, flush=True)
        seeded = seed(sm, s3)
        create_endpoint(sm, "dev", seeded.latest_approved_arn)  # the README's "More stages" example adds dev
        params = _stage_params(STATE, env)
        for stage in ("staging", "prod"):  # what the README's dry run writes, so its commands run in any order
            name = f"{stage}-config-export.json"
            (folder / name).write_bytes((STATE / "exports" / name).read_bytes())
        now = datetime.now(timezone.utc)
        labels = write_label_csv(folder / "labels.csv", 1000)
        ids = [f"tx-{i:09d}" for i in range(950)]  # 950 of the 1,000 labelled transactions were captured
        write_capture_files(s3, f"s3://{OUTPUTS_BUCKET}/data-capture", params["prod"]["EndpointName"], ids, now)
        _analyzer_data(s3)
        from devtools.seed_captures import write_matured_day

        write_matured_day(s3, OUTPUTS_BUCKET, params["prod"], now)  # the README's --matured-negatives command
        for stage in ("staging", "prod"):
            seed_monitoring(s3, params[stage], end=now, hours=12, drift_from=8, rows=1000)
            _alarms(cw, params[stage], s3, now)
    except BaseException:
        stop()
        raise
    lines = [f"export {key}={value}" for key, value in env.items()]
    (STATE / "env.sh").write_text("\n".join(lines) + "\n")
    print(f"seeded: registry {params['prod']['EndpointName']} and staging endpoints, {labels.name}, captures, "
          "labels, 12 hours of monitoring outputs per stage, the recall alarms", file=sys.stderr)
    print("\n".join(lines))
    print(f"# or: source {STATE / 'env.sh'}; then run the README's usage commands; make try-stop ends it",
          file=sys.stderr)
    return 0


def stop() -> int:
    """Stop the server started by `make try` (by its recorded process group) and forget it."""
    state = STATE / "state.json"
    if not state.exists():
        print("no try environment is running", file=sys.stderr)
        return 0
    pid = json.loads(state.read_text())["pid"]
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
        for _ in range(100):
            os.killpg(pid, 0)
            time.sleep(0.1)
        os.killpg(pid, signal.SIGKILL)
    state.unlink()
    print(f"moto_server (pid {pid}) stopped", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.try_env")
    parser.add_argument("action", choices=("start", "stop"))
    parser.add_argument("--folder", default=".", help="where labels.csv is written (default: the current folder)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    return start(Path(args.folder)) if args.action == "start" else stop()


if __name__ == "__main__":
    sys.exit(main())

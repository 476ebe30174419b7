"""Processing engine part of `make demo` (issue 19), run by bench/demo.py with the emulator's environment after
bench/demo_analyzer.py seeded its captures and labels.

1. The real CLI writes a prod parameter file with MonitoringEngine "processing" (the plan names the engine and
   costs it).
2. Each state machine's steps, run here as AWS would run them: the window from the scheduled time and the monitor's
   offsets (pipelines/formats/windows.py, the rule the state machines compute in JSONata), the Processing job's
   inputs downloaded from the window's Data Capture folders, the analyzer container's own entrypoint
   (``python -m pipelines.analyze.container``) with the environment the state machine gives it
   (devtools/processing_engine_block.job_environment), which publishes its CloudWatch metrics itself, and the job's
   output uploaded to Model Monitor's layout ``<OutputS3Uri>/<endpoint>/<schedule>/yyyy/mm/dd/hh``.
3. ``python -m pipelines.report`` reads those outputs.
Not emulated: EventBridge Scheduler and Step Functions themselves (moto runs no state machine tasks); the state
machines are checked offline by tests/test_processing_engine.py (asl-validator, jsonata, botocore).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from devtools import processing_engine_block as engine  # noqa: E402
from devtools.seed import OUTPUTS_BUCKET  # noqa: E402
from pipelines.core.s3uri import parse_s3_uri  # noqa: E402
from pipelines.formats.windows import analysis_window, capture_folders, iso  # noqa: E402

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud-analyzer:1.0"  # what a team pushes to ECR
DEMO_PREFIX = f"s3://{OUTPUTS_BUCKET}/analyzer-demo"  # bench/demo_analyzer.py seeds its captures and labels here
# (monitor, scheduled time): data quality at 02:00 reads the hour 01:00-02:00 of the seeded captures; model quality
# started for 2026-12-05 01:00 reads captures 8 to 7 days older (-P8D/-P7D), i.e. from 2026-11-27 01:00.
RUNS = (("data-quality", "2026-11-27T02:00:00Z"), ("model-quality", "2026-12-05T01:00:00Z"))


def run(cmd: list[str], env: dict[str, str] | None = None) -> int:
    print("$ " + " ".join(str(c).replace(str(REPO) + "/", "") for c in cmd), flush=True)
    return subprocess.call(cmd, cwd=REPO, env=env)


def parameter_file(out: Path) -> dict[str, str]:
    """The real CLI with a prod stage file that picks the processing engine."""
    stage = json.loads((REPO / "prod-monitoring-schedule-config.json").read_text())
    stage["Parameters"].update({
        "MonitoringEngine": "processing", "AnalyzerImageUri": IMAGE,
        "DataCaptureS3Uri": f"{DEMO_PREFIX}/data-capture", "GroundTruthInput": f"{DEMO_PREFIX}/ground-truth",
        "EnableModelBiasMonitor": "no", "EnableModelExplainabilityMonitor": "no"})
    stage_file = out / "prod-processing-stage.json"
    stage_file.write_text(json.dumps(stage, indent=2))
    exported = out / "prod-config-export.json"
    code = run([sys.executable, "get_baselines_and_configs.py", "--import-prod-config", str(stage_file),
                "--export-prod-config", str(exported), "--export-staging-config", str(out / "staging-config-export.json")])
    if code != 0:
        raise SystemExit(code)
    return json.loads(exported.read_text())["Parameters"]


def download(s3: Any, uri: str, local: Path) -> int:
    """A Processing job's S3Prefix input in File mode: every object under the prefix, relative paths kept."""
    bucket, prefix = parse_s3_uri(uri)
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            target = local / item["Key"][len(prefix):]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
            count += 1
    return count


def upload(s3: Any, local: Path, uri: str) -> list[str]:
    """The job's output (EndOfJob): every file under the output folder to the output prefix."""
    bucket, prefix = parse_s3_uri(uri)
    keys = []
    for path in sorted(p for p in local.rglob("*") if p.is_file()):
        key = f"{prefix.rstrip('/')}/{path.relative_to(local)}"
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
        keys.append(key)
    return keys


def one_run(s3: Any, cloudwatch: Any, params: dict[str, str], key: str, scheduled: str, work: Path) -> int:
    """One state machine execution's steps, locally."""
    monitor = engine.monitor(key)
    start_offset, end_offset = (("-PT1H", "-PT0H") if key != "model-quality" else
                                (params["GroundTruthStartTimeOffset"], params["GroundTruthEndTimeOffset"]))
    window = analysis_window(datetime.fromisoformat(scheduled.replace("Z", "+00:00")), start_offset, end_offset)
    endpoint, schedule = params["EndpointName"], f"{params['MonitoringScheduleBaseName']}-{key}"
    print(f"\n{monitor.title}: scheduled {scheduled}, offsets {start_offset}/{end_offset} -> window "
          f"{iso(window.start)} to {iso(window.end)}")
    opt_ml = work / key / "opt" / "ml"
    source = opt_ml / "processing" / "input" / "endpoint"
    for variant in params["CaptureVariantNames"].split(","):
        for folder in capture_folders(window):
            uri = f"{params['DataCaptureS3Uri']}/{endpoint}/{variant}/{folder}/"
            count = download(s3, uri, source / endpoint / variant / folder)
            print(f"  input {uri} -> {count} capture file(s)")
    output = opt_ml / "processing" / "output"
    env = os.environ | engine.job_environment(monitor, params, iso(window.start), iso(window.end),
                                              dataset_source=str(source), output_path=str(output),
                                              scheduled=iso(window.scheduled_hour))
    env["ANALYZER_OPT_ML"] = str(opt_ml)
    code = run([sys.executable, "-m", "pipelines.analyze.container"], env)
    if code != 0:
        print(f"  the job failed (exit {code}): {(opt_ml / 'output' / 'failure').read_text()}")
        return code
    destination = f"{params[monitor.output_param]}/{endpoint}/{schedule}/{window.output_folder}"
    keys = upload(s3, output, destination)
    print(f"  output -> {destination}/ ({', '.join(k.rsplit('/', 1)[1] for k in keys)})")
    namespace = env["cloudwatch_namespace"]
    metrics = cloudwatch.list_metrics(Namespace=namespace, Dimensions=[
        {"Name": "MonitoringSchedule", "Value": schedule}])["Metrics"]
    print(f"  CloudWatch: {len(metrics)} metric(s) in {namespace} for MonitoringSchedule {schedule}, "
          "published by the container itself")
    return 0


def main(out: Path) -> int:
    import boto3

    url = os.environ["AWS_ENDPOINT_URL"]
    s3, cloudwatch = boto3.client("s3", endpoint_url=url), boto3.client("cloudwatch", endpoint_url=url)
    out = out / "processing"
    out.mkdir(parents=True, exist_ok=True)
    params = parameter_file(out)
    with tempfile.TemporaryDirectory() as work:
        for key, scheduled in RUNS:
            if one_run(s3, cloudwatch, params, key, scheduled, Path(work)) != 0:
                return 1
    print("\nThe report reads the outputs from Model Monitor's layout; its schedule line says that no state machine "
          "exists, because the emulator runs no Step Functions (in AWS it lists the state machine's executions):")
    code = run([sys.executable, "-m", "pipelines.report", "--stage", "prod", "--params-file",
                str(out / "prod-config-export.json")])
    return 0 if code in (0, 3) else code


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))

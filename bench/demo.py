"""`make demo`: moto_server on 127.0.0.1, a seeded fraud registry, and the real CLI run as CodeBuild runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from devtools.moto import moto_server  # noqa: E402
from devtools.seed import GROUP, OUTPUTS_BUCKET, cli_env, seed  # noqa: E402

OUT = REPO / "out" / "demo"


def banner(text: str) -> None:
    print(f"\n==== {text} " + "=" * max(0, 100 - len(text)), flush=True)


def run(cmd: list[str], env: dict[str, str]) -> int:
    print("$ " + " ".join(cmd), flush=True)
    return subprocess.call(cmd, cwd=REPO, env=env)


def main() -> int:
    import boto3

    OUT.mkdir(parents=True, exist_ok=True)
    with moto_server(log_path=OUT / "moto_server.log") as url:
        env = os.environ | cli_env(url)
        banner(f"moto_server on {url}: seeding the fraud-detection registry")
        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                        region_name="us-east-1")
        sm = session.client("sagemaker", endpoint_url=url)
        s3 = session.client("s3", endpoint_url=url)
        seeded = seed(sm, s3)
        for arn in seeded.package_arns:
            status = sm.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"]
            print(f"  {arn}  {status}")
        print(f"  endpoints: {', '.join(seeded.endpoints.values())} (data capture on, running version 3)")

        banner("CodeBuild step: python get_baselines_and_configs.py --strict (values from environment variables)")
        cmd = [sys.executable, "get_baselines_and_configs.py", "--strict",  # as buildspec.yml runs it
               "--export-staging-config", str(OUT / "staging-config-export.json"),
               "--export-prod-config", str(OUT / "prod-config-export.json")]
        started = time.monotonic()
        code = run(cmd, env)
        print(f"(exit {code}, {time.monotonic() - started:.2f} s wall, cold process)")
        if code != 0:
            return code

        banner("Generated files")
        for path in sorted(OUT.glob("*.json")):
            print(f"--- {path.relative_to(REPO)}")
            text = path.read_text()
            print(text if "staging-config-export.json" == path.name else "\n".join(text.splitlines()[:6] + ["  ..."]))

        banner("Second run: unchanged inputs write nothing new")
        objects = len(s3.list_objects_v2(Bucket=OUTPUTS_BUCKET).get("Contents", []))
        code = subprocess.call(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL)
        after = len(s3.list_objects_v2(Bucket=OUTPUTS_BUCKET).get("Contents", []))
        print(f"exit {code}; objects in s3://{OUTPUTS_BUCKET}: {objects} before, {after} after")
        if code != 0:
            return code

        day2 = REPO / "bench" / "demo_day2.py"
        if day2.exists():
            banner("Day 2: fraud labels as ground truth, and the monitoring report")
            code = subprocess.call([sys.executable, str(day2), str(OUT)], cwd=REPO, env=env)
            if code != 0:
                return code

        banner("Our own analyzer: Model Monitor's checks on seeded captures, fraud recall before the labels")
        code = subprocess.call([sys.executable, str(REPO / "bench" / "demo_analyzer.py"), str(OUT)], cwd=REPO, env=env)
        if code != 0:
            return code

        banner("Processing engine (MonitoringEngine processing): each state machine's steps, run locally")
        code = subprocess.call([sys.executable, str(REPO / "bench" / "demo_processing.py"), str(OUT)], cwd=REPO,
                               env=env)
        if code != 0:
            return code

        banner("Deploy (real AWS account; CloudFormation is not emulated here)")
        for stage in ("staging", "prod"):
            print(f"aws cloudformation deploy --template-file model-monitor-template.yml "
                  f"--stack-name fraud-detect-{stage}-model-monitor "
                  f"--s3-bucket {OUTPUTS_BUCKET} --s3-prefix cloudformation/fraud-detect-{stage} "
                  f"--parameter-overrides file://out/demo/{stage}-config-export.parameter-overrides.json "
                  f"--tags file://out/demo/{stage}-config-export.tags.json")
        print(f"\nDemo finished: model package group {GROUP}, both stages, all four monitors. "
              "moto_server stopped.")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; moto_server stopped", file=sys.stderr)
        sys.exit(130)

"""Helpers of the report tests: the stage parameters the report reads, S3 puts and a report run."""

from __future__ import annotations

import io
import json

from devtools.seed import OUTPUTS_BUCKET as BUCKET  # the bucket the shared s3 fixture creates
from pipelines.report import cli as report

ENDPOINT = "fraud-detect-prod"
BASE = "fraud-detect-prod"
PARAMS = {
    "StageName": "prod",
    "EndpointName": ENDPOINT,
    "MonitoringScheduleBaseName": BASE,
    "GroundTruthInput": f"s3://{BUCKET}/ground-truth/prod",
    "EnableDataQualityMonitor": "yes",
    "EnableModelQualityMonitor": "yes",
    "EnableModelBiasMonitor": "yes",
    "EnableModelExplainabilityMonitor": "yes",
    "DataQualityOutputS3Uri": f"s3://{BUCKET}/monitoring/prod/data-quality",
    "ModelQualityOutputS3Uri": f"s3://{BUCKET}/monitoring/prod/model-quality",
    "ModelBiasOutputS3Uri": f"s3://{BUCKET}/monitoring/prod/model-bias",
    "ModelExplainabilityOutputS3Uri": f"s3://{BUCKET}/monitoring/prod/model-explainability",
}


def put(s3, uri: str, body: bytes) -> None:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    s3.put_object(Bucket=bucket, Key=key, Body=body)


def run_report(sm, s3, tmp_path, monkeypatch, *argv: str, params: dict | None = None) -> tuple[int, str]:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prod-config-export.json").write_text(json.dumps({"Parameters": params or PARAMS, "Tags": {}}))
    out = io.StringIO()
    code = report.run(report.parse_args(["--stage", "prod", *argv]), sm=sm, s3=s3, out=out)
    return code, out.getvalue()

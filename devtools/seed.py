"""Seed a SageMaker + S3 emulator with a realistic fraud-detection registry (demo, benchmark, end-to-end tests).

A group with several versions (approved, rejected, pending), drift-check baselines exactly as a real ModelBuild
pipeline registers them (tests/fixtures/sdk: SDK-generated Clarify configs, baselining job outputs), and
staging + prod endpoints with data capture running the latest approved version.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"
PROJECT_NAME = "fraud-detect"
PROJECT_ID = "p-abc123"
GROUP = f"{PROJECT_NAME}-{PROJECT_ID}"
ARTIFACTS_BUCKET = f"sagemaker-project-{PROJECT_ID}"  # what ModelBuild writes; the CLI must never write here
OUTPUTS_BUCKET = f"fraud-monitor-outputs-{ACCOUNT}"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/fraud-model-monitor"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
FEATURES = ["transaction_amount", "merchant_category", "card_present", "customer_age_band", "hour_of_day",
            "txn_count_24h"]
# version -> approval status, in creation order: 3 is the newest Approved, 4 (newer) is still pending
DEFAULT_VERSIONS = ["Approved", "Rejected", "Approved", "PendingManualApproval"]
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "sdk"


def fixture(name: str) -> Any:
    """One registry artifact from tests/fixtures/sdk (made by the SageMaker SDK or a real job; see its README)."""
    return json.loads((FIXTURES / name).read_text())


# DriftCheckBaselines entry -> (key under the version's prefix, fixture file): what a real ModelBuild pipeline
# registers (ClarifyCheckStep's monitoring analysis configs, Model Monitor baselining job outputs).
BASELINE_DOCUMENTS = {
    ("ModelDataQuality", "Statistics"): ("data-quality/statistics.json", "data_quality_statistics.json"),
    ("ModelDataQuality", "Constraints"): ("data-quality/constraints.json", "data_quality_constraints.json"),
    ("ModelQuality", "Statistics"): ("model-quality/statistics.json", "model_quality_statistics.json"),
    ("ModelQuality", "Constraints"): ("model-quality/constraints.json", "model_quality_constraints.json"),
    ("Bias", "ConfigFile"): ("bias/analysis_config.json", "bias_monitoring_analysis_config.json"),
    ("Bias", "PreTrainingConstraints"): ("bias/pre_training_constraints.json", "bias_pre_training_constraints.json"),
    ("Bias", "PostTrainingConstraints"): ("bias/post_training_constraints.json",
                                          "bias_post_training_constraints.json"),
    ("Explainability", "Constraints"): ("explainability/constraints.json", "explainability_constraints.json"),
    ("Explainability", "ConfigFile"): ("explainability/analysis_config.json",
                                       "explainability_monitoring_analysis_config.json"),
}


@dataclass
class Seeded:
    """What was seeded, for assertions and printing."""

    package_arns: list[str]
    latest_approved_arn: str
    endpoints: dict[str, str]


def upload_baselines(s3: Any, version: int, omit: tuple[str, ...] = (),
                     overrides: dict[str, str] | None = None) -> dict[str, Any]:
    """Write baseline files for one version under the artifacts bucket; DriftCheckBaselines for them.

    ``overrides`` maps a DriftCheckBaselines path to another fixture file (e.g. an older pipeline's config)."""
    baselines: dict[str, Any] = {}
    for (section, name), (key, fixture_name) in BASELINE_DOCUMENTS.items():
        if f"{section}.{name}" in omit:
            continue
        body = (FIXTURES / (overrides or {}).get(f"{section}.{name}", fixture_name)).read_bytes()
        full_key = f"model-build/v{version}/baselines/{key}"
        s3.put_object(Bucket=ARTIFACTS_BUCKET, Key=full_key, Body=body, ContentType="application/json")
        baselines.setdefault(section, {})[name] = {
            "S3Uri": f"s3://{ARTIFACTS_BUCKET}/{full_key}", "ContentType": "application/json",
            "ContentDigest": "sha256:" + hashlib.sha256(body).hexdigest()}
    return baselines


def seed(sm: Any, s3: Any, versions: list[str] | None = None, *, endpoints: bool = True,
         capture: bool = True, omit: tuple[str, ...] = (), extra_versions: int = 0,
         overrides: dict[str, str] | None = None) -> Seeded:
    """Create buckets, the group, its versions with baselines, and both endpoints on the newest approved one."""
    versions = DEFAULT_VERSIONS if versions is None else versions
    for bucket in (ARTIFACTS_BUCKET, OUTPUTS_BUCKET):
        s3.create_bucket(Bucket=bucket)
    sm.create_model_package_group(ModelPackageGroupName=GROUP,
                                  ModelPackageGroupDescription="Fraud detection XGBoost models")
    for _ in range(extra_versions):  # old history, for the 10,000-version benchmark
        sm.create_model_package(ModelPackageGroupName=GROUP, ModelApprovalStatus="Rejected",
                                InferenceSpecification=_inference())
    arns: list[str] = []
    latest_approved = ""
    for index, status in enumerate(versions, start=1 + extra_versions):
        response = sm.create_model_package(
            ModelPackageGroupName=GROUP, ModelApprovalStatus=status, InferenceSpecification=_inference(),
            ModelPackageDescription=f"fraud model v{index}",
            DriftCheckBaselines=upload_baselines(s3, index, omit, overrides))
        arns.append(response["ModelPackageArn"])
        if status == "Approved":
            latest_approved = response["ModelPackageArn"]
    deployed: dict[str, str] = {}
    if endpoints and latest_approved:
        for stage in ("staging", "prod"):
            deployed[stage] = create_endpoint(sm, stage, latest_approved, capture=capture)
    return Seeded(package_arns=arns, latest_approved_arn=latest_approved, endpoints=deployed)


def _inference() -> dict[str, Any]:
    return {"Containers": [{"Image": IMAGE, "ModelDataUrl": f"s3://{ARTIFACTS_BUCKET}/model-build/model.tar.gz"}],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}


def create_endpoint(sm: Any, stage: str, package_arn: str, *, capture: bool = True) -> str:
    """Model from the package, endpoint config with data capture (Input and Output), endpoint."""
    name = f"{PROJECT_NAME}-{stage}"
    version = package_arn.rsplit("/", 1)[-1]
    model = f"{PROJECT_NAME}-{stage}-v{version}"
    sm.create_model(ModelName=model, ExecutionRoleArn=ROLE_ARN,
                    Containers=[{"ModelPackageName": package_arn}])
    sm.create_endpoint_config(
        EndpointConfigName=f"{name}-config-v{version}",
        ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": model, "InitialInstanceCount": 1,
                             "InstanceType": "ml.m5.large", "InitialVariantWeight": 1.0}],
        DataCaptureConfig={"EnableCapture": capture, "InitialSamplingPercentage": 100,
                           "DestinationS3Uri": f"s3://{OUTPUTS_BUCKET}/data-capture",
                           "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
                           "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]}})
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config-v{version}")
    return name


def cli_env(endpoint_url: str | None = None) -> dict[str, str]:
    """The environment CodeBuild gives the CLI, pointed at the emulator."""
    env = {"MODEL_MONITOR_ROLE_ARN": ROLE_ARN, "SAGEMAKER_PROJECT_NAME": PROJECT_NAME,
           "SAGEMAKER_PROJECT_ID": PROJECT_ID, "MONITOR_OUTPUTS_BUCKET": OUTPUTS_BUCKET,
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
           "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}
    if endpoint_url:
        env["AWS_ENDPOINT_URL"] = endpoint_url
    return env

"""Seed a SageMaker + S3 emulator with a realistic fraud-detection registry (demo, benchmark, end-to-end tests).

A group with several versions (approved, rejected, pending), drift-check baselines in the real SageMaker formats
for all four monitors, and staging + prod endpoints with data capture running the latest approved version.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
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


def statistics() -> dict[str, Any]:
    return {"version": 0.0, "dataset": {"item_count": 50000},
            "features": [{"name": name, "inferred_type": "Fractional",
                          "numerical_statistics": {"common": {"num_present": 50000, "num_missing": 0},
                                                   "mean": 42.5, "sum": 2125000.0, "std_dev": 97.1, "min": 0.0,
                                                   "max": 9800.0}} for name in FEATURES]}


def constraints() -> dict[str, Any]:
    return {"version": 0.0,
            "features": [{"name": name, "inferred_type": "Fractional", "completeness": 1.0,
                          "num_constraints": {"is_non_negative": True}} for name in FEATURES],
            "monitoring_config": {"evaluate_constraints": "Enabled", "emit_metrics": "Enabled",
                                  "datatype_check_threshold": 1.0, "domain_content_threshold": 1.0,
                                  "distribution_constraints": {"perform_comparison": "Enabled",
                                                               "comparison_threshold": 0.1,
                                                               "comparison_method": "Robust"}}}


def model_quality_constraints() -> dict[str, Any]:
    def lower(value: float) -> dict[str, Any]:
        return {"threshold": value, "comparison_operator": "LessThanThreshold"}

    return {"version": 0.0, "binary_classification_constraints": {
        "recall": lower(0.78), "precision": lower(0.62), "f1": lower(0.69), "auc": lower(0.91),
        "accuracy": lower(0.97)}}


def model_quality_statistics() -> dict[str, Any]:
    return {"version": 0.0, "dataset": {"item_count": 12000},
            "binary_classification_metrics": {name: {"value": value, "standard_deviation": 0.004}
                                              for name, value in [("recall", 0.82), ("precision", 0.66),
                                                                  ("f1", 0.73), ("auc", 0.94),
                                                                  ("accuracy", 0.985)]}}


def clarify_bias_config() -> dict[str, Any]:
    return {"dataset_type": "text/csv", "headers": ["is_fraud", *FEATURES], "label": "is_fraud",
            "label_values_or_threshold": [1], "facet": [{"name_or_index": "customer_age_band",
                                                           "value_or_threshold": [1]}],
            "probability_threshold": 0.5,
            "methods": {"report": {"name": "report", "title": "Fraud model bias"},
                        "pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
            "predictor": {"model_name": "fraud-model-build", "instance_type": "ml.m5.xlarge",
                          "initial_instance_count": 1, "accept_type": "text/csv", "content_type": "text/csv"}}


def bias_constraints(kind: str) -> dict[str, Any]:
    names = [("CI", "Class Imbalance (CI)", 0.31), ("DPL", "Difference in Positive Proportions in Labels (DPL)", 0.02)]
    if kind == "post":
        names = [("DPPL", "Difference in Positive Proportions in Predicted Labels (DPPL)", 0.03),
                 ("DI", "Disparate Impact (DI)", 0.95), ("RD", "Recall Difference (RD)", 0.04)]
    return {"version": "1.0", f"{kind}_training_bias_metrics": {
        "label": "is_fraud", "label_value_or_threshold": "1",
        "facets": {"customer_age_band": [{"value_or_threshold": "1", "metrics": [
            {"name": n, "description": d, "value": v} for n, d, v in names]}]}}}


def clarify_explainability_config() -> dict[str, Any]:
    return {"dataset_type": "text/csv", "headers": FEATURES,
            "methods": {"shap": {"baseline": [[25.0, 5, 1, 3, 14, 2]], "num_samples": 100, "agg_method": "mean_abs",
                                 "use_logit": False, "save_local_shap_values": False}},
            "predictor": {"model_name": "fraud-model-build", "instance_type": "ml.m5.xlarge",
                          "initial_instance_count": 1, "content_type": "text/csv", "accept_type": "text/csv"}}


def explainability_constraints() -> dict[str, Any]:
    return {"version": "1.0", "explanations": {"kernel_shap": {"label0": {
        "global_shap_values": dict(zip(FEATURES, [0.21, 0.12, 0.08, 0.03, 0.05, 0.17], strict=True)), "expected_value": 0.02}}}}


BASELINE_DOCUMENTS = {
    ("ModelDataQuality", "Statistics"): ("data-quality/statistics.json", statistics),
    ("ModelDataQuality", "Constraints"): ("data-quality/constraints.json", constraints),
    ("ModelQuality", "Statistics"): ("model-quality/statistics.json", model_quality_statistics),
    ("ModelQuality", "Constraints"): ("model-quality/constraints.json", model_quality_constraints),
    ("Bias", "ConfigFile"): ("bias/analysis_config.json", clarify_bias_config),
    ("Bias", "PreTrainingConstraints"): ("bias/pre_training_constraints.json", lambda: bias_constraints("pre")),
    ("Bias", "PostTrainingConstraints"): ("bias/post_training_constraints.json", lambda: bias_constraints("post")),
    ("Explainability", "Constraints"): ("explainability/constraints.json", explainability_constraints),
    ("Explainability", "ConfigFile"): ("explainability/analysis_config.json", clarify_explainability_config),
}


@dataclass
class Seeded:
    """What was seeded, for assertions and printing."""

    package_arns: list[str]
    latest_approved_arn: str
    endpoints: dict[str, str]


def upload_baselines(s3: Any, version: int, omit: tuple[str, ...] = ()) -> dict[str, Any]:
    """Write baseline files for one version under the artifacts bucket; DriftCheckBaselines for them."""
    baselines: dict[str, Any] = {}
    for (section, name), (key, make) in BASELINE_DOCUMENTS.items():
        if f"{section}.{name}" in omit:
            continue
        body = json.dumps(make(), indent=2).encode()
        full_key = f"model-build/v{version}/baselines/{key}"
        s3.put_object(Bucket=ARTIFACTS_BUCKET, Key=full_key, Body=body, ContentType="application/json")
        baselines.setdefault(section, {})[name] = {
            "S3Uri": f"s3://{ARTIFACTS_BUCKET}/{full_key}", "ContentType": "application/json",
            "ContentDigest": "sha256:" + hashlib.sha256(body).hexdigest()}
    return baselines


def seed(sm: Any, s3: Any, versions: list[str] | None = None, *, endpoints: bool = True,
         capture: bool = True, omit: tuple[str, ...] = (), extra_versions: int = 0) -> Seeded:
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
            DriftCheckBaselines=upload_baselines(s3, index, omit))
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

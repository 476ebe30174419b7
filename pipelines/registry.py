"""Model Registry and endpoint look-ups: which package's baselines to use, and what a stage's endpoint runs."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pipelines import aws
from pipelines.errors import NotFoundError

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient
else:
    SageMakerClient = Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelPackage:
    """The model package whose DriftCheckBaselines feed the monitors."""

    arn: str
    group: str
    version: int
    created: datetime | None
    approval_status: str
    drift_check_baselines: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_describe(cls, response: dict[str, Any]) -> "ModelPackage":
        return cls(
            arn=response["ModelPackageArn"],
            group=response.get("ModelPackageGroupName", ""),
            version=int(response.get("ModelPackageVersion", 0)),
            created=response.get("CreationTime"),
            approval_status=response.get("ModelApprovalStatus", ""),
            drift_check_baselines=response.get("DriftCheckBaselines") or {},
        )


@dataclass(frozen=True)
class EndpointInfo:
    """What a stage's endpoint runs (None fields: not known because the endpoint or config is missing)."""

    name: str
    exists: bool
    status: str = ""
    model_name: str | None = None
    capture: dict[str, Any] | None = None  # DataCaptureConfig of the endpoint config
    reason: str = ""  # why it is unusable, for warnings


def latest_approved(sm: SageMakerClient, group: str) -> ModelPackage:
    """The newest Approved package in ``group``: one ListModelPackages + one DescribeModelPackage, at any size.

    Raises:
        NotFoundError: the group does not exist or has no Approved package (the message counts the others).
    """
    response = aws.call(sm, "ListModelPackages", f"model package group '{group}'",
                        ModelPackageGroupName=group, ModelApprovalStatus="Approved",
                        SortBy="CreationTime", SortOrder="Descending", MaxResults=1)
    summaries = response.get("ModelPackageSummaryList", [])
    if not summaries:
        raise NotFoundError(_no_approved_message(sm, group))
    return describe_package(sm, summaries[0]["ModelPackageArn"])


def describe_package(sm: SageMakerClient, arn: str) -> ModelPackage:
    """DescribeModelPackage for one ARN (a pinned version, or the one an endpoint runs)."""
    response = aws.call(sm, "DescribeModelPackage", f"model package '{arn}'", ModelPackageName=arn)
    return ModelPackage.from_describe(response)


def _no_approved_message(sm: SageMakerClient, group: str) -> str:
    """Only on the failure path: find out why, so the message says what to do."""
    from botocore.exceptions import BotoCoreError, ClientError

    resource = f"model package group '{group}'"
    try:
        sm.describe_model_package_group(ModelPackageGroupName=group)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ValidationException":
            return (f"model package group '{group}' does not exist; pass --model-package-group-name "
                    "(default <project-name>-<project-id>)")
        raise aws.describe_failure(exc, service="sagemaker", operation="DescribeModelPackageGroup",
                                   resource=resource) from exc
    except BotoCoreError as exc:
        raise aws.describe_failure(exc, service="sagemaker", operation="DescribeModelPackageGroup",
                                   resource=resource) from exc
    counts = {"PendingManualApproval": 0, "Rejected": 0}
    for status in counts:
        token: dict[str, str] = {}
        while True:
            page = aws.call(sm, "ListModelPackages", resource, ModelPackageGroupName=group,
                            ModelApprovalStatus=status, MaxResults=100, **token)
            counts[status] += len(page.get("ModelPackageSummaryList", []))
            if not page.get("NextToken"):
                break
            token = {"NextToken": page["NextToken"]}
    return (f"model package group '{group}' has no Approved package ({counts['PendingManualApproval']} pending, "
            f"{counts['Rejected']} rejected); approve a version in the Model Registry or pass --model-package-arn")


def endpoint_info(sm: SageMakerClient, name: str) -> EndpointInfo:
    """Endpoint -> endpoint config -> first production variant's model (two calls)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        endpoint = sm.describe_endpoint(EndpointName=name)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") == "ValidationException" and "not find" in str(error.get("Message", "")).lower():
            return EndpointInfo(name=name, exists=False, reason=f"endpoint '{name}' does not exist")
        raise aws.describe_failure(exc, service="sagemaker", operation="DescribeEndpoint",
                                   resource=f"endpoint '{name}'") from exc
    except BotoCoreError as exc:
        raise aws.describe_failure(exc, service="sagemaker", operation="DescribeEndpoint",
                                   resource=f"endpoint '{name}'") from exc
    config_name = endpoint["EndpointConfigName"]
    config = aws.call(sm, "DescribeEndpointConfig", f"endpoint config '{config_name}'",
                      EndpointConfigName=config_name)
    variants = config.get("ProductionVariants") or []
    model_name = variants[0].get("ModelName") if variants else None
    return EndpointInfo(name=name, exists=True, status=endpoint.get("EndpointStatus", ""), model_name=model_name,
                        capture=config.get("DataCaptureConfig"),
                        reason="" if model_name else f"endpoint '{name}' has no production variant with a model")


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
class Variant:
    """One production variant of an endpoint config (DescribeEndpointConfig.ProductionVariants[])."""

    name: str
    model_name: str
    weight: float  # InitialVariantWeight (AWS default 1.0)
    serverless: bool = False  # ServerlessConfig set: Model Monitor does not support it
    package_arn: str | None = None  # the model package its model was created from (filled by run.py)
    model_exists: bool = True  # False: the model was deleted behind the live endpoint


@dataclass(frozen=True)
class EndpointInfo:
    """What a stage's endpoint runs (None fields: not known because the endpoint or config is missing)."""

    name: str
    exists: bool
    status: str = ""
    model_name: str | None = None  # the explainability model: the primary variant's (see primary_variant)
    capture: dict[str, Any] | None = None  # DataCaptureConfig of the endpoint config
    reason: str = ""  # why it is unusable, for warnings
    variants: tuple[Variant, ...] = ()

    @property
    def primary(self) -> Variant | None:
        """The variant whose model the explainability config names (primary_variant)."""
        return primary_variant(self.variants)


def primary_variant(variants: tuple[Variant, ...]) -> Variant | None:
    """The variant with the largest InitialVariantWeight; a tie goes to the one listed first.

    The explainability config names ONE model (Clarify starts a shadow endpoint from it): the variant that takes
    most traffic is the one whose explanations matter. The rule is stable, so reruns pick the same model.
    """
    if not variants:
        return None
    return max(enumerate(variants), key=lambda item: (item[1].weight, -item[0]))[1]


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
    """Endpoint -> endpoint config -> every production variant and the primary one's model (two calls)."""
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
    # Shapes: botocore's service model, DescribeEndpointConfig.ProductionVariants[] (ProductionVariant:
    # VariantName, ModelName, InitialVariantWeight, ServerlessConfig, ...); every variant counts, not the first.
    variants = tuple(
        Variant(name=v.get("VariantName", ""), model_name=v.get("ModelName", ""),
                weight=float(v.get("InitialVariantWeight", 1.0)), serverless=bool(v.get("ServerlessConfig")))
        for v in config.get("ProductionVariants") or [])
    primary = primary_variant(variants)
    model_name = primary.model_name if primary and primary.model_name else None
    return EndpointInfo(name=name, exists=True, status=endpoint.get("EndpointStatus", ""), model_name=model_name,
                        capture=config.get("DataCaptureConfig"), variants=variants,
                        reason="" if model_name else f"endpoint '{name}' has no production variant with a model")

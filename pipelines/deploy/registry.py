"""Model Registry and endpoint look-ups: which package's baselines to use, and what a stage's endpoint runs."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

from pipelines.core import aws
from pipelines.core.errors import AwsError, NotFoundError, UsageError

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
    resource = f"model package group '{group}'"
    try:
        aws.call(sm, "DescribeModelPackageGroup", resource, ModelPackageGroupName=group)
    except AwsError as exc:
        if exc.code == "ValidationException":
            return (f"model package group '{group}' does not exist; pass --model-package-group-name "
                    "(default <project-name>-<project-id>)")
        raise
    counts = {"PendingManualApproval": 0, "Rejected": 0}
    for status in counts:
        for page in aws.paginate(sm, "ListModelPackages", resource, ModelPackageGroupName=group,
                                 ModelApprovalStatus=status, MaxResults=100):
            counts[status] += len(page.get("ModelPackageSummaryList", []))
    return (f"model package group '{group}' has no Approved package ({counts['PendingManualApproval']} pending, "
            f"{counts['Rejected']} rejected); approve a version in the Model Registry or pass --model-package-arn")


def _sagemaker_missing(exc: AwsError, says: str) -> bool:
    """SageMaker reports a missing endpoint or model as a ValidationException whose message says so (not a 404)."""
    return exc.code == "ValidationException" and says in exc.detail.lower()


def endpoint_info(sm: SageMakerClient, name: str) -> EndpointInfo:
    """Endpoint -> endpoint config -> every production variant and the primary one's model (two calls)."""
    try:
        endpoint = aws.call(sm, "DescribeEndpoint", f"endpoint '{name}'", EndpointName=name)
    except AwsError as exc:
        if _sagemaker_missing(exc, "not find"):
            return EndpointInfo(name=name, exists=False, reason=f"endpoint '{name}' does not exist")
        raise
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


# ---- look-ups the run makes around the package: the pinned ARN, project tags, each variant's package ----------


def check_pinned_arn(arn: str, group: str, region: str) -> None:
    """A pinned package must be this project's group and this run's region: the monitors run next to the endpoint.

    ARN shape: arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<version>.
    """
    parts = arn.split(":", 5)
    arn_region = parts[3] if len(parts) == 6 else ""
    arn_group = parts[5].split("/")[1] if len(parts) == 6 and parts[5].count("/") >= 2 else ""
    if arn_region and arn_region != region:
        raise UsageError(f"--model-package-arn {arn} is in region '{arn_region}' but this run is in '{region}'; "
                         f"pin a version registered in {region} (or run in {arn_region} with AWS_REGION)")
    if arn_group and arn_group != group:
        raise UsageError(f"--model-package-arn {arn} belongs to model package group '{arn_group}', not this "
                         f"project's '{group}'; pin a version of '{group}' or pass --model-package-group-name "
                         f"{arn_group}")


def project_tags(sm: Any, project_arn: str) -> dict[str, str]:
    response = aws.call(sm, "ListTags", f"project '{project_arn}'", ResourceArn=project_arn)
    return {tag["Key"]: tag["Value"] for tag in response.get("Tags", []) if not tag["Key"].lower().startswith("aws:")}


def with_packages(sm: Any, endpoint: EndpointInfo) -> EndpointInfo:
    """The endpoint with each variant's model package (one DescribeModel per distinct model).

    SageMaker lets a model be deleted while an endpoint still serves it: that is a finding (warning), not a crash.
    Response shape: botocore's service model, DescribeModel.{PrimaryContainer, Containers[]}.ModelPackageName.
    """
    models: dict[str, tuple[str | None, bool]] = {}
    for variant in endpoint.variants:
        if variant.model_name and variant.model_name not in models:
            models[variant.model_name] = _model_package(sm, variant.model_name)
    variants = tuple(replace(v, package_arn=models[v.model_name][0], model_exists=models[v.model_name][1])
                     if v.model_name else v for v in endpoint.variants)
    return replace(endpoint, variants=variants)


def _model_package(sm: Any, model_name: str) -> tuple[str | None, bool]:
    """(the model package ARN the model was created from or None, whether the model exists)."""
    try:
        model = aws.call(sm, "DescribeModel", f"model '{model_name}'", ModelName=model_name)
    except AwsError as exc:
        if _sagemaker_missing(exc, "could not find"):
            return None, False
        raise
    containers = model.get("Containers") or [model.get("PrimaryContainer") or {}]
    return next((c["ModelPackageName"] for c in containers if c.get("ModelPackageName")), None), True


def model_gone(endpoint: EndpointInfo, variant: Variant) -> str:
    return (f"endpoint '{endpoint.name}' runs model '{variant.model_name}', which no longer exists; "
            "its model package version cannot be checked")


def mixed_versions(endpoint: EndpointInfo, package: ModelPackage, stage: str) -> str:
    """A/B tests and canaries: variants on different packages are monitored against ONE package's baselines."""
    if len({v.package_arn for v in endpoint.variants if v.model_exists}) < 2:
        return ""
    running = ", ".join(f"'{v.name}' runs {_version_of(v.package_arn)}" for v in endpoint.variants
                        if v.model_exists)
    return (f"{stage}: endpoint '{endpoint.name}' variants run different model packages ({running}); every monitor "
            f"uses the baselines of version {package.version}: finish the A/B test or canary, or accept the mix")


def _version_of(arn: str | None) -> str:
    return f"version {arn.rsplit('/', 1)[-1]}" if arn else "no model package"


def choose_package(registry_package: ModelPackage | None, deployed: str | None, endpoint: EndpointInfo,
                    stage: str, describe: Callable[[str], ModelPackage]) -> tuple[ModelPackage, str]:
    if registry_package is None:  # --baseline-source endpoint
        if not deployed:
            raise NotFoundError(f"--baseline-source endpoint: {stage} endpoint '{endpoint.name}' "
                                f"{'runs no model from a model package' if endpoint.exists else 'does not exist'}; "
                                "use --baseline-source registry")
        return describe(deployed), ""
    if deployed and deployed != registry_package.arn:
        running = deployed.rsplit("/", 1)[-1]
        return registry_package, (f"{stage}: endpoint '{endpoint.name}' runs model package version {running} but "
                                  f"the baselines come from version {registry_package.version}; deploy that version "
                                  "or pass --baseline-source endpoint")
    return registry_package, ""

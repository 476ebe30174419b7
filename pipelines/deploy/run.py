"""One run, start to end: configs -> package -> per-stage plans -> validation -> derived files -> outputs."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.core.errors import EndpointError, Interrupted, NotFoundError, StrictModeError, ValidationError
from pipelines.deploy.baselines import S3Objects
from pipelines.deploy.derived import upload_derived
from pipelines.deploy.image_uris import resolve_image_uris
from pipelines.deploy.options import RunOptions, check_output_paths
from pipelines.deploy.outputs import StageOutputs, render_files, stage_outputs, write_all
from pipelines.deploy.planner import (
    StagePlan,
    capture_retention_check,
    derived_parameters,
    endpoint_state_error,
    ground_truth_note,
    plan_stage,
)
from pipelines.deploy.registry import (
    ModelPackage,
    check_pinned_arn,
    choose_package,
    describe_package,
    endpoint_info,
    latest_approved,
    mixed_versions,
    model_gone,
    project_tags,
    with_packages,
)
from pipelines.deploy.schedules import engine_problems, schedule_problems
from pipelines.deploy.stage_config import load_stage_config, tag_problems
from pipelines.deploy.template_params import ParameterSpec, load_template_parameters, validate

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    """What a run decided and did, for the printed plan."""

    plans: list[StagePlan]
    outputs: dict[str, StageOutputs]
    written: list[Path] = field(default_factory=list)
    uploaded: list[str] = field(default_factory=list)
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)  # run-wide (the pinned package); stages have their own
    specs: dict[str, ParameterSpec] = field(default_factory=dict)  # template defaults for the printed plan


def run(options: RunOptions, sm: Any, s3: Any, region: str) -> RunResult:
    """Do the whole job. Nothing is written (locally or to S3) unless every stage validates.

    Raises:
        MonitorError: any expected failure (its exit_code says which kind).
    """
    specs = load_template_parameters(options.template_path)
    configs = {stage: load_stage_config(options.import_configs[stage], stage, specs) for stage in options.stages}
    outputs = {stage: stage_outputs(options.export_paths[stage]) for stage in options.stages}
    check_output_paths([path for out in outputs.values() for path in vars(out).values()])
    images = resolve_image_uris(region, model_monitor_override=options.model_monitor_image_uri,
                                clarify_override=options.clarify_image_uri)
    run_warnings: list[str] = []
    if options.package_arn:
        check_pinned_arn(options.package_arn, options.group, region)
    registry_package = None if options.baseline_source == "endpoint" else (
        describe_package(sm, options.package_arn) if options.package_arn else latest_approved(sm, options.group))
    if options.package_arn and registry_package and registry_package.approval_status != "Approved":
        status = registry_package.approval_status or "of unknown approval status"
        run_warnings.append(f"--model-package-arn {options.package_arn} is {status}, not Approved; its baselines "
                            "were not approved for deployment: approve it in the Model Registry or pin an Approved "
                            "version")
    tags = project_tags(sm, options.project_arn) if options.project_arn else {}
    objects = S3Objects(s3)
    described: dict[str, ModelPackage] = {}

    def describe(arn: str) -> ModelPackage:  # staging and prod often run the same version: describe it once
        if arn not in described:
            described[arn] = describe_package(sm, arn)
        return described[arn]

    plans = []
    for stage in options.stages:
        config = configs[stage]
        endpoint_name = (derived_parameters(options, stage, images) | config.parameters)["EndpointName"]
        endpoint = endpoint_info(sm, endpoint_name)
        stop = endpoint_state_error(endpoint, stage)
        if stop:
            raise EndpointError(stop)
        endpoint = with_packages(sm, endpoint)
        primary = endpoint.primary
        deployed = primary.package_arn if primary else None
        gone_model = model_gone(endpoint, primary) if primary and not primary.model_exists else ""
        if gone_model and registry_package is None:
            raise NotFoundError(f"--baseline-source endpoint: {stage} {gone_model}; use --baseline-source registry")
        package, warning = choose_package(registry_package, deployed, endpoint, stage, describe)
        plan = plan_stage(options, config, specs, package, endpoint, objects, images)
        gone = [f"{stage}: {model_gone(endpoint, v)}" for v in endpoint.variants if not v.model_exists]
        plan.warnings[:0] = [line for line in (warning, mixed_versions(endpoint, package, stage), *gone) if line]
        plan.tags = tags | plan.tags
        ground_truth_note(plan, s3)
        capture_retention_check(plan, s3, specs)
        plans.append(plan)
    strict = run_warnings + [w for plan in plans for w in plan.warnings]
    if options.strict and strict:
        raise StrictModeError(f"--strict: {len(strict)} problem(s), nothing written: " + " | ".join(strict))
    problems = [f"{plan.stage}: {problem}" for plan in plans
                for problem in plan.problems + validate(plan.parameters, specs) + schedule_problems(plan.parameters, specs)
                                 + engine_problems(plan.parameters, specs)]
    if tags:  # tags from the project (SageMaker allows empty values); the stage file's were checked on read
        problems += [f"{plan.stage}: {problem}" for plan in plans for problem in tag_problems(plan.tags)]
    if problems:
        raise ValidationError(problems, context=f"generated parameters fail the template's rules "
                                                f"({len(problems)} problem(s)), nothing written")
    result = RunResult(plans=plans, outputs=outputs, dry_run=options.dry_run, warnings=run_warnings,
                       specs=specs)
    files: dict[Path, bytes] = {}
    for plan in plans:
        files.update(render_files(outputs[plan.stage], plan.parameters, plan.tags))
    uploads_done = options.dry_run
    try:
        if not options.dry_run:
            upload_derived(objects, [file for plan in plans for file in plan.derived], result.uploaded)
            uploads_done = True
        result.written = write_all(files)
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: the local files are all old, but S3 may have changed
        if result.uploaded:
            reached = "had" if uploads_done else "may have"  # stopped mid-PutObject: the last one is unknown
            raise Interrupted(f"{len(result.uploaded)} derived file(s) {reached} reached S3 (content-addressed, a "
                              "rerun reuses them); no local file was written, rerun to write them") from exc
        raise
    return result

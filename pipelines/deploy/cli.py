"""Glue between parsed flags and a run: build options and AWS clients, run, print the warnings and the plan."""

from __future__ import annotations

import sys
from typing import Any

from pipelines.core import aws
from pipelines.core.errors import EXIT_OK, AwsError
from pipelines.core.files import printable
from pipelines.deploy.options import build_options
from pipelines.deploy.outputs import StageOutputs
from pipelines.deploy.run import RunResult, run
from pipelines.deploy.schedules import cost_lines


def run_from_args(values: dict[str, Any]) -> int:
    """Build RunOptions and clients from the standard AWS chain, run, print; returns the exit code."""
    options = build_options(values)
    session = aws.make_session()
    region = session.region_name
    if not region:
        raise AwsError("no AWS region configured; set AWS_REGION (or AWS_DEFAULT_REGION) or use a profile with one")
    sm = aws.make_client(session, "sagemaker")
    s3 = aws.make_client(session, "s3")
    result = run(options, sm, s3, region)
    for warning in [*result.warnings, *(w for plan in result.plans for w in plan.warnings)]:
        print(f"warning: {printable(warning)}", file=sys.stderr)
    sys.stdout.write(render_plan(result, options.project_name, options.bucket))
    return EXIT_OK


def deploy_command(stage: str, project_name: str, outputs: StageOutputs,
                   template: str = "model-monitor-template.yml", bucket: str = "", iam: bool = False) -> str:
    """The exact aws cloudformation deploy command for a stage's generated files.

    The template is over the 51,200 bytes `deploy` sends inline, so awscli must upload it to S3 first (--s3-bucket).
    ``iam``: the stack creates IAM roles (the processing engine's), which CloudFormation refuses without
    CAPABILITY_IAM.
    """
    upload = f" --s3-bucket {bucket} --s3-prefix cloudformation/{project_name}-{stage}" if bucket else ""
    return (f"aws cloudformation deploy --template-file {template} "
            f"--stack-name {project_name}-{stage}-model-monitor{upload} "
            f"--parameter-overrides file://{outputs.parameter_overrides} --tags file://{outputs.tags}"
            + (" --capabilities CAPABILITY_IAM" if iam else ""))


ENGINES = {  # MonitoringEngine -> what deploys (README "Monitoring engines")
    "model-monitor": "SageMaker Model Monitor schedules",
    "processing": "EventBridge Scheduler -> Step Functions -> SageMaker Processing jobs, no Model Monitor",
}


def render_plan(result: RunResult, project_name: str, bucket: str = "") -> str:
    """The human-readable plan: package, per stage and per monitor on/off and why, derived files, outputs."""
    lines: list[str] = []
    seen_packages: set[str] = set()
    for plan in result.plans:
        package = plan.package
        if package.arn not in seen_packages:
            seen_packages.add(package.arn)
            created = package.created.isoformat() if package.created else "unknown"
            lines += [f"Model package: {package.arn}",
                      f"  group {package.group}, version {package.version}, created {created}, "
                      f"{package.approval_status}"]
    for plan in result.plans:
        params = plan.parameters
        endpoint = plan.endpoint
        model = endpoint.model_name if endpoint and endpoint.model_name else "unknown"
        lines += ["", f"Stage {plan.stage}: endpoint {params['EndpointName']} (model {model}), "
                      f"baselines from version {plan.package.version}"]
        engine = params.get("MonitoringEngine") or result.specs["MonitoringEngine"].default or ""
        lines.append(f"  engine: {engine} ({ENGINES.get(engine, 'unknown engine')})")
        for status in plan.monitors:
            state = "enabled " if status.enabled else "disabled"
            lines.append(f"  {status.monitor.title:<21} {state}  {'' if status.enabled else status.reason}".rstrip())
            for param, uri in status.baselines.items():
                lines.append(f"      {param}: {uri}")
            for path, uri in status.shown.items():
                lines.append(f"      ({path}, not a parameter): {uri}")
        lines += cost_lines(params, result.specs, [s.monitor for s in plan.monitors if s.enabled])
        if plan.derived:
            verb = "would write" if result.dry_run else "writes"
            lines.append(f"  derived files ({verb} if absent):")
            lines += [f"      {file.uri}" for file in plan.derived]
        for note in plan.notes:
            lines.append(f"  note: {note.split(': ', 1)[1] if ': ' in note else note}")
        out = result.outputs[plan.stage]
        lines.append("  outputs: " + ", ".join(str(p) for p in (out.template_config, out.parameter_overrides, out.tags)))
    lines.append("")
    if result.dry_run:
        lines.append("Dry run: nothing written to AWS; the local parameter files were written for inspection.")
    else:
        lines.append(f"Uploaded {len(result.uploaded)} derived file(s); the others already existed.")
    unchanged = sum(len(vars(o)) for o in result.outputs.values()) - len(result.written)
    lines.append(f"Wrote {len(result.written)} local file(s), {unchanged} unchanged.")
    lines.append("Deploy with:")
    lines += ["  " + deploy_command(plan.stage, project_name, result.outputs[plan.stage], bucket=bucket,
                                    iam=plan.parameters.get("MonitoringEngine") == "processing")
              for plan in result.plans]
    # last, one line per stage: a dropped monitor is the one thing a reader of the build log must not miss
    lines += [plan.summary() for plan in result.plans]
    return "\n".join(lines) + "\n"

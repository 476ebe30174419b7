"""Judges for the processing engine's resources (issue 19): the state machines as Step Functions would run them.

- ``state_machines``: each rendered AWS::StepFunctions::StateMachine's definition with its DefinitionSubstitutions
  applied (CloudFormation replaces ``${Name}`` placeholders:
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-stepfunctions-statemachine.html);
- ``asl_problems``: the npm package asl-validator on every definition (one node process);
- ``run``: one execution walked by tests/support/asl_run.js, JSONata evaluated by the jsonata package;
- ``processing_job_problems``: a Task's Arguments against botocore's CreateProcessingJob input shape.
Node and the npm packages come from ``make node`` (node_modules/ at the repo root).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import botocore.session
from botocore.validate import ParamValidator

from tests.support.template_render import REPO_ROOT, coerce

NODE_MODULES = REPO_ROOT / "node_modules"
ASL_VALIDATOR = NODE_MODULES / ".bin" / "asl-validator"
RUNNER = Path(__file__).with_name("asl_run.js")
STATE_MACHINE_TYPE = "AWS::StepFunctions::StateMachine"
SCHEDULE_TYPE = "AWS::Scheduler::Schedule"
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def node_missing() -> str | None:
    """Why the node-based judges cannot run here: only a missing node skips them (None when it is installed)."""
    if shutil.which("node") is None:
        return "node is not installed (apt-get install nodejs npm); the state machine checks need it"
    return None


def _require_node_modules() -> None:
    """With node installed, missing npm packages are a set-up error, not a reason to skip."""
    if not ASL_VALIDATOR.exists() or not (NODE_MODULES / "jsonata").exists():
        raise RuntimeError("node_modules/ lacks asl-validator or jsonata: run `make node` (npm ci)")


def _substitute(value: Any, substitutions: dict[str, str], missing: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, substitutions, missing) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(item, substitutions, missing) for item in value]
    if isinstance(value, str):
        def one(match: re.Match[str]) -> str:
            if match.group(1) not in substitutions:
                missing.add(match.group(1))
                return match.group(0)
            return str(substitutions[match.group(1)])
        return _PLACEHOLDER.sub(one, value)
    return value


def state_machines(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Logical id -> the definition Step Functions receives.

    Raises:
        ValueError: a placeholder without a substitution (CloudFormation would leave it in the definition).
    """
    machines: dict[str, dict[str, Any]] = {}
    for logical_id, resource in resources.items():
        if resource["Type"] != STATE_MACHINE_TYPE:
            continue
        props = resource["Properties"]
        missing: set[str] = set()
        machines[logical_id] = _substitute(props["Definition"], props.get("DefinitionSubstitutions", {}), missing)
        if missing:
            raise ValueError(f"{logical_id}: no DefinitionSubstitutions for {', '.join(sorted(missing))}")
    return machines


def asl_problems(definitions: dict[str, dict[str, Any]]) -> list[str]:
    """asl-validator's findings, one line per problem, for all definitions at once."""
    _require_node_modules()
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, definition in definitions.items():
            path = Path(tmp) / f"{name}.json"
            path.write_text(json.dumps(definition))
            paths += ["--json-path", str(path)]
        result = subprocess.run([str(ASL_VALIDATOR), *paths], capture_output=True, text=True, check=False)
    if result.returncode == 0:
        return []
    return [line.replace(tmp + "/", "") for line in (result.stdout + result.stderr).splitlines() if line.strip()]


STATE_MACHINE_ARN = "arn:aws:states:us-east-1:555555555555:stateMachine:fraud-detection-staging-model-quality-matured"


def run(definition: dict[str, Any], scheduled_time: str, execution_name: str = "a1b2c3d4-e5f6",
        outcomes: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """One execution as the Scheduler starts it: {"variables": ..., "tasks": [{"state", "resource", "arguments"}],
    "path": [...], "end": {"state", "type", "error", "cause"}}; ``outcomes``: a Task's result ({"result": ...}) or
    error ({"Error", "Cause"}) by state name (asl_run.js)."""
    _require_node_modules()
    payload = {"definition": definition, "input": {"scheduledTime": scheduled_time},
               "context": {"Execution": {"Name": execution_name}, "StateMachine": {"Id": STATE_MACHINE_ARN}},
               "outcomes": outcomes or {}}
    result = subprocess.run(["node", str(RUNNER)], input=json.dumps(payload), capture_output=True, text=True,
                            cwd=REPO_ROOT, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"asl_run.js failed: {result.stderr.strip()}")
    return json.loads(result.stdout)


def run_many(definition: dict[str, Any], scheduled_times: list[str],
             execution_name: str = "a1b2c3d4-e5f6") -> list[dict[str, Any]]:
    """``run`` for many scheduled times in one node process (one result per time, in order)."""
    _require_node_modules()
    payload = {"definition": definition, "inputs": [{"scheduledTime": t} for t in scheduled_times],
               "context": {"Execution": {"Name": execution_name}}}
    result = subprocess.run(["node", str(RUNNER)], input=json.dumps(payload), capture_output=True, text=True,
                            cwd=REPO_ROOT, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"asl_run.js failed: {result.stderr.strip()}")
    return json.loads(result.stdout)


def processing_job_problems(arguments: dict[str, Any]) -> list[str]:
    """What botocore's CreateProcessingJob input shape rejects (types coerced by the shape, as facts.md says)."""
    shape = botocore.session.get_session().get_service_model("sagemaker").operation_model(
        "CreateProcessingJob").input_shape
    report = ParamValidator().validate(coerce(arguments, shape), shape)
    problems = report.generate_report().splitlines() if report.has_errors() else []
    name = arguments.get("ProcessingJobName", "")
    if not re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", str(name)):
        problems.append(f"ProcessingJobName {name!r} is not 1-63 of [a-zA-Z0-9-] without a leading '-'")
    return problems

"""The parameter files the CLI generates deploy: rendered template passes botocore's validator, moto and cfn-lint."""

from __future__ import annotations

import json

import pytest

from tests.support.template_render import api_problems, cfn_lint, create_job_definitions_in_moto, render

JOB_DEFINITIONS = ["DataQualityJobDefinition", "ModelBiasJobDefinition", "ModelExplainabilityJobDefinition",
                   "ModelQualityJobDefinition", "ModelQualityMaturedJobDefinition"]  # + the matured labels' job (issue 18)


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["staging", "prod"])
def test_the_generated_stage_file_renders_to_valid_api_requests_and_lints_clean(cli, seeded, stage):
    assert cli().exit_code == 0
    params = json.loads((cli.tmp / f"{stage}.json").read_text())["Parameters"]
    resources = render(params)
    assert sorted(k for k, v in resources.items() if v["Type"].endswith("JobDefinition")) == JOB_DEFINITIONS
    assert len([v for v in resources.values() if v["Type"] == "AWS::SageMaker::MonitoringSchedule"]) == 5
    assert api_problems(resources) == []
    assert sorted(create_job_definitions_in_moto(resources)) == JOB_DEFINITIONS
    assert cfn_lint({stage: params}) == {"": [], stage: []}  # "": findings not tied to a parameter set

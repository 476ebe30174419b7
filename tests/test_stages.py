"""N stages: a stage is one <stage>-monitoring-schedule-config.json plus its name in --stages (or STAGES)."""

from __future__ import annotations

import json

import pytest

from devtools import seed as seedmod
from pipelines.core.monitors import parse_stages
from pipelines.deploy.options import build_options
from tests.conftest import REPO

VALUES = {"model_monitor_role": seedmod.ROLE_ARN, "sagemaker_project_name": "fraud-detect",
          "sagemaker_project_id": "p-abc123", "monitor_outputs_bucket": seedmod.OUTPUTS_BUCKET}


def dev_config(tmp_path):
    """A third stage's file: the staging file with StageName dev (what a team would copy)."""
    document = json.loads((REPO / "staging-monitoring-schedule-config.json").read_text())
    document["Parameters"]["StageName"] = "dev"
    document["Tags"]["stage"] = "dev"
    path = tmp_path / "dev-monitoring-schedule-config.json"
    path.write_text(json.dumps(document))
    return path


def test_a_third_stage_needs_no_code_change_only_its_file_and_its_name(cli, clients, tmp_path):
    seeded = seedmod.seed(*clients)
    seedmod.create_endpoint(clients[0], "dev", seeded.latest_approved_arn)
    result = cli("--stages", "staging,prod,dev", "--import-config", f"dev={dev_config(tmp_path)}",
                 "--export-config", f"dev={cli.tmp / 'dev.json'}")
    assert result.exit_code == 0, result.err
    assert result.out.splitlines()[-3:] == ["staging: 4 of 4 monitors enabled", "prod: 4 of 4 monitors enabled",
                                            "dev: 4 of 4 monitors enabled"]
    dev = json.loads((cli.tmp / "dev.json").read_text())["Parameters"]
    assert (dev["StageName"], dev["EndpointName"]) == ("dev", "fraud-detect-dev")
    assert sorted(cli.files()) == sorted(f"{stage}{suffix}" for stage in ("staging", "prod", "dev")
                                         for suffix in (".json", ".parameter-overrides.json", ".tags.json"))


def test_stages_come_from_the_environment_when_the_flag_is_absent(cli, clients, tmp_path, monkeypatch):
    seeded = seedmod.seed(*clients)
    seedmod.create_endpoint(clients[0], "dev", seeded.latest_approved_arn)
    monkeypatch.setenv("STAGES", "dev")
    result = cli("--import-config", f"dev={dev_config(tmp_path)}", "--export-config", f"dev={cli.tmp / 'dev.json'}",
                 exports=False)
    assert result.exit_code == 0, result.err
    assert result.out.splitlines()[-1] == "dev: 4 of 4 monitors enabled"
    assert sorted(cli.files()) == ["dev.json", "dev.parameter-overrides.json", "dev.tags.json"]


def test_a_stage_without_its_config_file_is_one_usage_line(cli, clients):
    seedmod.seed(*clients)
    result = cli("--stages", "staging,qa", "--export-config", f"qa={cli.tmp / 'qa.json'}", exports=False)
    assert result.exit_code == 2
    assert result.err == ("error: qa config qa-monitoring-schedule-config.json does not exist; create it (a copy of "
                          "another stage's file with its StageName) or pass --import-config qa=PATH\n")
    assert cli.files() == {}


@pytest.mark.parametrize(("text", "message"), [
    ("staging,,prod", "--stages 'staging,,prod' has an empty stage name"),
    ("staging,Prod", "stage name 'Prod' must be 1-20 lowercase letters, digits and single hyphens, e.g. dev"),
    ("prod,prod", "--stages 'prod,prod' names prod twice"),
    ("a--b", "stage name 'a--b' must be 1-20 lowercase letters, digits and single hyphens, e.g. dev"),
])
def test_bad_stage_lists_are_refused_with_the_reason(text, message):
    with pytest.raises(ValueError) as exc:
        parse_stages(text)
    assert str(exc.value) == message


def test_default_stages_keep_their_own_flags_and_default_file_names():
    options = build_options({**VALUES, "import_prod_config": "p.json"})
    assert options.stages == ("staging", "prod")
    assert {s: str(p) for s, p in options.import_configs.items()} == {
        "staging": "staging-monitoring-schedule-config.json", "prod": "p.json"}
    assert {s: str(p) for s, p in options.export_paths.items()} == {
        "staging": "staging-config-export.json", "prod": "prod-config-export.json"}


@pytest.mark.parametrize(("extra", "message"), [
    ({"stages": "dev", "import_staging_config": "s.json"},
     "--import path given for stage staging, which --stages (dev) does not select; add it to --stages or drop the "
     "path"),
    ({"import_config": ["dev"]}, "--import-config 'dev' is not STAGE=PATH"),
    ({"import_config": ["prod=a.json"], "import_prod_config": "b.json"},
     "--import-prod-config and --import-config prod=... both name the prod path; pass one"),
    ({"stages": "dev,qa", "export_config": ["dev=x.json", "qa=x.json"]},
     "--export-config dev=... and --export-config qa=... name the same file; give each stage its own"),
])
def test_stage_path_flags_that_contradict_the_stage_list_are_usage_errors(extra, message):
    from pipelines.core.errors import UsageError

    with pytest.raises(UsageError) as exc:
        build_options({**VALUES, **extra})
    assert str(exc.value) == message

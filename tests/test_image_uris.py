"""Image URI lookup: exact URIs, overrides, unknown regions, parity with the SageMaker SDK, no SDK import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.core.errors import UsageError
from pipelines.deploy import image_uris
from pipelines.deploy.image_uris import ImageUris, known_regions, resolve_image_uris
from tests.support.sdk import REPO, SDK_PYTHON, needs_sdk_python

# Runs in the SDK venv: every region either SDK config file lists, and what retrieve() returns (None if it raises).
SDK_SCRIPT = """
import json
from sagemaker.core import image_uris

regions = set()

def walk(node):
    if isinstance(node, dict):
        regions.update(node.get("registries", {}))
        for value in node.values():
            walk(value)

for framework in ("model-monitor", "clarify"):
    walk(image_uris.config_for_framework(framework))

def retrieve(framework, region):
    try:
        return image_uris.retrieve(framework, region=region)
    except Exception:
        return None

print(json.dumps({region: [retrieve("model-monitor", region), retrieve("clarify", region)]
                  for region in sorted(regions)}))
"""


@pytest.fixture(scope="module")
def sdk_uris() -> dict[str, list[str | None]]:
    """The SDK's own answer for every region it lists, computed once per module."""
    needs_sdk_python()
    done = subprocess.run(
        [str(SDK_PYTHON), "-c", SDK_SCRIPT], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_us_east_1_resolves_to_the_sdk_images() -> None:
    assert resolve_image_uris("us-east-1") == ImageUris(
        model_monitor="156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer",
        clarify="205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0",
    )


def test_eu_west_1_resolves_to_its_own_registries() -> None:
    assert resolve_image_uris("eu-west-1") == ImageUris(
        model_monitor="468650794304.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-model-monitor-analyzer",
        clarify="131013547314.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-clarify-processing:1.0",
    )


def test_a_china_region_uses_the_amazonaws_com_cn_domain() -> None:
    assert resolve_image_uris("cn-north-1") == ImageUris(
        model_monitor="453000072557.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-model-monitor-analyzer",
        clarify="122526803553.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-clarify-processing:1.0",
    )


def test_an_iso_f_region_uses_its_partition_domain() -> None:
    assert resolve_image_uris("us-isof-east-1") == ImageUris(
        model_monitor="853188333426.dkr.ecr.us-isof-east-1.csp.hci.ic.gov/sagemaker-model-monitor-analyzer",
        clarify="579539705040.dkr.ecr.us-isof-east-1.csp.hci.ic.gov/sagemaker-clarify-processing:1.0",
    )


def test_overrides_win_over_the_vendored_data() -> None:
    assert resolve_image_uris(
        "us-east-1", model_monitor_override="111.dkr.ecr.example/mm:1", clarify_override="222.dkr.ecr.example/cl:2"
    ) == ImageUris(model_monitor="111.dkr.ecr.example/mm:1", clarify="222.dkr.ecr.example/cl:2")


def test_one_override_replaces_only_its_own_image() -> None:
    assert resolve_image_uris("us-east-1", clarify_override="222.dkr.ecr.example/cl:2") == ImageUris(
        model_monitor="156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer",
        clarify="222.dkr.ecr.example/cl:2",
    )


def test_overrides_make_an_unknown_region_work() -> None:
    assert resolve_image_uris(
        "xx-nowhere-1", model_monitor_override="111.dkr.ecr.example/mm:1", clarify_override="222.dkr.ecr.example/cl:2"
    ) == ImageUris(model_monitor="111.dkr.ecr.example/mm:1", clarify="222.dkr.ecr.example/cl:2")


def test_an_unknown_region_names_both_flags() -> None:
    with pytest.raises(UsageError) as caught:
        resolve_image_uris("xx-nowhere-1")
    assert str(caught.value) == (
        "no Model Monitor or Clarify image known for region 'xx-nowhere-1'; "
        "pass --model-monitor-image-uri and --clarify-image-uri (the image URIs for your region)"
    )
    assert caught.value.exit_code == 2


def test_an_unknown_region_with_a_clarify_override_names_only_the_model_monitor_flag() -> None:
    with pytest.raises(UsageError) as caught:
        resolve_image_uris("xx-nowhere-1", clarify_override="222.dkr.ecr.example/cl:2")
    assert str(caught.value) == (
        "no Model Monitor image known for region 'xx-nowhere-1'; "
        "pass --model-monitor-image-uri (the image URI for your region)"
    )


def test_a_region_without_clarify_names_only_the_clarify_flag() -> None:
    with pytest.raises(UsageError) as caught:
        resolve_image_uris("me-central-1")
    assert str(caught.value) == (
        "no Clarify image known for region 'me-central-1'; pass --clarify-image-uri (the image URI for your region)"
    )


def test_a_region_without_clarify_works_with_a_clarify_override() -> None:
    assert resolve_image_uris("me-central-1", clarify_override="222.dkr.ecr.example/cl:2") == ImageUris(
        model_monitor="588750061953.dkr.ecr.me-central-1.amazonaws.com/sagemaker-model-monitor-analyzer",
        clarify="222.dkr.ecr.example/cl:2",
    )


def test_a_region_without_model_monitor_names_only_the_model_monitor_flag() -> None:
    with pytest.raises(UsageError) as caught:
        resolve_image_uris("us-gov-west-1")
    assert str(caught.value) == (
        "no Model Monitor image known for region 'us-gov-west-1'; "
        "pass --model-monitor-image-uri (the image URI for your region)"
    )


def test_known_regions_lists_every_region_with_at_least_one_image_sorted() -> None:
    assert known_regions() == [
        "af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
        "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ca-central-1", "cn-north-1", "cn-northwest-1",
        "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2",
        "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "sa-east-1", "us-east-1", "us-east-2",
        "us-gov-west-1", "us-isof-east-1", "us-isof-south-1", "us-west-1", "us-west-2",
    ]  # fmt: skip


def test_the_vendored_data_is_read_once() -> None:
    resolve_image_uris("us-east-1")
    resolve_image_uris("eu-west-1")
    known_regions()
    assert image_uris._data.cache_info().currsize == 1
    assert image_uris._data.cache_info().misses <= 1


def test_the_vendored_data_names_its_sdk_version() -> None:
    data = json.loads(image_uris.DATA_PATH.read_text(encoding="utf-8"))
    assert data["source"] == "sagemaker-core 2.27.0"


@pytest.mark.slow
def test_every_region_the_sdk_lists_resolves_exactly_as_the_sdk_does(sdk_uris: dict[str, list[str | None]]) -> None:
    assert sorted(sdk_uris) == known_regions()
    mismatches = []
    for region, (sdk_model_monitor, sdk_clarify) in sdk_uris.items():
        for image, sdk_uri, override in (
            ("model_monitor", sdk_model_monitor, {"clarify_override": "x"}),
            ("clarify", sdk_clarify, {"model_monitor_override": "x"}),
        ):
            try:
                ours: str | None = getattr(resolve_image_uris(region, **override), image)
            except UsageError:
                ours = None
            if ours != sdk_uri:
                mismatches.append((region, image, ours, sdk_uri))
    assert mismatches == []
    # The parity covers both images in most regions and the one-image regions on both sides.
    assert sum(uri is not None for uris in sdk_uris.values() for uri in uris) == 58


@pytest.mark.slow
def test_importing_and_resolving_loads_no_sagemaker_module() -> None:
    code = (
        "import json, sys; import pipelines.deploy.image_uris as m; m.resolve_image_uris('us-east-1'); m.known_regions(); "
        "print(json.dumps(sorted(n for n in sys.modules if n == 'sagemaker' or n.startswith('sagemaker'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "[]\n", "")


@pytest.mark.slow
def test_the_vendored_file_equals_what_regenerate_writes(tmp_path: Path) -> None:
    needs_sdk_python()
    output = tmp_path / "image_uri_data.json"
    done = subprocess.run(
        [str(SDK_PYTHON), "-m", "pipelines.deploy.regenerate_image_uris", "--output", str(output)],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"wrote {output} (sagemaker-core 2.27.0, 31 regions)\n"
    assert output.read_bytes() == image_uris.DATA_PATH.read_bytes()


@pytest.mark.slow
def test_regenerate_without_the_sdk_exits_2_and_names_the_sdk_venv(tmp_path: Path) -> None:
    output = tmp_path / "image_uri_data.json"
    code = (
        "import importlib.metadata as md, sys, pipelines.deploy.regenerate_image_uris as m\n"
        "def missing(name): raise md.PackageNotFoundError(name)\n"
        "md.distribution = missing\n"
        "sys.exit(m.main(['--output', sys.argv[1]]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(output)], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        "",
        "error: No package metadata was found for sagemaker-core; "
        "run with the SDK venv: .venv-sdk/bin/python -m pipelines.deploy.regenerate_image_uris\n",
    )
    assert not output.exists()


def test_a_region_typo_is_named_with_the_region_it_most_likely_meant() -> None:
    with pytest.raises(UsageError) as caught:
        resolve_image_uris("us-east1")
    assert str(caught.value) == ("no Model Monitor or Clarify image known for region 'us-east1' (did you mean "
                                 "'us-east-1'? check AWS_REGION); pass --model-monitor-image-uri and "
                                 "--clarify-image-uri (the image URIs for your region)")

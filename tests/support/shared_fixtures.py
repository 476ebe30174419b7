"""Files from public repositories are never committed here: tests read them from the workplace's shared folder,
`<repo>/../shared/fixtures/<source>/` (provenance and git blob ids in its README), and skip with a reason when the
folder is absent (a clone outside this workplace). MODEL_MONITOR_SHARED_FIXTURES points elsewhere (the folder that
holds `sagemaker-python-sdk/`).

Each file is checked against the git blob id its README records, so a test can only pass on the producer's bytes."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ENV = "MODEL_MONITOR_SHARED_FIXTURES"

# aws/sagemaker-python-sdk at commit 35484d21a8f880a824129da467b1403ece3ea2b7: tests/data/pipeline/quality_check_step/
# (files written by a real QualityCheckStep baselining job) and tests/data/monitor/ (real Model Monitor outputs, the
# only public record of the violation wording). Path under sagemaker-python-sdk/ -> git blob id.
SAGEMAKER_SDK_BLOBS = {
    "quality_check_step/data_quality/baseline_dataset.csv": "301ecac6bfe8d3d1f8e407da554f31c0430eb896",
    "quality_check_step/data_quality/statistics.json": "33254a54e2b19fea341268e5f7d9970598b461ec",
    "quality_check_step/data_quality/constraints.json": "64399a75510624522930904bafbb953493081b4c",
    "quality_check_step/model_quality/statistics.json": "bef880e02d9f86a7a9ff0d5050f260640eeb46ce",
    "quality_check_step/model_quality/constraints.json": "0dde9e9d894623e3f8b2b43b8f9e236091b84a8e",
    "monitor/statistics.json": "cc39d2b458472d489a10b710c93d42b357aec5ac",
    "monitor/constraints.json": "dc874177730042f870bfc62b87350c88d7b38db0",
    "monitor/constraint_violations.json": "c2f09cff17eeaec5d53d465ee5721c7282e66c7f",
}


def shared_fixtures_root() -> Path:
    """`$MODEL_MONITOR_SHARED_FIXTURES`, else `<repo>/../shared/fixtures`."""
    override = os.environ.get(ENV)
    return Path(override) if override else REPO.parent / "shared" / "fixtures"


def git_blob_id(data: bytes) -> str:
    """What `git hash-object` prints for a file with these bytes."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def sagemaker_sdk_file(name: str) -> Path:
    """The SDK's file `name` (a key of SAGEMAKER_SDK_BLOBS), verified; skips the test when the folder is absent."""
    folder = shared_fixtures_root() / "sagemaker-python-sdk"
    if not folder.is_dir():
        pytest.skip(f"needs aws/sagemaker-python-sdk's Model Monitor outputs in {folder} (not committed: third-party "
                    f"data); set {ENV} to the folder that holds sagemaker-python-sdk/")
    path = folder / name
    expected = SAGEMAKER_SDK_BLOBS[name]
    if not path.is_file():
        pytest.fail(f"{path} is missing from the shared fixtures (expected git blob {expected})", pytrace=False)
    actual = git_blob_id(path.read_bytes())
    if actual != expected:
        pytest.fail(f"{path} is not the SDK's file: git blob {actual}, expected {expected}", pytrace=False)
    return path


__all__ = ["ENV", "SAGEMAKER_SDK_BLOBS", "git_blob_id", "sagemaker_sdk_file", "shared_fixtures_root"]

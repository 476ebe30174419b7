"""The SageMaker SDK venv (.venv-sdk, or $SDK_PYTHON) that tests compare vendored data against."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SDK_PYTHON = Path(os.environ.get("SDK_PYTHON", REPO / ".venv-sdk" / "bin" / "python"))


def needs_sdk_python() -> None:
    """Skip when the SDK venv is not installed (make tools creates it)."""
    if not SDK_PYTHON.exists():
        pytest.skip(f"SDK python {SDK_PYTHON} does not exist (set SDK_PYTHON or run `make tools`)")

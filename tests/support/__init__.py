"""Helpers the tests import (not fixtures: those are in tests/conftest.py)."""

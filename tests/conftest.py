"""Shared fixtures: an isolated FSSBENCH_HOME and the generated synthetic-5i benchmark."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Set before anything reads it: tests never touch the user's ~/.cache/fssbench.
_TEST_HOME = tempfile.mkdtemp(prefix="fssbench-test-home-")
os.environ["FSSBENCH_HOME"] = _TEST_HOME
# Each session generates ~50 MB of data and checkpoints there; leaving it behind fills /tmp.
atexit.register(shutil.rmtree, _TEST_HOME, ignore_errors=True)
os.environ.pop("FSSBENCH_DATA", None)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def synthetic():
    """The embedded benchmark, generated once per test session."""
    from fssbench_datasets.synthetic_5i import Synthetic5i

    benchmark = Synthetic5i()
    benchmark.data_root()
    return benchmark

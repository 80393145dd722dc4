"""What a result records about where it came from: versions, commit, machine."""

from __future__ import annotations

import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import torch
from pydantic import BaseModel, Field

from fssbench.errors import UsageError
from fssbench.evaluation.numerics import Numerics, current


class Provenance(BaseModel):
    """Software and machine a run happened on."""

    fssbench_version: str
    git_commit: str | None
    git_dirty: bool | None
    python: str
    torch: str
    torchvision: str
    numpy: str
    platform: str
    device_name: str
    numerics: Numerics = Field(default_factory=Numerics)  # runs recorded before 4 Dec: CPU defaults


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


#: What fssbench itself writes into a checkout: a changed board is a result, not a change of the code that
#: measures (`fssbench reproduce` publishes each system before it measures the next).
NOT_CODE = (":(top,exclude)leaderboards",)


def git_state(path: Path) -> tuple[str | None, bool | None]:
    """The commit of the checkout holding `path`, and whether its tracked files outside the leaderboards
    have uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ":/", *NOT_CODE],
            cwd=path,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit, bool(status.strip())


def device_name(device: torch.device) -> str:
    """The GPU's name, or the CPU's processor and intra-op thread count: trained weights depend on both."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({processor_name()}, {torch.get_num_threads()} threads)"


def processor_name(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name, family and model, and whether it has AVX-512 (Linux); its architecture elsewhere.

    Hosts of one machine kind run on different processors, whose kernels give other bits: the same
    training gave other weights on an AVX-512 EPYC than on the host before it.
    """
    architecture = platform.processor() or platform.machine()
    try:
        first = cpuinfo.read_text().split("\n\n")[0]
    except OSError:
        return architecture
    fields = {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in first.splitlines())}
    if "model name" not in fields:  # not x86 (an ARM kernel names no model)
        return architecture
    avx512 = "AVX-512" if "avx512f" in fields.get("flags", "").split() else "no AVX-512"
    return f"{fields['model name']} family {fields.get('cpu family', '?')} model {fields.get('model', '?')}, {avx512}"


def collect(device: torch.device) -> Provenance:
    import numpy

    commit, dirty = git_state(Path(__file__).resolve().parent)
    return Provenance(
        fssbench_version=package_version("fssbench"),
        git_commit=commit,
        git_dirty=dirty,
        python=sys.version.split()[0],
        torch=torch.__version__,
        torchvision=package_version("torchvision"),
        numpy=numpy.__version__,
        platform=platform.platform(),
        device_name=device_name(device),
        numerics=current(),
    )


def resolve_device(name: str) -> torch.device:
    """`auto` is CUDA when present, else the CPU; `cuda` without a GPU torch can see is one line."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: torch sees no GPU on this machine (use --device cpu or auto)")
    return torch.device(name)

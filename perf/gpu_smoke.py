"""The GPU smoke check: run on a machine with one or more GPUs before trusting a GPU board row.

    python perf/gpu_smoke.py [--json gpu_smoke.json] [--episodes 300]

In a fresh FSSBENCH_HOME, in under 10 minutes on one GPU: cam-repr trained and scored on synthetic-5i on
CUDA (fold 0, 1 and 5 shots); `--deterministic` run twice, giving equal episodes.csv; a 2-process torchrun
on 2 GPUs when there are 2, its summary.csv equal to one process's; the checkpoint's sha256 equal whether
saved from CUDA or from its CPU copy; the feature cache's bound and peak GPU memory; episodes per second
of cam-repr and of the harness alone (`all-foreground`); two protocols scored from one pass equal to a
separate run, likewise two label sizes of the `matcher` family, and `fssbench.Validator` equal to
`fssbench.evaluate`. One line per check (pass or fail, with the figure), all of them written as JSON.
Without a GPU it says so in one line and exits.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

Check = dict[str, object]


def fssbench(*args: str, env: dict[str, str], torchrun: int = 0) -> float:
    """Run an fssbench command as a process; its wall time in seconds (raises when it fails)."""
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={torchrun}"]
    command = [*(launcher if torchrun else [sys.executable]), "-m", "fssbench", *args]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])}: {(done.stderr or done.stdout).strip().splitlines()[-1]}")
    return time.perf_counter() - started


def evaluate_args(method: str, out: Path, episodes: int, *extra: str) -> list[str]:
    return ["evaluate", "--method", method, "--device", "cuda", "--folds", "0", "--shots", "1,5",
            "--episodes", str(episodes), "--output", str(out), *extra]  # fmt: skip


def check(name: str, passed: bool, figure: object) -> Check:
    print(f"{'pass' if passed else 'FAIL'}  {name}: {figure}")
    return {"check": name, "passed": passed, "figure": figure}


def checkpoint_sha_from_cpu_copy(home: Path) -> tuple[bool, str]:
    """Whether re-saving a trained checkpoint's weights, moved to CUDA and back, gives the same sha256."""
    from fssbench.learning.checkpoints import file_sha256, save

    path = next(p for p in (home / "checkpoints").rglob("*.pt"))
    state = torch.load(path, map_location="cuda", weights_only=True)
    info = json.loads(path.with_suffix(".json").read_text())
    info.pop("sha256", None)
    again = path.with_name("resaved-from-cuda.pt")
    save(again, state, info)
    return file_sha256(again) == file_sha256(path), file_sha256(path)[:12]


def one_pass_and_validator(work: Path, episodes: int, env: dict[str, str]) -> list[Check]:
    """On CUDA: two protocols from one pass equal to a separate run, and the Validator equal to `evaluate`."""
    fssbench(*evaluate_args("cam-repr", work / "both", episodes, "--protocol", "hsnet,hsnet-original-size"), env=env)
    fssbench(*evaluate_args("cam-repr", work / "alone", episodes, "--protocol", "hsnet-original-size"), env=env)
    alone = (work / "alone" / "episodes.csv").read_bytes()
    same = (work / "both" / "hsnet-original-size" / "episodes.csv").read_bytes() == alone
    name = "two protocols from one pass on CUDA: equal to a separate run"
    checks = [check(name, same, "equal" if same else "differ")]
    fssbench(*evaluate_args("cam-repr", work / "sizes", episodes, "--protocol", "matcher,matcher@1024"), env=env)
    fssbench(*evaluate_args("cam-repr", work / "at1024", episodes, "--protocol", "matcher@1024"), env=env)
    same = (work / "sizes" / "matcher@1024" / "episodes.csv").read_bytes() == (
        work / "at1024" / "episodes.csv"
    ).read_bytes()
    checks.append(check("label sizes 518 and 1024 from one pass on CUDA: equal to a separate run", same, same))
    os.environ["FSSBENCH_HOME"] = env["FSSBENCH_HOME"]  # the in-process calls below use the same home
    import fssbench as library  # `fssbench` here runs the command

    def everything(episodes: library.EpisodeBatch) -> torch.Tensor:
        return episodes.query_images.new_ones(episodes.query_images.shape[0], 1, 1)

    summary = library.evaluate("all-foreground", device="cuda", folds=[0], shots=(1,), episodes=episodes).summary
    evaluated = float(summary.set_index("fold").loc["0", "miou"])
    validated = library.Validator(fold=0, shots=1, episodes=episodes, device="cuda")(everything)["miou"]
    checks.append(check("Validator on CUDA equals evaluate (mIoU)", evaluated == validated, f"{validated:.2f}"))
    return checks


def run(work: Path, episodes: int) -> list[Check]:
    env = {**os.environ, "FSSBENCH_HOME": str(work / "home")}
    checks = []
    seconds = fssbench(*evaluate_args("cam-repr", work / "cam", episodes), env=env)
    record = json.loads((work / "cam" / "run.json").read_text())
    checks.append(check("cam-repr trained and scored on CUDA", True, f"{seconds:.0f} s, {record['device']}"))
    fssbench(*evaluate_args("cam-repr", work / "warm", episodes), env=env)
    warm = json.loads((work / "warm" / "run.json").read_text())
    checks.append(check("cam-repr episodes per second (warm)", True, warm["episodes_per_second"]))
    fssbench(*evaluate_args("all-foreground", work / "harness", episodes), env=env)
    harness = json.loads((work / "harness" / "run.json").read_text())
    checks.append(check("harness alone, episodes per second", True, harness["episodes_per_second"]))
    first, second = (work / "det1", work / "det2")
    for out in (first, second):
        fssbench(*evaluate_args("cam-repr", out, episodes, "--deterministic"), env=env)
    same = (first / "episodes.csv").read_bytes() == (second / "episodes.csv").read_bytes()
    checks.append(check("--deterministic twice: equal episodes.csv", same, "equal" if same else "differ"))
    equal, sha = checkpoint_sha_from_cpu_copy(work / "home")
    checks.append(check("checkpoint saved from CUDA has the CPU copy's sha256", equal, sha))
    free, total = torch.cuda.mem_get_info()
    checks.append(check("feature cache bound (half the free memory)", True, f"{free // 2 / 2**30:.1f} GiB of "
                        f"{total / 2**30:.1f}"))  # fmt: skip
    checks += one_pass_and_validator(work, episodes, env)
    if torch.cuda.device_count() >= 2:
        fssbench(*evaluate_args("cam-repr", work / "two", episodes), env=env, torchrun=2)
        same = (work / "two" / "summary.csv").read_bytes() == (work / "warm" / "summary.csv").read_bytes()
        checks.append(check("2-process torchrun on 2 GPUs: summary.csv equal", same, "equal" if same else "differ"))
    else:
        checks.append(check("2-process torchrun on 2 GPUs", True, "skipped: one GPU"))
    peak = torch.cuda.max_memory_allocated() / 2**30
    checks.append(check("peak GPU memory of this script's own checks", True, f"{peak:.2f} GiB"))
    return checks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", type=Path, default=Path("gpu_smoke.json"))
    parser.add_argument("--episodes", type=int, default=300)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("no GPU: torch sees no CUDA device on this machine; nothing to check")
        return
    with tempfile.TemporaryDirectory() as tmp:
        try:
            checks = run(Path(tmp), args.episodes)
        except RuntimeError as exc:
            checks = [check("a command failed", False, str(exc))]
    args.json.write_text(json.dumps({"device": torch.cuda.get_device_name(), "checks": checks}, indent=2) + "\n")
    print(f"written: {args.json}")
    if not all(c["passed"] for c in checks):
        raise SystemExit(1)


if __name__ == "__main__":
    main()

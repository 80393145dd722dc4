"""The CUDA paths, tested on the CPU with torch.cuda and torch.distributed faked: one GPU per process, the
backend of the requested device, --deterministic set and restored, device-free checkpoints, recorded
numerics, the feature cache's bound from free memory."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from fssbench.cli import cli
from fssbench.encoding import default_cache_bytes
from fssbench.errors import FssbenchError, UsageError
from fssbench.evaluation import distributed, numerics
from tests.evaluation.test_distributed import PLUGIN

#: A plugin that tells torch two GPUs exist: the processes of a torchrun see a GPU host without one.
FAKE_GPUS = """
import torch
torch.cuda.is_available = lambda: True
torch.cuda.device_count = lambda: 2
"""


@pytest.fixture()
def fake_gpus(monkeypatch):
    """Two GPUs, as torch.cuda reports them; `calls` records what was asked of CUDA and the process group."""
    calls: dict[str, object] = {}
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "set_device", lambda device: calls.setdefault("set_device", device))
    monkeypatch.setattr(distributed.dist, "is_initialized", lambda: False)

    def join(backend, **options):
        calls["backend"], calls["options"] = backend, options

    monkeypatch.setattr(distributed.dist, "init_process_group", join)
    return calls


def launched_as(monkeypatch, rank: int, size: int) -> None:
    for name, value in (("RANK", rank), ("LOCAL_RANK", rank), ("WORLD_SIZE", size)):
        monkeypatch.setenv(name, str(value))


@pytest.mark.parametrize("rank", [0, 1])
def test_each_cuda_process_binds_the_gpu_of_its_local_rank_before_joining(fake_gpus, monkeypatch, rank):
    launched_as(monkeypatch, rank, 2)
    distributed.init("cuda")
    assert fake_gpus["set_device"] == rank and fake_gpus["backend"] == "nccl"
    assert fake_gpus["options"] == {"device_id": torch.device("cuda", rank)}
    assert distributed.device_for_rank(torch.device("cuda")) == torch.device("cuda", rank)


@pytest.mark.parametrize("size", [1, 2])
def test_the_cpu_asks_for_gloo_on_a_gpu_host_and_binds_nothing(fake_gpus, monkeypatch, size):
    launched_as(monkeypatch, size - 1, size)
    distributed.init("cpu")
    assert "set_device" not in fake_gpus
    assert fake_gpus.get("backend") == ("gloo" if size == 2 else None)  # one process joins no group


def test_a_local_rank_beyond_the_gpus_is_refused(fake_gpus, monkeypatch):
    launched_as(monkeypatch, 2, 3)
    with pytest.raises(UsageError, match="LOCAL_RANK 2 has no GPU: torch sees 2 on this node"):
        distributed.init("cuda")
    assert "backend" not in fake_gpus


def test_a_failure_to_join_is_one_line(fake_gpus, monkeypatch):
    launched_as(monkeypatch, 1, 2)

    def refuse(backend, **options):
        raise RuntimeError("The server socket has failed to listen on any local network address. port: 29500")

    monkeypatch.setattr(distributed.dist, "init_process_group", refuse)
    with pytest.raises(FssbenchError, match="process 1 of 2 could not join the gloo process group: The server"):
        distributed.init("cpu")


def test_torchrun_on_the_cpu_of_a_gpu_host_ends_like_one_process(synthetic, tmp_path: Path, monkeypatch):
    for name in ("is_available", "device_count"):  # the plugin fakes them in this process too: put back after
        monkeypatch.setattr(torch.cuda, name, getattr(torch.cuda, name))
    fake, plugin = tmp_path / "fake_gpus.py", tmp_path / "brightness.py"
    fake.write_text(FAKE_GPUS)
    plugin.write_text(PLUGIN.replace("query-brightness", "query-brightness-2"))  # its own name in this process
    args = ["evaluate", "--method", "query-brightness-2", "--plugin", str(fake), "--plugin", str(plugin),
            "--device", "cpu", "--folds", "0", "--shots", "1,5", "--episodes", "12", "--batch-size", "4",
            "--workers", "0"]  # fmt: skip
    single = tmp_path / "single"
    assert CliRunner().invoke(cli, [*args, "--output", str(single)]).exit_code == 0
    launched = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", "-m", "fssbench",
         *args, "--output", str(tmp_path / "multi")],
        capture_output=True, text=True, env=os.environ.copy(), timeout=300,
    )  # fmt: skip
    assert launched.returncode == 0, launched.stderr[-2000:]
    assert (tmp_path / "multi" / "summary.csv").read_text() == (single / "summary.csv").read_text()


def test_deterministic_sets_what_cuda_needs_and_restores_it(monkeypatch):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    monkeypatch.setattr(torch.backends.cudnn, "deterministic", False)
    torch.backends.cudnn.benchmark = True
    try:
        with numerics.deterministic(True):
            assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
            assert torch.are_deterministic_algorithms_enabled()
            assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
            inside = numerics.current()
        assert "CUBLAS_WORKSPACE_CONFIG" not in os.environ
        assert not torch.are_deterministic_algorithms_enabled()
        assert not torch.backends.cudnn.deterministic and torch.backends.cudnn.benchmark
    finally:
        torch.backends.cudnn.benchmark = False
    assert inside.deterministic_algorithms and inside.cublas_workspace_config == ":4096:8"
    assert inside.cudnn_deterministic is (True if torch.version.cuda else None)


def test_an_op_without_a_deterministic_implementation_is_one_line():
    with pytest.raises(UsageError, match="--deterministic: .* Run without --deterministic"):
        with numerics.deterministic(True):
            raise RuntimeError("nll_loss2d_forward_out_cuda_template does not have a deterministic implementation")


def test_a_run_records_its_numerics_and_determinism(synthetic, tmp_path):
    out = tmp_path / "run"
    args = ["evaluate", "--method", "all-foreground", "--folds", "0", "--shots", "1", "--episodes", "4"]
    assert CliRunner().invoke(cli, [*args, "--deterministic", "--output", str(out)]).exit_code == 0
    record = (out / "run.json").read_text()
    for field in ("cuda", "cudnn", "nccl", "tf32_matmul", "tf32_cudnn", "cudnn_benchmark", "cudnn_deterministic"):
        assert f'"{field}":' in record
    assert '"deterministic": true' in record and '"deterministic_algorithms": true' in record
    assert not torch.are_deterministic_algorithms_enabled()  # restored when the evaluation ended


def test_checkpoints_hold_cpu_tensors(monkeypatch, tmp_path):
    from fssbench.learning.checkpoints import save

    moved = []
    original = torch.Tensor.cpu
    monkeypatch.setattr(torch.Tensor, "cpu", lambda self, *a, **k: moved.append(1) or original(self, *a, **k))
    info = {"method": "m", "benchmark": "b", "fold": 0, "backbone": "x", "config_hash": "h", "config": {}}
    save(tmp_path / "w.pt", torch.nn.Linear(2, 3).state_dict(), info)
    assert len(moved) == 2  # weight and bias, whatever device they were trained on
    state = torch.load(tmp_path / "w.pt", weights_only=True)  # no map_location: as stored
    assert {t.device.type for t in state.values()} == {"cpu"}


def test_the_cuda_cache_bound_is_half_the_free_memory(monkeypatch):
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (6 * 2**30, 16 * 2**30))
    assert default_cache_bytes(torch.device("cuda", 0)) == 3 * 2**30
    assert default_cache_bytes(torch.device("cpu")) == 2**30


@pytest.mark.parametrize("mode", ["on", "off"])
def test_tf32_is_set_for_the_run_and_restored(mode):
    before = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    with numerics.tf32(mode):
        assert torch.backends.cuda.matmul.allow_tf32 is torch.backends.cudnn.allow_tf32 is (mode == "on")
    assert (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32) == before


def test_show_marks_rows_whose_numerics_differ():
    import pandas as pd

    from fssbench.reporting.leaderboard import COLUMNS, odd_numerics

    on, off = '{"tf32_cudnn":true}', '{"tf32_cudnn":false}'
    rows = [{c: "" for c in COLUMNS} | {"method": m, "source": "measured", "numerics": n}
            for m, n in (("a", on), ("b", on), ("c", off))]  # fmt: skip
    assert list(odd_numerics(pd.DataFrame(rows, columns=COLUMNS))["method"]) == ["c"]


def test_the_gpu_smoke_script_says_in_one_line_that_there_is_no_gpu():
    from tests.conftest import REPO

    done = subprocess.run(
        [sys.executable, str(REPO / "perf" / "gpu_smoke.py")], capture_output=True, text=True, timeout=120
    )
    if torch.cuda.is_available():
        pytest.skip("a GPU is here: run the script itself")
    assert done.returncode == 0 and done.stdout.strip().splitlines() == [
        "no GPU: torch sees no CUDA device on this machine; nothing to check"
    ]

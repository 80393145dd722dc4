"""Rule 8: torchrun on two nodes (two torchrun invocations on loopback, separate homes and working folders) with
weights present on node 0 only: every process refuses in one line before any scoring, and the run folder says
FAILED; a bounded timeout makes a hang fail the test."""

import os
import socket
import subprocess
import sys
from pathlib import Path

PLUGIN = """
import hashlib, os
from pathlib import Path
import torch
from fssbench import Method, register_method
from fssbench.errors import DataNotFoundError

@register_method("node-weights")
class NodeWeights(Method):
    def prepare(self, preparation):
        path = Path(os.environ["FSSBENCH_HOME"]) / "weights.bin"
        if not path.is_file():
            raise DataNotFoundError(f"no weights file {path}")
        return hashlib.sha256(path.read_bytes()).hexdigest()

    def predict(self, episodes):
        return torch.ones(episodes.query_images.shape[0], 4, 4)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch_two_nodes(tmp_path: Path, plugin_text: str, method: str, data_root: Path, **node_env: dict) -> list:
    """Two torchrun invocations of one node each on loopback, each with its own home and working folder; their
    (exit code, output), in node order. `node_env[f"node{n}"]` adds variables to node n's environment."""
    plugin = tmp_path / "plugin.py"
    plugin.write_text(plugin_text)
    port, nodes = free_port(), []
    for node in (0, 1):
        home, work = tmp_path / f"home{node}", tmp_path / f"work{node}"
        home.mkdir(exist_ok=True)
        work.mkdir(exist_ok=True)
        command = [
            sys.executable, "-m", "torch.distributed.run", "--nnodes=2", f"--node-rank={node}",
            "--nproc-per-node=1", "--master-addr=127.0.0.1", f"--master-port={port}", "-m", "fssbench",
            "evaluate", "--method", method, "--plugin", str(plugin), "--data-root", str(data_root), "--folds", "0",
            "--shots", "1", "--episodes", "40", "--batch-size", "4", "--workers", "0", "--device", "cpu",
            "--output", "run",
        ]  # fmt: skip
        env = {**os.environ, "FSSBENCH_HOME": str(home), **node_env.get(f"node{node}", {})}
        nodes.append(subprocess.Popen(command, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    outputs = []
    try:
        for process in nodes:
            out, err = process.communicate(timeout=240)
            outputs.append((process.returncode, (out + err).decode()))
    finally:
        for process in nodes:
            process.kill()
    return outputs


def test_weights_on_one_node_only_is_one_line_on_every_process(synthetic, tmp_path: Path):
    (tmp_path / "home0").mkdir()
    (tmp_path / "home0" / "weights.bin").write_bytes(b"trained")
    outputs = launch_two_nodes(tmp_path, PLUGIN, "node-weights", synthetic.data_root())
    expected = "process 1 of 2 could not prepare node-weights for fold 0: no weights file"
    for code, text in outputs:
        assert code != 0 and expected in " ".join(text.split()), text[-3000:]
        # the only traceback is torchrun's launcher reporting its child's exit code, none from fssbench's process
        assert "fssbench/evaluation" not in text and "Connection closed" not in text, text[-3000:]
    assert (tmp_path / "work0" / "run" / "FAILED").is_file()
    assert (
        not (tmp_path / "work0" / "run" / "episodes.csv").is_file()
        or len((tmp_path / "work0" / "run" / "episodes.csv").read_text().splitlines()) <= 1
    )


DIES = """
import os, signal
import torch
from fssbench import Method, register_method

@register_method("dies-midway")
class DiesMidway(Method):
    def predict(self, episodes):
        if os.environ.get("KILL_ME"):
            os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer or a lost node would
        return torch.ones(episodes.query_images.shape[0], 4, 4)
"""


def test_a_peer_killed_mid_run_is_one_line_and_a_failed_run_folder(synthetic, tmp_path: Path):
    outputs = launch_two_nodes(tmp_path, DIES, "dies-midway", synthetic.data_root(), node1={"KILL_ME": "1"})
    (code0, text0), (code1, text1) = outputs
    assert code0 != 0 and code1 != 0
    assert "another torchrun process stopped mid-run" in " ".join(text0.split()), text0[-3000:]
    assert (
        "fssbench/evaluation" not in text0
        and 'Traceback (most recent call last):\n  File "/' not in (text0.split("error: another torchrun process")[0])
    )
    assert (tmp_path / "work0" / "run" / "FAILED").is_file()
    assert not (tmp_path / "work0" / "run" / "summary.csv").exists()

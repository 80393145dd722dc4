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


def test_weights_on_one_node_only_is_one_line_on_every_process(synthetic, tmp_path: Path):
    plugin = tmp_path / "node_weights.py"
    plugin.write_text(PLUGIN)
    port, nodes = free_port(), []
    for node in (0, 1):
        home, work = tmp_path / f"home{node}", tmp_path / f"work{node}"
        home.mkdir()
        work.mkdir()
        if node == 0:
            (home / "weights.bin").write_bytes(b"trained")
        command = [
            sys.executable, "-m", "torch.distributed.run", "--nnodes=2", f"--node-rank={node}",
            "--nproc-per-node=1", "--master-addr=127.0.0.1", f"--master-port={port}", "-m", "fssbench",
            "evaluate", "--method", "node-weights", "--plugin", str(plugin), "--data-root", str(synthetic.data_root()),
            "--folds", "0", "--shots", "1", "--episodes", "4", "--workers", "0", "--device", "cpu", "--output", "run",
        ]  # fmt: skip
        env = {**os.environ, "FSSBENCH_HOME": str(home)}
        nodes.append(subprocess.Popen(command, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    outputs = []
    try:
        for process in nodes:
            out, err = process.communicate(timeout=240)
            outputs.append((process.returncode, (out + err).decode()))
    finally:
        for process in nodes:
            process.kill()
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

"""A failure's one line and exit code: a collective broken by a gone peer is named as such, not as a bug."""

import pytest

from fssbench.failures import FAILURE, classify


def raised_in(filename: str, message: str) -> RuntimeError:
    """A RuntimeError whose innermost frame is in `filename` (as gloo's errors surface from torch.distributed)."""
    code = compile(f"raise RuntimeError({message!r})", filename, "exec")
    try:
        exec(code, {})
    except RuntimeError as exc:
        return exc
    raise AssertionError("not raised")


@pytest.mark.parametrize(
    "message",
    [
        "[gloo/transport/tcp/pair.cc:561] Connection closed by peer [127.0.0.1]:5017",
        "[gloo/transport/tcp/pair.cc:545] Read error [127.0.0.1]:1927: Connection reset by peer",
    ],
)
def test_a_collective_broken_by_a_gone_peer_is_one_line_of_failure(message):
    line, code = classify(raised_in("/venv/site-packages/torch/distributed/distributed_c10d.py", message))
    assert code == FAILURE and line.startswith("another torchrun process stopped mid-run (RuntimeError)")


def test_torch_distributed_own_errors_count_as_a_gone_peer():
    DistNetworkError = type("DistNetworkError", (RuntimeError,), {})
    assert classify(DistNetworkError("timed out"))[1] == FAILURE


def test_the_same_words_raised_elsewhere_are_not_blamed_on_a_peer():
    line, _ = classify(raised_in("/venv/site-packages/fssbench/evaluation/sinks.py", "Connection reset by peer"))
    assert "another torchrun process" not in line

"""A method's integer or bool output is a 0/1 mask: it scores as the same decision in float scores."""

import pytest
import torch

from fssbench.errors import MethodError
from fssbench.evaluation.loader import QueryTarget
from fssbench.evaluation.scoring import predict_checked, score_batch, threshold
from fssbench.method import EpisodeBatch, Method
from fssbench.protocols.standard import StandardProtocol


def returning(output: torch.Tensor, scale: str = "logits") -> Method:
    class Fixed(Method):
        def predict(self, episodes):
            return output

    Fixed.output = scale  # type: ignore[assignment]
    return Fixed.__new__(Fixed)


def batch(n: int) -> EpisodeBatch:
    return EpisodeBatch(torch.zeros(n, 1, 3, 8, 8), torch.zeros(n, 1, 8, 8), torch.zeros(n, 3, 8, 8))


def counts(method: Method, labels: torch.Tensor) -> list:
    from fssbench.episodes import Episode

    output = predict_checked(method, "m", batch(len(labels)))
    targets = [QueryTarget(Episode(i, 0, 1, f"q{i}", ("s",)), label) for i, label in enumerate(labels)]
    return score_batch(output, targets, threshold(method), StandardProtocol())


@pytest.mark.parametrize("dtype", [torch.bool, torch.uint8, torch.int64])
@pytest.mark.parametrize("scale", ["logits", "probabilities"])
def test_an_integer_mask_scores_as_the_same_decision_in_floats(dtype, scale):
    generator = torch.Generator().manual_seed(0)
    mask = torch.rand(4, 8, 8, generator=generator) > 0.5
    labels = (torch.rand(4, 37, 29, generator=generator) > 0.5).to(torch.uint8)  # another size: resized
    floats = mask.float() * 2 - 1 if scale == "logits" else mask.float()
    assert counts(returning(mask.to(dtype), scale), labels) == counts(returning(floats, scale), labels)


def test_integer_values_other_than_0_and_1_are_refused():
    with pytest.raises(MethodError, match="returned torch.int64 values other than 0 and 1 \\(such as 2\\)"):
        predict_checked(returning(torch.full((2, 4, 4), 2)), "m", batch(2))


def test_running_out_of_memory_names_the_batch_and_what_to_lower():
    class Greedy(Method):
        def predict(self, episodes):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    with pytest.raises(MethodError, match="ran out of memory on cpu with a batch of 3 episodes of 1 shots: lower"):
        predict_checked(Greedy.__new__(Greedy), "greedy", batch(3))

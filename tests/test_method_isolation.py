"""A method searching everything it is handed finds neither the query mask nor the class id."""

import torch

from fssbench.evaluation.evaluator import EvaluationPlan, run_plan
from fssbench.method import EpisodeBatch, Method
from fssbench.protocols.standard import StandardProtocol

SEEN: list[EpisodeBatch] = []


class Snoop(Method):
    """Records what it is handed; predicts a constant."""

    def predict(self, episodes: EpisodeBatch) -> torch.Tensor:
        SEEN.append(episodes)
        return torch.zeros(episodes.query_images.shape[0], 4, 4)


def test_snooping_method_finds_no_query_mask_and_no_class_id(synthetic, tmp_path):
    SEEN.clear()
    plan = EvaluationPlan("snoop", Snoop, synthetic, StandardProtocol(), [2], [1, 5], 8, torch.device("cpu"), 4, 0)
    run_plan(plan, tmp_path / "run")
    episodes = {(k, e.index): e for k in (1, 5) for e in StandardProtocol().sample(synthetic, 2, k, 8)}
    assert len(SEEN) == 4
    for batch_number, batch in enumerate(SEEN):
        shots = batch.shots
        # the object holds the three tensors, the images' sizes (image metadata: a pair of ints each) and the
        # extra resolutions a method asks for (none here), and nothing else: no attribute can carry a mask or an id
        assert not hasattr(batch, "__dict__")
        slots = {name for name in type(batch).__slots__}
        assert slots == {"support_images", "support_masks", "query_images", "query_sizes", "support_sizes", "views"}
        assert all(len(size) == 2 and all(type(side) is int for side in size) for size in batch.query_sizes)
        sizes = [size for episode_sizes in batch.support_sizes for size in episode_sizes]
        assert all(len(size) == 2 and all(type(side) is int for side in size) for size in sizes)
        assert not batch.views
        for i in range(batch.query_images.shape[0]):
            episode = episodes[(shots, (batch_number % 2) * 4 + i)]
            label = synthetic.read_label(episode.query)
            query_mask = (label == episode.class_id).float()
            for tensor in (batch.support_images, batch.support_masks, batch.query_images):
                # no tensor shares memory with the query's label, and none is the query mask at any size
                assert tensor.untyped_storage().data_ptr() != label.untyped_storage().data_ptr()
                resized = torch.nn.functional.interpolate(
                    query_mask[None, None], size=tensor.shape[-2:], mode="nearest"
                )[0, 0]
                flat = tensor.reshape(-1, *tensor.shape[-2:])
                assert not any(torch.equal(plane, resized) for plane in flat)

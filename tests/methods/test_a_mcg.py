"""A-MCG: guiding at several stages, the ConvLSTM over shots (one step per shot, every shot and its order
count), K-shot training that leaves 1-shot predictions alone, and a short training run."""

from pathlib import Path

import pytest
import torch

from fssbench.errors import UsageError
from fssbench.learning import BaseClassData
from fssbench.method import EpisodeBatch
from fssbench_methods.a_mcg import AMcg
from tests.methods.episodes import batch, tiny


def make(home: Path = Path("/nonexistent"), **options: object) -> AMcg:
    return tiny(AMcg, home, **options)


def with_shots(episodes: EpisodeBatch, order: list[int]) -> EpisodeBatch:
    return EpisodeBatch(episodes.support_images[:, order], episodes.support_masks[:, order], episodes.query_images)


def trained_recurrence(method: AMcg) -> AMcg:
    """Random values in the weights K-shot training fits (zero at first), as after that training."""
    with torch.no_grad():
        for p in method.model.lstm.recurrent():
            p.copy_(torch.randn_like(p) * 0.1)
    return method


@pytest.mark.parametrize("attention", ["spatial", "channel", "none"])
@pytest.mark.parametrize("shots", [1, 5])
def test_output_shape(attention, shots):
    out = make(attention=attention).predict(batch(2, shots))
    assert out.shape == (2, 64, 64) and torch.isfinite(out).all()


def test_the_support_guides_the_query_at_every_context_stage():
    net = make().model
    assert net.backbone.nodes == ("layer1", "layer2")
    assert [m.in_features for m in net.guide.support] == [64, 128]
    assert net.guide.carry[0].stride == (2, 2)  # layer2's map is half layer1's
    with pytest.raises(UsageError, match="finer to coarser"):
        make(contexts=["layer2", "layer1"]).build()


@pytest.mark.parametrize("shots", [1, 5])
def test_the_convlstm_runs_one_step_per_shot(shots):
    method, steps = make(), []
    method.model.lstm.register_forward_hook(lambda module, args, out: steps.append(args[1] is None))
    method.predict(batch(2, shots))
    assert steps == [True] + [False] * (shots - 1)  # the first step from a zero state


def test_every_shot_and_the_shots_order_change_the_output():
    method, five = trained_recurrence(make()), batch(2, 5, seed=1)
    out = method.predict(five)
    for i in range(5):
        masks = five.support_masks.clone()
        masks[:, i] = 1 - masks[:, i]
        assert not torch.allclose(method.predict(EpisodeBatch(five.support_images, masks, five.query_images)), out)
    # a recurrent network reads the shots as a sequence: their order matters, as in A-MCG
    assert not torch.allclose(method.predict(with_shots(five, [4, 3, 2, 1, 0])), out)
    # before K-shot training (recurrent weights zero) the cell already adds up every shot
    assert not torch.allclose(make().predict(with_shots(five, [0, 0, 0, 0, 0])), make().predict(five))


def test_what_k_shot_training_fits_leaves_one_shot_predictions_unchanged():
    method, one, five = make(), batch(2, 1), batch(2, 5)
    before_one, before_five = method.predict(one), method.predict(five)
    trained_recurrence(method)
    assert torch.equal(method.predict(one), before_one)
    assert not torch.allclose(method.predict(five), before_five)


def test_a_short_training_run_changes_the_weights_and_the_checkpoint_reloads(synthetic, tmp_path: Path):
    options = {"episodes_per_epoch": 4, "epochs": 1, "recurrence_episodes": 2}
    method = make(tmp_path, **options)
    before = {n: t.clone() for n, t in method.model.state_dict().items()}
    stages: list[tuple[str, float]] = []
    summary = method.fit(BaseClassData(synthetic, 0), lambda stage, done, total, loss, r: stages.append((stage, loss)))
    assert [s for s, _ in stages] == ["1-shot episodes"] * 2 + ["5-shot recurrence"]
    assert all(torch.isfinite(torch.tensor([loss for _, loss in stages])))
    after = method.model.state_dict()
    changed = {n for n, t in after.items() if t.dtype.is_floating_point and not torch.equal(before[n], t)}
    assert "lstm.hidden.weight" in changed and "decoder.1.weight" in changed and not method.model.training
    info = method.save("a-mcg", summary)
    reloaded = make(tmp_path, **options)
    assert reloaded.load("a-mcg").sha256 == info.sha256
    episodes = batch(2, 5)
    assert torch.equal(reloaded.predict(episodes), method.predict(episodes))

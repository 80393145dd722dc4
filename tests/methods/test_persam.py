"""persam on a tiny random SAM (transformers' config classes, no weights downloaded): it loads from a local folder,
predicts through PerSAM's steps, and absent weights are one line."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from fssbench.errors import UsageError
from fssbench.evaluation.evaluator import EvaluationPlan, run_plan
from fssbench.method import MethodContext, Preparation, build_method
from fssbench.protocols.standard import StandardProtocol
from fssbench_methods.persam import Persam, prompt_points

transformers = pytest.importorskip("transformers")
CPU = torch.device("cpu")
SIZE = 64


@pytest.fixture(scope="module")
def tiny_sam(tmp_path_factory) -> Path:
    """A SAM of a few thousand random weights, saved as transformers saves a released one."""
    vision = transformers.SamVisionConfig(
        hidden_size=16, output_channels=16, num_hidden_layers=2, num_attention_heads=2, image_size=SIZE,
        patch_size=8, window_size=2, global_attn_indexes=[1], num_pos_feats=8, mlp_dim=32,
    )  # fmt: skip
    prompt = transformers.SamPromptEncoderConfig(hidden_size=16, image_size=SIZE, patch_size=8, mask_input_channels=4)
    decoder = transformers.SamMaskDecoderConfig(
        hidden_size=16, mlp_dim=32, num_attention_heads=2, iou_head_hidden_dim=16
    )
    config = transformers.SamConfig(vision_config=vision, prompt_encoder_config=prompt, mask_decoder_config=decoder)
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("sam") / "tiny-sam"
    transformers.SamModel(config).save_pretrained(folder)
    return folder


def test_persam_scores_a_run_from_a_local_folder(synthetic, tiny_sam, tmp_path):
    opts = {"weights": str(tiny_sam), "input_size": SIZE}
    plan = EvaluationPlan("persam", Persam, synthetic, StandardProtocol(), [0], [1, 2], 3, CPU, 3, 0, opts)
    summary = run_plan(plan, tmp_path / "run").summary
    assert len(summary) >= 2 and summary["miou"].between(0, 100).all()
    method = build_method(Persam, MethodContext(synthetic.name, 0, CPU, Path("."), opts))
    assert method.input_spec.resize == "longest" and method.input_spec.size == (SIZE, SIZE)


def test_the_prompt_points_are_the_most_and_least_similar():
    prior = torch.zeros(4, 6)
    prior[1, 5], prior[3, 0] = 2.0, -1.0
    points, labels = prompt_points(prior)
    assert points.tolist() == [[[[5.0, 1.0], [0.0, 3.0]]]] and labels.tolist() == [[[1, 0]]]


def test_absent_weights_are_one_line_naming_where_they_are_published(synthetic, tmp_path):
    method = build_method(Persam, MethodContext(synthetic.name, 0, CPU, Path("."), {"weights": str(tmp_path / "no")}))
    with pytest.raises(UsageError) as caught:
        method.prepare(Preparation("persam", synthetic))
    message = str(caught.value)
    assert "\n" not in message and f"no SAM weights at weights={tmp_path / 'no'}" in message
    assert "huggingface.co/facebook/sam-vit-huge" in message


def test_a_wrong_input_size_is_one_line(synthetic, tiny_sam):
    opts = {"weights": str(tiny_sam)}
    method = build_method(Persam, MethodContext(synthetic.name, 0, CPU, Path("."), opts))
    with pytest.raises(UsageError, match=f"take {SIZE}-pixel images; set input_size={SIZE}"):
        method.prepare(Preparation("persam", synthetic))

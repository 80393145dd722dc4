"""The Python examples print what their pages say: the README's Validator and `evaluate`, and the training loop
with a Validator of docs/python-api.md (run, with every other block, by tests/test_readme.py's runner)."""

import re

from tests.conftest import REPO
from tests.test_readme import page_run


def test_the_python_api_page_trains_and_validates(synthetic, tmp_path_factory):
    run, _ = page_run(REPO / "docs" / "python-api.md", tmp_path_factory)
    assert len(run.printed) == 2
    assert "episodes scored" in run.printed[0] and "fb_iou" in run.printed[0]
    epochs = re.findall(r"epoch (\d): loss [\d.]+, FB-IoU ([\d.]+), mIoU ([\d.]+)", run.printed[1])
    assert [e[0] for e in epochs] == ["0", "1"] and all(0 < float(e[2]) <= 100 for e in epochs)


def test_the_readme_validator_scores_a_callable(synthetic, tmp_path_factory):
    run, _ = page_run(REPO / "README.md", tmp_path_factory)
    (printed,) = run.printed
    fb_iou, miou = map(float, re.search(r"FB-IoU ([\d.]+), mIoU ([\d.]+)", printed).groups())
    assert 0 < fb_iou <= 100 and 0 < miou <= 100 and "fb_iou" in printed

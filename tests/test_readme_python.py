"""The README's Python examples (section "From Python") run as written, in order, in one namespace."""

import re

from tests.conftest import REPO

SECTION = re.compile(r"^## From Python\n(.*?)^## ", re.S | re.M)
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def test_readme_python_examples_run_as_written(synthetic, capsys):
    section = SECTION.search((REPO / "README.md").read_text()).group(1)
    blocks = BLOCK.findall(section)
    assert len(blocks) == 2
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
    printed = capsys.readouterr().out
    assert "episodes scored" in printed and "fb_iou" in printed
    epochs = re.findall(r"epoch (\d): loss [\d.]+, FB-IoU ([\d.]+), mIoU ([\d.]+)", printed)
    assert [e[0] for e in epochs] == ["0", "1"] and all(0 < float(e[2]) <= 100 for e in epochs)

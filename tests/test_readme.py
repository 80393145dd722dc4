"""Every code block of the README and of docs/*.md runs as written (tests/docs_runner.py says how), pages added
later included; and what the plugin examples of docs/writing-a-method.md do is checked in detail."""

import hashlib
import json
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.docs_runner import PageRun, blocks, run_page

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
_RUNS: dict[Path, tuple[PageRun, Path]] = {}


def page_run(page: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[PageRun, Path]:
    """Run `page` once per test session, in a folder of its own; what it gave and the folder."""
    if page not in _RUNS:
        folder = tmp_path_factory.mktemp(page.stem)
        _RUNS[page] = (run_page(page, folder), folder)
    return _RUNS[page]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_code_block_of_the_page_runs_as_written(page: Path, synthetic, tmp_path_factory):
    run, _ = page_run(page, tmp_path_factory)  # raises, naming the page and the command, on the first failure
    runnable = [b for b in blocks(page) if not b.mark]
    assert len(run.outputs) == sum(b.runs() for b in runnable if b.kind == "bash")


def test_the_plugin_examples_do_what_the_page_says(synthetic, tmp_path_factory):
    run, folder = page_run(REPO / "docs" / "writing-a-method.md", tmp_path_factory)
    assert len(run.outputs) == 7
    listed, mean_colour, trained, reused, other, weights, theirs = run.outputs
    assert "mean-colour" in listed and "5-shot FB-IoU" in mean_colour
    assert "trained pixel-embedding for synthetic-5i fold 0" in trained
    assert "training one now" not in reused  # the checkpoint `fssbench train` wrote
    assert "training one now" in other  # width=32 is another configuration, with a checkpoint of its own
    records = [json.loads(p.read_text()) for p in (folder / "runs").glob("*/run.json")]
    runs = {r["method"] + str(r["method_options"]): r for r in records}
    assert runs["pixel-embedding{'width': 32}"]["method_config"]["width"] == 32
    their = runs["their-net{'checkpoint': 'their-fold{fold}.pt'}"]
    sha = hashlib.sha256((folder / "their-fold0.pt").read_bytes()).hexdigest()
    assert their["checkpoints"] == {"0": sha} and their["method_config"]["checkpoint"] == "their-fold{fold}.pt"


def test_the_readme_plugin_is_the_pages_plugin():
    readme = next(b.body for b in blocks(REPO / "README.md") if b.body.startswith("# my_method.py"))
    page = next(b.body for b in blocks(REPO / "docs" / "writing-a-method.md") if b.body.startswith("# my_method.py"))
    assert readme == page


def test_readme_commands_are_the_ci_command():
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    test_command = "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest -q"
    install = "python3 -m venv .venv && .venv/bin/pip install -e . && "
    main_command = install + ".venv/bin/fssbench evaluate --method cam-repr --shots 1,5"
    assert test_command in readme and test_command in ci and main_command in readme


def test_the_readme_is_a_front_page():
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= 300
    for link in {part.split(")")[0] for part in readme.split("](docs/")[1:]}:
        assert (REPO / "docs" / link.split("#")[0]).is_file(), link


def test_a_block_that_does_not_run_is_still_parsed(tmp_path):
    from tests.docs_runner import parse_only

    page = tmp_path / "page.md"
    parse_only("fssbench evaluate --method cam-repr --benchmark pascal-5i --data-root /data/VOC2012", page)
    with pytest.raises(AssertionError, match="no-such-option"):
        parse_only("fssbench evaluate --method cam-repr --no-such-option", page)
    with pytest.raises(AssertionError, match="No such command"):
        parse_only("fssbench leaderboard unpublish runs/x", page)


def test_a_shell_block_runs_as_a_script_that_installs_nothing(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "```bash\npip install nothing-at-all\nmkdir made\necho 'print(6 * 7)' > made/six.py\npython made/six.py\n```\n"
    )
    assert run_page(page, tmp_path).outputs == ["not run in the tests: pip install nothing-at-all 42"]
    page.write_text("```bash\nmkdir made\n```\n")  # it exists: the script stops there
    with pytest.raises(AssertionError, match="exited with 1"):
        run_page(page, tmp_path)

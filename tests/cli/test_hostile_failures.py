"""Every user-side failure is one line naming what is at fault, never a traceback; --debug keeps it."""

import shutil
from pathlib import Path

from click.testing import CliRunner
from PIL import Image

from fssbench.cli import cli
from fssbench.protocols.standard import StandardProtocol
from tests.cli.test_hostile_input import check, evaluate

RAISING_INIT = """
from fssbench import Method, register_method

@register_method("raising-init")
class RaisingInit(Method):
    def __init__(self, context):
        raise ValueError("no such weights")

    def predict(self, episodes):
        return None
"""


def test_a_plugins_own_exception_names_its_file_and_line(tmp_path):
    plugin = tmp_path / "mine.py"
    plugin.write_text(RAISING_INIT)
    args = ["evaluate", "--method", "raising-init", "--plugin", str(plugin), "--episodes", "2", "--folds", "0"]
    result = CliRunner().invoke(cli, [*args, "--output", str(tmp_path / "run")])
    assert result.exit_code == 1
    check(result, f"plugin code at {plugin}:7 raised ValueError: no such weights")
    debug = CliRunner().invoke(cli, ["--debug", *args, "--output", str(tmp_path / "debug-run")])
    assert isinstance(debug.exception, ValueError)  # --debug lets the traceback through


def test_a_garbage_run_record_under_resume(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text("{not json")
    result = CliRunner().invoke(cli, ["evaluate", "--method", "all-foreground", "--resume", str(run)])
    check(result, f"{run / 'run.json'} is not an fssbench run record")


def test_export_onto_a_folder_is_one_line(synthetic, tmp_path):
    result = CliRunner().invoke(cli, ["episodes", "export", "--fold", "0", "--shots", "1", "--output", str(tmp_path)])
    check(result, f"--output {tmp_path} is a folder; name a file")


def test_a_decompression_bomb_and_a_symlink_loop_are_named(synthetic, tmp_path):
    episode = StandardProtocol().sample(synthetic, 0, 1, 1)[0]
    for damage, needle in (("bomb", "cannot be decoded"), ("loop", "does not exist")):
        root = tmp_path / damage
        shutil.copytree(synthetic.data_root(), root)
        image = root / "JPEGImages" / f"{episode.query}.jpg"
        image.unlink()
        if damage == "bomb":
            Image.new("1", (20000, 20000)).save(image.with_suffix(".png"), format="PNG")
            image.with_suffix(".png").rename(image)
        else:
            image.symlink_to(image)
        check(evaluate(root), str(image), needle)


def test_an_invalid_checkpoint_sidecar_is_named(tmp_path):
    from fssbench.learning.checkpoints import load

    weights = tmp_path / "w.pt"
    weights.write_bytes(b"x")
    weights.with_suffix(".json").write_text("{")
    try:
        load(weights)
    except Exception as exc:
        assert f"checkpoint sidecar {weights.with_suffix('.json')} is not valid" in str(exc)
    else:
        raise AssertionError("an invalid sidecar was read")


def test_a_bug_in_fssbench_says_so_with_exit_3(monkeypatch):
    from fssbench.cli import listing
    from fssbench.paths import home

    # stands for a bug in fssbench's own code: a call with an argument its callee does not take
    monkeypatch.setattr(listing, "load_plugins", home)
    result = CliRunner().invoke(cli, ["list", "methods"])
    assert result.exit_code == 3, result.output
    check(result, "unexpected TypeError", "listing.py", "a bug in fssbench: rerun with --debug")


def test_mistakes_in_paths_name_the_path(tmp_path: Path):
    result = CliRunner().invoke(cli, ["metrics", str(tmp_path / "nowhere")])
    check(result, "is not an fssbench run folder")


def test_export_replaces_its_own_file_but_never_a_users(synthetic, tmp_path):
    mine, theirs = tmp_path / "episodes.csv", tmp_path / "thesis.csv"
    theirs.write_text("my results\n")
    args = ["episodes", "export", "--fold", "0", "--shots", "1", "--episodes", "3", "--output"]
    assert CliRunner().invoke(cli, [*args, str(mine)]).exit_code == 0
    assert CliRunner().invoke(cli, [*args, str(mine)]).exit_code == 0  # its own: replaced
    result = CliRunner().invoke(cli, [*args, str(theirs)])
    assert result.exit_code == 2
    check(result, f"--output {theirs} exists and was not written by fssbench")
    assert theirs.read_text() == "my results\n"


def test_only_pictures_fssbench_drew_are_replaced(tmp_path):
    from fssbench.reporting.visualize import drawn_by_fssbench, signature

    ours, theirs = tmp_path / "ours.png", tmp_path / "theirs.png"
    Image.new("RGB", (4, 4)).save(ours, format="PNG", pnginfo=signature())
    Image.new("RGB", (4, 4)).save(theirs, format="PNG")
    assert drawn_by_fssbench(ours) and not drawn_by_fssbench(theirs)

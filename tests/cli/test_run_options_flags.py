"""The run options' flags are written once (`cli.run_options.FLAGS`) and checked as the Python API checks them."""

import click
import pytest

from fssbench.api_options import RUN_OPTIONS, check_options
from fssbench.cli.evaluate import evaluate_command
from fssbench.cli.reproduce import reproduce
from fssbench.cli.run_options import FLAGS
from fssbench.cli.train import train
from fssbench.errors import UsageError
from fssbench.protocols.limits import MAX_EPISODES, MAX_RUNS


def flag(name: str) -> click.Parameter:
    """The parameter that `FLAGS[name]` adds to a command."""
    return click.command()(FLAGS[name](lambda **_: None)).params[0]


def test_every_run_option_has_its_flag():
    assert set(RUN_OPTIONS) - {"method_args"} <= set(FLAGS)


@pytest.mark.parametrize("command", [evaluate_command, train, reproduce], ids=lambda c: c.name)
def test_a_command_takes_each_run_option_as_the_table_writes_it(command):
    shared = [p for p in command.params if p.name in {flag(n).name for n in FLAGS}]
    assert shared, command.name
    for param in shared:
        name = next(n for n in FLAGS if flag(n).name == param.name)
        assert param.to_info_dict() == flag(name).to_info_dict(), (command.name, param.name)


@pytest.mark.parametrize(
    ("name", "value", "accepted"),
    [
        ("episodes", 1, True),
        ("episodes", MAX_EPISODES, True),
        ("episodes", 0, False),
        ("episodes", MAX_EPISODES + 1, False),
        ("runs", MAX_RUNS, True),
        ("runs", MAX_RUNS + 1, False),
        ("batch_size", 1, True),
        ("batch_size", 0, False),
        ("workers", 0, True),
        ("feature_cache_gib", 0.5, True),
        ("feature_cache_gib", 0.0, False),
    ],
)
def test_the_flag_and_the_api_draw_the_same_range(name, value, accepted):
    param = flag(name)
    context = click.Context(click.command()(lambda: None))
    try:
        param.process_value(context, str(value))
        by_flag = True
    except click.BadParameter:
        by_flag = False
    try:
        check_options({name: value})
        by_api = True
    except UsageError:
        by_api = False
    assert (by_flag, by_api) == (accepted, accepted)

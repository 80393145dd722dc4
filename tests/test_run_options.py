"""The run options are named once: the API's keyword arguments, their checks, and `fssbench evaluate`'s parameters."""

from typing import get_type_hints

from fssbench.api import PlanOptions
from fssbench.api_options import RUN_OPTIONS
from fssbench.cli.evaluate import evaluate_command

#: The one option that several flags make (--method-args, --backbone, --backbone-weights, --epochs).
GATHERED = {"method_args"}


def test_the_api_and_its_checks_name_the_same_options():
    assert set(get_type_hints(PlanOptions)) == set(RUN_OPTIONS)


def test_every_run_option_is_an_evaluate_parameter_of_the_same_name():
    parameters = {p.name for p in evaluate_command.params}
    assert set(RUN_OPTIONS) - GATHERED <= parameters, set(RUN_OPTIONS) - GATHERED - parameters
    assert GATHERED.isdisjoint(parameters)

from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from fssbench import registry as registry_module
from fssbench.errors import PluginError, UsageError
from fssbench.registry import Registry, load_plugin_file, methods


class A:
    """First object."""


class B:
    """Second object."""


def test_duplicate_name_for_a_different_object_is_refused():
    reg: Registry = Registry("thing", "fssbench.test-nothing")
    reg.register("a", A)
    reg.register("a", A)  # the same object again is fine
    with pytest.raises(PluginError, match="already registered"):
        reg.register("a", B)


def test_unknown_name_lists_close_matches():
    with pytest.raises(UsageError, match="did you mean all-foreground"):
        methods.get("all-foregrond")


def test_builtins_come_from_entry_points():
    entries = {e.name: e for e in methods.entries()}
    assert entries["all-foreground"].source.startswith("entry point of fssbench")


def test_broken_entry_point_is_reported_and_does_not_stop_others(monkeypatch):
    reg: Registry = Registry("method", "fssbench.methods")
    real = registry_module.entry_points

    def with_broken(group):
        broken = EntryPoint(name="broken", value="no_such_module_xyz:Method", group=group)
        return [*real(group=group), broken]

    monkeypatch.setattr(registry_module, "entry_points", with_broken)
    entries = {e.name: e for e in reg.entries()}
    assert "No module named" in entries["broken"].error
    assert entries["all-foreground"].error is None
    assert reg.get("all-foreground").__name__ == "AllForeground"
    with pytest.raises(PluginError, match="'broken'.*failed to import"):
        reg.get("broken")


def test_plugin_file_registers_and_syntax_error_names_the_file(tmp_path: Path):
    good = tmp_path / "good_plugin.py"
    good.write_text(
        "from fssbench import Method, register_method\n"
        "@register_method('test-good-plugin')\n"
        "class Good(Method):\n"
        "    '''A test plugin.'''\n"
        "    def predict(self, episodes):\n"
        "        return episodes.query_images[:, 0]\n"
    )
    load_plugin_file(good)
    assert methods.get("test-good-plugin").__name__ == "Good"
    bad = tmp_path / "bad_plugin.py"
    bad.write_text("def broken(:\n")
    with pytest.raises(PluginError, match="bad_plugin.py has a syntax error at line 1"):
        load_plugin_file(bad)

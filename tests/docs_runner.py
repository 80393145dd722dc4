"""Runs the code blocks of a documentation page (README.md or docs/*.md) as written, in order, in one folder.

- A ```python block whose first line is ``# name.py`` is written to that file; any other ```python block is
  executed, all of a page's in one namespace.
- A ```bash block whose lines are all ``fssbench ...`` or ``python ...`` commands (a line ending in ``\\``
  continues) runs line by line: ``fssbench`` in this process (through click, as the console script does), or in a
  subprocess when it loads a ``--plugin`` file (a plugin registers its names once per process); ``python`` in a
  subprocess. Any other ```bash block runs as one bash script (``set -euo pipefail``) in which ``fssbench`` and
  ``python`` are this interpreter's, and ``pip`` only says what it would install: tests install nothing.
- A block preceded by ``<!-- needs-data -->``, ``<!-- needs-gpu -->`` or ``<!-- not-run: REASON -->`` is not run;
  its ``fssbench`` commands are parsed against the command line instead, so that an option that no longer exists
  fails all the same.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import click
from click.testing import CliRunner

BLOCK = re.compile(
    r"(?:<!--\s*(?P<mark>needs-data|needs-gpu|not-run:[^>]*?)\s*-->\n)?```(?P<kind>[\w-]*)\n(?P<body>.*?)^```",
    re.S | re.M,
)
PYTHON_FILE = re.compile(r"# (\S+\.py)\n")


@dataclass
class Block:
    """One fenced block of a page: its language, its text, and the mark that keeps it from running."""

    kind: str
    body: str
    mark: str | None

    @property
    def simple(self) -> bool:
        """Every line an fssbench or python command (run one by one, fssbench in this process)."""
        return all(line.split()[0] in ("fssbench", "python") for line in self.commands())

    def runs(self) -> int:
        """How many outputs running the block gives: one per command, or one for a script."""
        return len(self.commands()) if self.simple else 1

    def commands(self) -> list[str]:
        """The block's command lines, continuation lines joined, comments and blank lines dropped."""
        text = re.sub(r"\\\n\s*", " ", self.body)
        return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


@dataclass
class PageRun:
    """What running a page gave: each command's printed output, each Python block's printed output."""

    outputs: list[str] = field(default_factory=list)
    printed: list[str] = field(default_factory=list)


def blocks(page: Path) -> list[Block]:
    """The page's fenced blocks, in order."""
    return [Block(m["kind"], m["body"], m["mark"]) for m in BLOCK.finditer(page.read_text())]


def run_page(page: Path, folder: Path) -> PageRun:
    """Run every runnable block of `page` in `folder`, in order; raise AssertionError naming the first failure."""
    run, namespace = PageRun(), {"__name__": f"docs:{page.name}"}
    for block in blocks(page):
        if block.kind == "bash" and block.mark:
            for line in block.commands():
                parse_only(line, page)
        elif block.kind == "bash" and block.simple:
            for line in block.commands():
                run.outputs.append(run_command(line, folder, page))
        elif block.kind == "bash":
            run.outputs.append(run_script(block.body, folder, page))
        elif block.kind == "python" and not block.mark:
            named = PYTHON_FILE.match(block.body)
            if named:
                (folder / named.group(1)).write_text(block.body)
            else:
                run.printed.append(exec_python(block.body, namespace, folder, page))
    return run


@contextlib.contextmanager
def inside(folder: Path) -> Iterator[None]:
    """Work in `folder` for a while (contextlib.chdir is Python 3.11's; fssbench supports 3.10)."""
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def exec_python(code: str, namespace: dict, folder: Path, page: Path) -> str:
    """Execute a Python block in `folder`; what it prints."""
    printed = io.StringIO()
    with inside(folder), contextlib.redirect_stdout(printed):
        exec(compile(code, str(page), "exec"), namespace)
    return printed.getvalue()


def run_command(line: str, folder: Path, page: Path) -> str:
    """Run one command line in `folder`; its output, whitespace collapsed (rich wraps at the terminal width)."""
    words = shlex.split(line, comments=True)
    if words[0] == "fssbench" and "--plugin" not in words:
        from fssbench.cli import cli

        with inside(folder):
            done = CliRunner().invoke(cli, words[1:], prog_name="fssbench", catch_exceptions=False)
        assert done.exit_code == 0, f"{page.name}: `{line}` exited with {done.exit_code}\n{done.output}"
        return " ".join(done.output.split())
    command = [sys.executable, "-m", "fssbench", *words[1:]] if words[0] == "fssbench" else [sys.executable, *words[1:]]
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=600, env=os.environ.copy())
    assert done.returncode == 0, f"{page.name}: `{line}` exited with {done.returncode}\n{done.stdout}\n{done.stderr}"
    return " ".join(done.stdout.split())


SHELL_PRELUDE = """set -euo pipefail
fssbench() { "$DOCS_PYTHON" -m fssbench "$@"; }
python() { "$DOCS_PYTHON" "$@"; }
pip() { echo "not run in the tests: pip $*"; }
"""


def run_script(body: str, folder: Path, page: Path) -> str:
    """Run a bash block as one script in `folder`; its output, whitespace collapsed."""
    env = {**os.environ, "DOCS_PYTHON": sys.executable}
    script = SHELL_PRELUDE + body
    done = subprocess.run(["bash", "-c", script], cwd=folder, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, (
        f"{page.name}: the script\n{body}\nexited with {done.returncode}\n{done.stdout}\n{done.stderr}"
    )
    return " ".join(done.stdout.split())


def parse_only(line: str, page: Path) -> None:
    """Parse an fssbench command line against the commands without running it (other commands are left alone)."""
    if line.split()[0] not in ("fssbench", "torchrun"):
        return
    words = shlex.split(line, comments=True)
    if words[0] == "torchrun":  # torchrun ... -m fssbench ARGS
        if "fssbench" not in words:
            return
        words = words[words.index("fssbench") :]
    from fssbench.cli import cli

    command: click.Command = cli
    ctx = cli.make_context("fssbench", words[1:], resilient_parsing=False)
    args = rest(ctx)
    while isinstance(command, click.Group):
        try:
            name, command, args = command.resolve_command(ctx, args)
            assert command is not None and name is not None, f"{page.name}: `{line}`: no command"
            ctx = command.make_context(name, args, parent=ctx)
        except click.BadParameter as exc:  # a path that must exist, on a machine without the data
            assert "does not exist" in str(exc), f"{page.name}: `{line}`: {exc}"
            return
        except click.UsageError as exc:
            raise AssertionError(f"{page.name}: `{line}`: {exc.format_message()}") from None
        args = rest(ctx)


def rest(ctx: click.Context) -> list[str]:
    """The words a group left for its subcommand."""
    protected = ctx._protected_args if hasattr(ctx, "_protected_args") else ctx.protected_args  # click < 8.2
    return [*protected, *ctx.args]

"""Errors a user can cause and fix: the CLI prints them as one line, without a traceback."""

from __future__ import annotations


class FssbenchError(Exception):
    """A mistake in the user's input, data or plugin; `exit_code` is what the CLI exits with."""

    exit_code: int = 1


class UsageError(FssbenchError):
    """A bad option value: unknown names, impossible shots, folds or episode counts."""

    exit_code = 2


class DataNotFoundError(FssbenchError):
    """A benchmark's images, masks or lists are missing or laid out wrongly."""

    exit_code = 2


class StaleCheckpointError(UsageError):
    """A checkpoint holds weights of an older version of its method's network."""


class DataError(FssbenchError):
    """A data file exists but is unreadable or holds values the benchmark does not allow."""


class PluginError(FssbenchError):
    """A plugin failed to import, or registered a name that is taken."""


class MethodError(FssbenchError):
    """A method raised, or returned something the harness cannot score."""


class LeaderboardError(FssbenchError):
    """A run cannot be merged into a leaderboard without making its rows incomparable."""

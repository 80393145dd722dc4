"""How many seeded runs and episodes a protocol may plan (importing this module does not import torch)."""

#: The most seeded runs a protocol takes (`Protocol.with_runs`).
MAX_RUNS = 100
#: The most episodes a cell may have: every episode is planned before the first is scored.
MAX_EPISODES = 1_000_000

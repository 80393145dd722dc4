"""Reporting: leaderboards (CSV, Markdown, LaTeX), suites of benchmarks, pictures of episodes and the
support-use control's table.
"""

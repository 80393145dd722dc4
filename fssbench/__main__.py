"""``python -m fssbench`` is the ``fssbench`` command."""

from fssbench.cli import main

main()

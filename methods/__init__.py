"""Built-in methods of fssbench (installed as ``fssbench_methods``), registered by entry points."""

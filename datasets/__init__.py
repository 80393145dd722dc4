"""Built-in benchmarks of fssbench (installed as ``fssbench_datasets``) and their shipped lists."""

import platform

import pytest

from fssbench.evaluation.allocator import reuse_freed_memory


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_glibc_takes_the_settings():
    assert reuse_freed_memory() is True


def test_asking_twice_is_harmless():
    assert reuse_freed_memory() == reuse_freed_memory()

"""The benchmark tools' shared parts: children that cannot hang, data that exists."""
import os
import time

import pytest

from stdpose_mm.utils.benchmarking import (
    BenchmarkError,
    ensure_data_root,
    has_posetrack_data,
    run_in_child,
)


def _double(value):
    return 2 * value


def _raise():
    raise ValueError('no data at data/synthetic_posetrack')


def _die():
    os._exit(3)  # as a child killed by the OOM killer or a segfault: no result, no error


def _sleep():
    time.sleep(60)


def test_child_result_comes_back():
    assert run_in_child(_double, (21, ), timeout=120) == 42


def test_child_error_is_raised_with_its_message():
    with pytest.raises(BenchmarkError, match='ValueError: no data at data/synthetic'):
        run_in_child(_raise, timeout=120)


def test_dead_child_is_an_error_not_a_hang():
    start = time.monotonic()
    with pytest.raises(BenchmarkError, match='died with exit code 3'):
        run_in_child(_die, timeout=120)
    assert time.monotonic() - start < 60


def test_slow_child_times_out():
    start = time.monotonic()
    with pytest.raises(BenchmarkError, match='timeout'):
        run_in_child(_sleep, timeout=3)
    assert time.monotonic() - start < 45


def test_missing_data_root_gets_a_generated_set(tmp_path, capsys):
    root = ensure_data_root(str(tmp_path / 'absent'), str(tmp_path), 'test')
    assert has_posetrack_data(root)
    assert 'generated a small synthetic set' in capsys.readouterr().out
    # An existing set is used as it is.
    assert ensure_data_root(root, str(tmp_path / 'other'), 'test') == root

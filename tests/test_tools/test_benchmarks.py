"""Every benchmark tool runs on a bare checkout (no data) in its smallest setting and prints
its table; a broken config ends the tool with an error, never a hang."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .e2e_utils import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / 'tools'))
from run_benchmarks import STEPS  # noqa: E402

TABLE_MARKERS = {
    'pipeline': 'cost ratio video/single per sample',
    'train': 'stdpose-combined_tiny-hrnet_synthetic.py: ',
    'train-loop': '| OpenMP wait policy, load |',
    'inference-cpu': '| variant | ms/frame | x (a) |',
    'inference-paper': '| variant | ms/frame | x (a) |',
    'test-step': 'max |keypoint difference|',
    'memory': 'workers RSS MB',
}


@pytest.fixture(scope='module')
def bare_checkout(tmp_path_factory) -> Path:
    """The repository's tools and configs without any data folder."""
    root = tmp_path_factory.mktemp('bare_checkout')
    for folder in ('tools', 'configs'):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    assert not (root / 'data').exists()
    return root


def run_in(root: Path, tool: str, *args: str, timeout: int = 900):
    return subprocess.run([sys.executable, str(root / 'tools' / tool), *args], cwd=root,
                          capture_output=True, text=True, timeout=timeout)


def test_every_step_has_a_table_marker():
    assert {step.name for step in STEPS} == set(TABLE_MARKERS)


@pytest.mark.parametrize('step', STEPS, ids=[step.name for step in STEPS])
def test_benchmark_runs_on_a_bare_checkout(step, bare_checkout):
    result = run_in(bare_checkout, step.tool, *step.quick_args)
    assert result.returncode == 0, result.stderr[-3000:]
    assert TABLE_MARKERS[step.name] in result.stdout, result.stdout[-3000:]
    if step.tool != 'benchmark_inference.py':  # random inputs there: no data needed
        assert 'generated a small synthetic set' in result.stdout


def test_run_benchmarks_writes_the_page(bare_checkout, tmp_path):
    out = tmp_path / 'benchmarks.md'
    result = run_in(bare_checkout, 'run_benchmarks.py', '--quick', '--only', 'pipeline',
                    '--out', str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    page = out.read_text()
    for expected in ('| cpu |', '| torch |', '| date |', 'python tools/benchmark_pipeline.py',
                     'cost ratio video/single per sample'):
        assert expected in page


def test_broken_config_exits_non_zero_within_its_timeout(bare_checkout):
    broken = bare_checkout / 'configs' / 'broken.py'
    broken.write_text("_base_ = ['./cpu/stdpose_tiny-hrnet_synthetic.py']\n"
                      "model = dict(type='NoSuchEstimator')\n")
    result = run_in(bare_checkout, 'benchmark_train.py', 'configs/cpu/td-hm_tiny-hrnet_'
                    'synthetic.py', str(broken), '--iters', '1', '--warmup', '0',
                    '--batch-size', '2', '--timeout', '300', timeout=400)
    assert result.returncode == 1
    assert 'error:' in result.stderr and 'NoSuchEstimator' in result.stderr

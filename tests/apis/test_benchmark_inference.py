"""tools/benchmark_inference.py runs the three variants and prints the table."""
import importlib.util

from tests.conftest import REPO_ROOT


def test_benchmark_prints_three_variants(capsys):
    spec = importlib.util.spec_from_file_location(
        'benchmark_inference', REPO_ROOT / 'tools' / 'benchmark_inference.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    tool.main(['--size', 'cpu', '--frames', '4', '--persons', '1', '--warmup', '1',
               '--device', 'cpu', '--profile'])
    out = capsys.readouterr().out
    assert 'device: cpu' in out
    for variant in ('(a) single-frame HRNet', '(b) 5-frame, backbone recomputed',
                    '(c) 5-frame, streaming cache'):
        assert f'| {variant} |' in out
    for module in ('backbone', 'neck.dam', 'neck.encoder', 'head'):  # the per-module profile
        assert f'| {module} |' in out

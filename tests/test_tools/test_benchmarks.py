"""The benchmark scripts run and print their comparison (numbers are not asserted)."""
from .e2e_utils import run_tool


def test_pipeline_benchmark_prints_both_pipelines(tiny_posetrack):
    result = run_tool('benchmark_pipeline.py', str(tiny_posetrack), '--num-samples', '8',
                      '--workers', '0', '--batch-size', '4', '--input-size', '96', '128')
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'single-frame (MMPose)' in result.stdout
    assert 'video T=5 (stdpose_mm)' in result.stdout
    assert 'cost ratio video/single per sample' in result.stdout


def test_train_benchmark_prints_both_models(tiny_posetrack):
    result = run_tool('benchmark_train.py', 'configs/cpu/td-hm_tiny-hrnet_synthetic.py',
                      'configs/cpu/stdpose_tiny-hrnet_synthetic.py', '--data-root',
                      str(tiny_posetrack), '--batch-size', '2', '--iters', '1', '--warmup', '0')
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'stdpose_tiny-hrnet_synthetic.py: ' in result.stdout
    assert 'peak RSS MB' in result.stdout

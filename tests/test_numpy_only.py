"""The numpy-only core imports and runs with torch, MMEngine and MMPose blocked.

Each check runs in a fresh interpreter whose ``sys.modules`` maps the deep-learning stack to
``None`` (``import torch`` then raises ImportError, as in an environment without it).
"""
import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.test_tools.test_eval_posetrack import _make_data as make_eval_data

REPO_ROOT = Path(__file__).resolve().parents[1]
BLOCKED = ('torch', 'torchvision', 'mmengine', 'mmpose', 'mmcv', 'mmdet', 'mmpretrain')
BLOCK = (f'import sys\nsys.path.insert(0, {str(REPO_ROOT)!r})\n'
         f'for _name in {BLOCKED!r}:\n    sys.modules[_name] = None\n')
# The modules of the core (stdpose_mm/optional_deps.py): what a numpy-only user imports.
CORE_MODULES = (
    'stdpose_mm', 'stdpose_mm.evaluation.functional', 'stdpose_mm.datasets.posetrack_annotations',
    'stdpose_mm.datasets.dataset_check', 'stdpose_mm.datasets.converters',
    'stdpose_mm.datasets.synthetic', 'stdpose_mm.utils.atomic_io', 'stdpose_mm.utils.cli',
    'stdpose_mm.config_path')


def run_blocked(code: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a new interpreter with the deep-learning stack blocked."""
    return subprocess.run([sys.executable, '-c', BLOCK + textwrap.dedent(code), *args],
                          capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)


def test_blocking_works():
    proc = run_blocked('import torch\n')
    assert proc.returncode != 0 and 'ModuleNotFoundError' in proc.stderr


def test_core_imports_without_torch():
    proc = run_blocked(f'''
        import importlib
        for name in {CORE_MODULES!r}:
            importlib.import_module(name)
        import stdpose_mm.datasets as datasets
        from stdpose_mm.evaluation import evaluate_posetrack  # noqa: F401
        from stdpose_mm.datasets import check_posetrack_dataset  # noqa: F401
        try:
            datasets.PoseTrackVideoDataset
        except ImportError as err:
            print(err)
        loaded = sorted(n for n, m in sys.modules.items() if m is not None and
                        n.split('.')[0] in {BLOCKED!r})
        assert not loaded, loaded
    ''')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'stdpose_mm.datasets.PoseTrackVideoDataset needs torch' in proc.stdout


def run_tool_blocked(tool: str, *args: str) -> subprocess.CompletedProcess:
    """``python tools/TOOL ARGS`` (as ``__main__``) with the deep-learning stack blocked."""
    return run_blocked(f'''
        import runpy
        sys.argv = [{tool!r}] + sys.argv[1:]
        runpy.run_path('tools/{tool}', run_name='__main__')
    ''', *args)


def test_eval_posetrack_runs_with_numpy_only(tmp_path):
    gt_dir, pred_dir = make_eval_data(tmp_path)  # the GT itself as predictions
    out = tmp_path / 'metrics.json'
    proc = run_tool_blocked('eval_posetrack.py', str(gt_dir), str(pred_dir), '--out', str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(out.read_text())['Total'] == 100.0


def test_generator_checker_and_converter_run_with_numpy_only(tmp_path):
    proc = run_tool_blocked('make_synthetic_posetrack.py', str(tmp_path / 'synthetic'),
                            '--train-videos', '1', '--splits', 'train', '--frames', '2',
                            '--width', '96', '--height', '64', '--quiet')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / 'synthetic' / 'annotations' / 'posetrack18_train.json').is_file()
    proc = run_tool_blocked('check_dataset.py', '--ann-file', 'annotations/posetrack18_train.json',
                            '--data-root', str(tmp_path / 'synthetic'), '--no-progress')
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    proc = run_tool_blocked('convert_posetrack17.py', str(tmp_path / 'missing'),
                            str(tmp_path / 'out'), '--split', 'val')
    # Argument checks and the converter import run: a missing folder is a usage error.
    assert proc.returncode == 2 and proc.stderr.startswith('error: PoseTrack17 annotation'), \
        proc.stderr[-3000:]

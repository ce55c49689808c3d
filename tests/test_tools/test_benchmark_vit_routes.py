"""tools/benchmark_vit_routes.py: both routes run a training step and are measured."""
import sys

from tests.conftest import REPO_ROOT


def test_both_routes_measured_on_the_cpu_vit_config():
    sys.path.insert(0, str(REPO_ROOT / 'tools'))
    import benchmark_vit_routes
    from mmengine import Config
    from mmpose.utils import register_all_modules

    register_all_modules()
    cfg = Config.fromfile(str(REPO_ROOT / 'configs/cpu/stdpose-combined_tiny-vit_synthetic.py'))
    routes = benchmark_vit_routes.build_routes(cfg)
    rows = {name: benchmark_vit_routes.measure(route, 1, 5, repeats=1)
            for name, route in routes.items()}
    assert set(rows) == {'per-frame', 'tokens'}
    # Per frame: the deconvolutions run on all 5 frames, the necks on the 4x finer grid.
    assert rows['per-frame']['gflops'] > rows['tokens']['gflops'] > 0
    assert rows['per-frame']['stages']['upsample'] > rows['tokens']['stages']['upsample']
    assert set(rows['tokens']['stages']) == {'upsample', 'dam', 'encoder', 'motion', 'head'}

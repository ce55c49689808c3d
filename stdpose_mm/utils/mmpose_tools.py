"""Running MMPose's own command-line tools with the plugin loaded."""
import os
import os.path as osp
import runpy
import sys
from typing import List, Optional


def mmpose_tool_path(name: str) -> str:
    """Path of a script MMPose installs with its package (``mmpose/.mim/tools``)."""
    import mmpose

    path = osp.join(osp.dirname(mmpose.__file__), '.mim', 'tools', name)
    if not osp.isfile(path):
        raise FileNotFoundError(f'MMPose tool {name!r} not found at {path}; is mmpose '
                                'installed from a wheel (with its .mim folder)?')
    return path


def init_cpu_distributed() -> None:
    """Start the gloo process group for a launcher run (torchrun) on a machine without GPU.

    MMEngine 0.10.7's ``init_dist('pytorch')`` calls ``torch.cuda.set_device`` first, which
    fails without a driver; the Runner skips it when a process group already exists.
    """
    import torch
    import torch.distributed as dist

    if 'LOCAL_RANK' in os.environ and not torch.cuda.is_available() \
            and not dist.is_initialized():
        dist.init_process_group(backend='gloo')


def run_mmpose_tool(name: str, argv: Optional[List[str]] = None) -> None:
    """Run MMPose's ``tools/<name>`` as ``__main__`` with the plugin registered.

    Importing :mod:`stdpose_mm` first registers every component and the safe checkpoint
    loader, so configs work with or without ``custom_imports``; the arguments are exactly
    MMPose's.
    """
    import stdpose_mm  # noqa: F401  (registers the plugin)

    args = list(sys.argv[1:] if argv is None else argv)
    launcher = args[args.index('--launcher') + 1] if '--launcher' in args[:-1] else 'none'
    if launcher != 'none':
        init_cpu_distributed()
    path = mmpose_tool_path(name)
    sys.argv = [path] + args
    runpy.run_path(path, run_name='__main__')

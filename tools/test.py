"""Test a checkpoint: MMPose's ``tools/test.py`` with stdpose_mm loaded (same arguments).

A checkpoint that does not fill the model (another model's file, a single-frame checkpoint
in a temporal config), a truncated one or one holding objects outside the safe allow-list is
refused with one ``error: ...`` line naming the file, and exit code 1.

Example:
    python tools/test.py configs/stdpose_hrnet_pt17.py CHECKPOINT [--work-dir DIR]
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from stdpose_mm.utils.cli import fail  # noqa: E402
from stdpose_mm.utils.mmpose_tools import run_mmpose_tool  # noqa: E402

if __name__ == '__main__':
    from stdpose_mm.engine.run_checks import CheckpointMismatchError
    from stdpose_mm.utils.checkpoint import TruncatedCheckpointError, UnsafeCheckpointError

    try:
        run_mmpose_tool('test.py')
    except (CheckpointMismatchError, TruncatedCheckpointError, UnsafeCheckpointError) as err:
        fail(err, code=1)

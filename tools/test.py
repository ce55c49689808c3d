"""Test a checkpoint: MMPose's ``tools/test.py`` with stdpose_mm loaded (same arguments).

Example:
    python tools/test.py configs/stdpose_hrnet_pt17.py CHECKPOINT [--work-dir DIR]
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from stdpose_mm.utils.mmpose_tools import run_mmpose_tool  # noqa: E402

if __name__ == '__main__':
    run_mmpose_tool('test.py')

"""Train a model: MMPose's ``tools/train.py`` with stdpose_mm loaded (same arguments).

Example:
    python tools/train.py configs/stdpose_hrnet_pt17.py [--work-dir DIR] [--resume] [--amp]
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from stdpose_mm.utils.mmpose_tools import run_mmpose_tool  # noqa: E402

if __name__ == '__main__':
    run_mmpose_tool('train.py')

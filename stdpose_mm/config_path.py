"""Where stdpose_mm's configs live once installed, for ``_base_`` in other projects.

MMEngine 0.10.7 resolves ``package::path`` bases only for a fixed list of OpenMMLab
packages, so a config of another project names ours by absolute path. The package carries
its configs (``stdpose_mm/.mim/configs``, as MMPose does), and this helper finds them::

    # in any MMPose project's config
    _base_ = [__import__('stdpose_mm.config_path', fromlist=['_']).config_path(
        'stdpose_hrnet_pt17.py')]

or, on the command line, ``python -m stdpose_mm.config_path stdpose_hrnet_pt17.py``
prints the path to paste.
"""
import os
import os.path as osp
import sys
from typing import List

_PACKAGE_DIR = osp.dirname(osp.abspath(__file__))
_SEARCH_DIRS = (
    osp.join(_PACKAGE_DIR, '.mim', 'configs'),  # installed with the package
    osp.join(osp.dirname(_PACKAGE_DIR), 'configs'),  # a source checkout
)


def configs_dir() -> str:
    """The folder holding stdpose_mm's configs."""
    for directory in _SEARCH_DIRS:
        if osp.isdir(directory):
            return directory
    raise FileNotFoundError(f'stdpose_mm configs not found in any of {_SEARCH_DIRS}')


def available_configs() -> List[str]:
    root = configs_dir()
    names = []
    for folder, _, files in sorted(os.walk(root, followlinks=True)):
        names += [osp.relpath(osp.join(folder, f), root) for f in sorted(files)
                  if f.endswith('.py') and '_base_' not in folder]
    return names


def config_path(name: str) -> str:
    """Absolute path of a shipped config, e.g. ``'cpu/stdpose_tiny-hrnet_synthetic.py'``."""
    path = osp.join(configs_dir(), name)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'no stdpose_mm config {name!r}; available: {", ".join(available_configs())}')
    return osp.abspath(path)


if __name__ == '__main__':
    if len(sys.argv) != 2:
        print('usage: python -m stdpose_mm.config_path CONFIG_NAME\n'
              'available: ' + ', '.join(available_configs()), file=sys.stderr)
        sys.exit(2)
    print(config_path(sys.argv[1]))

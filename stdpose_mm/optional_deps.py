"""Whether the deep-learning stack (torch, MMEngine, MMPose) is installed.

The numpy-only core of the package (PoseTrack AP, annotation loading, the dataset check,
converters, the synthetic generator, atomic IO, CLI helpers) imports without it, so that
``tools/eval_posetrack.py``, the converters and the generator run in an environment with
only numpy (and OpenCV for images). The package ``__init__`` files import the torch / MMPose
components, which register themselves into MMPose's registries, only when
:data:`OPENMMLAB_INSTALLED` is true. Where the stack is installed but broken, its import
error is raised as it is, never hidden.
"""
import importlib.util

# ``find_spec`` locates a package without importing it; a name blocked in ``sys.modules``
# (``sys.modules['torch'] = None``) counts as missing, as ``import`` would.
OPENMMLAB_PACKAGES = ('torch', 'mmengine', 'mmpose')


def openmmlab_installed() -> bool:
    """Whether torch, MMEngine and MMPose can all be found (nothing is imported)."""
    for name in OPENMMLAB_PACKAGES:
        try:
            if importlib.util.find_spec(name) is None:
                return False
        except (ImportError, ValueError):  # blocked, or a module without a spec
            return False
    return True


OPENMMLAB_INSTALLED = openmmlab_installed()


def missing_openmmlab(module: str, name: str) -> Exception:
    """The error for a name asked of a package imported without torch / MMPose.

    Args:
        module (str): The package asked (``stdpose_mm.datasets``).
        name (str): The attribute asked.

    Returns:
        Exception: ``AttributeError`` for dunder names (``hasattr`` and introspection
        probe those), else an ``ImportError`` that says what is missing.
    """
    if name.startswith('__'):
        return AttributeError(f'module {module!r} has no attribute {name!r}')
    return ImportError(
        f'{module}.{name} needs torch, MMEngine and MMPose, which are not installed (or '
        f'blocked) here; only the numpy-only core of {module} is available')

from ..optional_deps import OPENMMLAB_INSTALLED, missing_openmmlab
from .functional import *  # noqa: F401,F403

if OPENMMLAB_INSTALLED:  # the MMEngine metric (registered on import)
    from .metrics import *  # noqa: F401,F403
else:
    def __getattr__(name: str):
        raise missing_openmmlab(__name__, name)

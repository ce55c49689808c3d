from .fileio import *  # noqa: F401,F403
from .hooks import *  # noqa: F401,F403

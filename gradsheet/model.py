"""The linear model's maths (kept importable as gradsheet.model; it lives in gradsheet.core.models)."""

from .core.models import *  # noqa: F401,F403
from .core.models import CENTRAL, FORWARD  # noqa: F401
from .core.descent import Descent, descend  # noqa: F401,E402

"""Models under test behind one protocol, and the target-spec strings users type."""

from accord.targets._registry import PROVIDERS, display_name, get_provider, load_target
from accord.targets._spec import parse_target
from accord.targets._target import Completion, GenParams, RequestContext, Target, TargetError, TargetSpec

__all__ = [
    "PROVIDERS",
    "Completion",
    "GenParams",
    "RequestContext",
    "Target",
    "TargetError",
    "TargetSpec",
    "display_name",
    "get_provider",
    "load_target",
    "parse_target",
]

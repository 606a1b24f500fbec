"""annotator: label Arabic entities and claims in the terminal."""
__version__ = "0.1.0"

from annotator import pattern_code as _pattern_code  # noqa: E402  (before any pattern of ours is compiled)

_pattern_code.install()

from annotator import dataclass_code as _dataclass_code  # noqa: E402  (before any class of ours is defined)

_dataclass_code.install()

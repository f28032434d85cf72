"""tsquash's exception types. All are ValueErrors, so code catching ValueError keeps working.

* :class:`CorruptStreamError`: bytes that are truncated, corrupted or not what they claim to be.
* :class:`ModelMismatchError`: compressed data decoded with another model than the one that made it.
* :class:`ConfigError`: a bad configuration file (unknown or missing key, wrong type); names the key.
"""
from ._core import CorruptStreamError


class ModelMismatchError(ValueError):
    """The compressed data was made with another model (its hash differs from the compressor's)."""


class ConfigError(ValueError):
    """A configuration file or mapping is invalid; the message names the offending key and file."""


__all__ = ["ConfigError", "CorruptStreamError", "ModelMismatchError"]

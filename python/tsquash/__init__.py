"""tsquash: make time series smaller and keep them useful.

    >>> import numpy as np, tsquash
    >>> x = np.cumsum(np.random.default_rng(0).normal(size=1000)).round(2)
    >>> blob = tsquash.encode(x, codec="chimp128")
    >>> y = tsquash.decode(blob)
    >>> bool((y.view("u8") == x.view("u8")).all())
    True
"""
from ._core import CorruptStreamError
from . import codecs
from .api import available_codecs, block_choices, decode, encode, info
from .stream import StreamDecoder, StreamEncoder
from .table import Table, read_table, table_info, to_pandas, write_table
from . import samples
from .filters import DeadbandFilter, Filter, FilterTree, HysteresisFilter, SdtFilter, reconstruct
from . import pandas_ext as _pandas_ext
from .compressor import CompressedData, Compressor
from .errors import ConfigError, ModelMismatchError

_pandas_ext.install()  # df.tsq appears when the user imports pandas; tsquash itself does not

__version__ = "0.1.0"

__all__ = [
    "AutoEncoder",
    "CompressedData",
    "Compressor",
    "ConfigError",
    "CorruptStreamError",
    "ModelMismatchError",
    "DeadbandFilter",
    "Filter",
    "FilterTree",
    "HysteresisFilter",
    "SdtFilter",
    "StreamDecoder",
    "StreamEncoder",
    "Table",
    "available_codecs",
    "block_choices",
    "codecs",
    "decode",
    "encode",
    "info",
    "read_table",
    "reconstruct",
    "samples",
    "table_info",
    "to_pandas",
    "write_table",
]


def __getattr__(name):
    # The autoencoder module is imported on first use, so `import tsquash` stays as quick as before; LibTorch
    # itself loads only when a model is built.
    if name == "AutoEncoder":
        from .autoencoder import AutoEncoder

        return AutoEncoder
    raise AttributeError(f"module 'tsquash' has no attribute {name!r}")

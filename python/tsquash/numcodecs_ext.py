"""tsquash codecs as numcodecs codecs (ids ``tsquash.<name>``), for Zarr and anything else that speaks
numcodecs. numcodecs finds them through the ``numcodecs.codecs`` entry point group, so after
``pip install tsquash[zarr]`` this works without importing tsquash first::

    import numcodecs, zarr
    codec = numcodecs.get_codec({"id": "tsquash.chimp128"})
    z = zarr.create_array(store, data=x, chunks=(100_000,), compressors=codec, filters=None, zarr_format=2)

For Zarr format 3 arrays use :mod:`tsquash.zarr3`.
"""
from __future__ import annotations

from numcodecs.abc import Codec as _NumcodecsCodec
from numcodecs.registry import register_codec

from . import codecs as _c


def _numcodecs_class(base):
    cls = type(base.__name__, (base, _NumcodecsCodec), {"codec_id": f"tsquash.{base.name}",
                                                        "__module__": __name__,
                                                        "__doc__": base.__doc__})
    register_codec(cls)
    return cls


Raw = _numcodecs_class(_c.Raw)
Gorilla = _numcodecs_class(_c.Gorilla)
Chimp = _numcodecs_class(_c.Chimp)
Chimp128 = _numcodecs_class(_c.Chimp128)
TSXor = _numcodecs_class(_c.TSXor)
FPC = _numcodecs_class(_c.FPC)
Alp = _numcodecs_class(_c.Alp)
Auto = _numcodecs_class(_c.Auto)

__all__ = ["Raw", "Gorilla", "Chimp", "Chimp128", "TSXor", "FPC", "Alp", "Auto"]

"""tsquash codecs for Zarr format 3 arrays (zarr-python >= 3)::

    import zarr, tsquash.zarr3
    z = zarr.create_array("temps.zarr", shape=x.shape, chunks=(65_536,), dtype="float64",
                          serializer=tsquash.zarr3.Auto(), compressors=None)
    z[:] = x
    zarr.open_array("temps.zarr")[:]          # bit-exact; tsquash need not be imported to read

Each codec is an array-to-bytes codec: it takes the place of Zarr's ``bytes`` serializer, because it
works on the values (floats or integers, whichever the codec supports), not on their bytes. A chunk
is flattened in C order and becomes one tsquash stream. In the array's metadata the codec appears as
``{"name": "tsquash.<codec>", "configuration": {...parameters}}``; the ``zarr.codecs`` entry point group
lets Zarr find it by that name without importing tsquash first. Where Zarr reads part of a chunk (the
tsquash codec alone in the pipeline), only the rows asked for are decoded: with ``alp`` and ``auto``, the
blocks of 1024 values that hold them. For Zarr format 2 arrays use the numcodecs codecs in
:mod:`tsquash.numcodecs_ext` as compressors.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import ClassVar

import numpy as np

try:
    from zarr.abc.codec import ArrayBytesCodec, ArrayBytesCodecPartialDecodeMixin
    from zarr.core.buffer import Buffer, NDBuffer
    from zarr.registry import register_codec
except ImportError as e:  # zarr missing, or zarr-python 2 (no zarr.abc)
    raise ImportError("tsquash.zarr3 needs zarr-python 3 (pip install 'tsquash[zarr]'); for zarr-python 2 "
                      "use the numcodecs codecs in tsquash.numcodecs_ext") from e

from . import _core
from . import codecs as _c
from ._core import CorruptStreamError

_DTYPES = {spec["name"]: {np.dtype(d) for d in spec["dtypes"]} for spec in _core.codecs()}


@dataclass(frozen=True, repr=False)
class TsquashCodec(ArrayBytesCodecPartialDecodeMixin, ArrayBytesCodec):
    """Base class; one subclass per tsquash codec (``base`` is its :mod:`tsquash.codecs` class)."""

    is_fixed_size = False
    base: ClassVar[type[_c.Codec]]
    params: tuple[tuple[str, int], ...]

    def __init__(self, **params) -> None:
        object.__setattr__(self, "params", tuple(self.base(**params).params.items()))  # validated there

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v}' for k, v in self.params)})"

    @property
    def codec(self) -> _c.Codec:
        return self.base(**dict(self.params))

    @classmethod
    def from_dict(cls, data: dict) -> TsquashCodec:
        name = f"tsquash.{cls.base.name}"
        if data.get("name") != name:
            raise ValueError(f"expected a codec named {name!r}, got {data.get('name')!r}")
        return cls(**(data.get("configuration") or {}))

    def to_dict(self) -> dict:
        out = {"name": f"tsquash.{self.base.name}"}
        if self.params:
            out["configuration"] = dict(self.params)
        return out

    def validate(self, *, shape, dtype, chunk_grid) -> None:
        native = dtype.to_native_dtype()
        ok = _DTYPES[self.base.name]
        if native.newbyteorder("=") not in ok:
            raise TypeError(f"tsquash.{self.base.name} stores {', '.join(sorted(d.name for d in ok))} arrays, "
                            f"not {native}")

    def compute_encoded_size(self, input_byte_length: int, chunk_spec) -> int:
        raise NotImplementedError  # compressed sizes depend on the data

    async def _encode_single(self, chunk_array: NDBuffer, chunk_spec) -> Buffer | None:
        values = np.ravel(chunk_array.as_numpy_array(), order="C")
        if values.dtype.byteorder == ">":
            values = values.astype(values.dtype.newbyteorder("<"))
        return chunk_spec.prototype.buffer.from_bytes(self.codec.encode(values))

    def _checked(self, blob: bytes, chunk_spec) -> np.dtype:
        """The array's dtype, once the chunk's header says it holds that dtype and as many values."""
        head = _core.info(blob)
        native = chunk_spec.dtype.to_native_dtype()
        if np.dtype(head["dtype"]) != native.newbyteorder("=") or head["count"] != prod(chunk_spec.shape):
            raise CorruptStreamError(f"tsquash.{self.base.name}: chunk holds {head['count']} {head['dtype']} "
                                     f"values, the array expects {prod(chunk_spec.shape)} {native}")
        return native

    async def _decode_single(self, chunk_bytes: Buffer, chunk_spec) -> NDBuffer:
        blob = chunk_bytes.to_bytes()
        native = self._checked(blob, chunk_spec)
        out = _core.decode(blob).astype(native, copy=False).reshape(chunk_spec.shape)
        return chunk_spec.prototype.nd_buffer.from_numpy_array(out)

    async def _decode_partial_single(self, byte_getter, selection, chunk_spec) -> NDBuffer | None:
        # Zarr asks for part of a chunk (this codec alone between the array and the store): where the part
        # lies within a range of rows (of the first axis), only that range of the flattened chunk is decoded,
        # which for alp and auto is the blocks that hold it. Other selections decode the whole chunk.
        chunk_bytes = await byte_getter.get(prototype=chunk_spec.prototype)
        if chunk_bytes is None:
            return None
        blob = chunk_bytes.to_bytes()
        native = self._checked(blob, chunk_spec)
        shape = tuple(chunk_spec.shape)
        first = selection[0] if isinstance(selection, tuple) and selection else selection
        rows = None
        if shape and isinstance(first, slice) and first.step in (None, 1):
            lo, hi, _ = first.indices(shape[0])
            rows, within = (lo, max(hi, lo)), slice(0, max(hi - lo, 0))
        elif shape and isinstance(first, (int, np.integer)) and not isinstance(first, bool) and \
                -shape[0] <= first < shape[0]:
            lo = int(first) % shape[0]
            rows, within = (lo, lo + 1), 0
        if rows is None:
            values = _core.decode(blob).astype(native, copy=False).reshape(shape)
            return chunk_spec.prototype.nd_buffer.from_numpy_array(values[selection])
        row = prod(shape[1:])
        part = _core.decode(blob, 1, rows[0] * row, (rows[1] - rows[0]) * row)
        part = part.astype(native, copy=False).reshape((rows[1] - rows[0],) + shape[1:])
        rest = tuple(selection[1:]) if isinstance(selection, tuple) else ()
        return chunk_spec.prototype.nd_buffer.from_numpy_array(part[(within,) + rest])


def _zarr3_class(base: type[_c.Codec]) -> type[TsquashCodec]:
    cls = type(base.__name__, (TsquashCodec,), {"base": base, "__module__": __name__,
                                                "__doc__": f"Zarr 3 array-to-bytes codec ``tsquash.{base.name}``."})
    cls = dataclass(frozen=True, init=False, repr=False)(cls)
    register_codec(f"tsquash.{base.name}", cls)
    return cls


Raw = _zarr3_class(_c.Raw)
Gorilla = _zarr3_class(_c.Gorilla)
Chimp = _zarr3_class(_c.Chimp)
Chimp128 = _zarr3_class(_c.Chimp128)
TSXor = _zarr3_class(_c.TSXor)
FPC = _zarr3_class(_c.FPC)
Alp = _zarr3_class(_c.Alp)
Auto = _zarr3_class(_c.Auto)

__all__ = ["TsquashCodec", "Raw", "Gorilla", "Chimp", "Chimp128", "TSXor", "FPC", "Alp", "Auto"]

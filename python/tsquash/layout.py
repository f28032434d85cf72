"""What a Compressor was given and how to give it back: DataFrame / Series (columns, index, dtypes), 1-D, 2-D
or 3-D arrays (frames). A :class:`Layout` turns the input into an (n, m) float64 or original-dtype matrix and
is stored as JSON (plus an optional index section) inside compressed files."""
from __future__ import annotations

import numpy as np

from . import api
from ._core import CorruptStreamError

# dtypes a Compressor accepts; the lossless path stores the ones the codecs take natively and casts the others
# to one of them exactly (restored on decompress).
_NATIVE = {"float64", "float32", "int64"}
_EXACT_CAST = {"float16": "float32", "int8": "int64", "int16": "int64", "int32": "int64", "uint8": "int64",
               "uint16": "int64", "uint32": "int64", "bool": "int64"}


def _pandas():
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a test dependency
        return None
    return pd


def stored_dtype(dtype: str) -> str:
    """The dtype the lossless codecs store a column of ``dtype`` as."""
    if dtype in _NATIVE:
        return dtype
    if dtype in _EXACT_CAST:
        return _EXACT_CAST[dtype]
    raise TypeError(f"tsquash compresses numeric columns (float, int, bool); got {dtype}")


class Layout:
    """kind: 'frame' (DataFrame), 'series', 'array' (1-D or 2-D ndarray) or 'frames' (3-D ndarray)."""

    def __init__(self, kind: str, shape: tuple, dtypes: list[str], columns=None, index=None):
        self.kind = kind
        self.shape = tuple(int(s) for s in shape)
        self.dtypes = dtypes
        self.columns = columns
        self.index = index  # JSON description; the values of a stored index travel in a section

    @property
    def n_rows(self) -> int:
        return self.shape[0]

    @property
    def n_columns(self) -> int:
        return int(np.prod(self.shape[1:])) if len(self.shape) > 1 else 1

    def to_json(self) -> dict:
        return {"kind": self.kind, "shape": list(self.shape), "dtypes": self.dtypes, "columns": self.columns,
                "index": self.index}

    @classmethod
    def from_json(cls, j, what: str = "compressed data") -> "Layout":
        try:
            kind, shape, dtypes = j["kind"], tuple(j["shape"]), list(j["dtypes"])
            if kind not in ("frame", "series", "array", "frames") or not all(isinstance(s, int) and s >= 0
                                                                              for s in shape):
                raise ValueError
            for d in dtypes:
                np.dtype(d)
            layout = cls(kind, shape, dtypes, j.get("columns"), j.get("index"))
            if len(dtypes) not in (1, layout.n_columns):
                raise ValueError
        except (KeyError, TypeError, ValueError):
            raise CorruptStreamError(f"{what}: malformed data layout {j!r}") from None
        return layout

    def column_dtype(self, j: int) -> str:
        return self.dtypes[0] if len(self.dtypes) == 1 else self.dtypes[j]


def describe(data) -> tuple[Layout, list[np.ndarray] | np.ndarray, bytes | None]:
    """(layout, values, index bytes). values: for tables a list of 1-D columns (original dtypes), for arrays the
    array itself. Never copies or mutates the caller's data."""
    pd = _pandas()
    if pd is not None and isinstance(data, pd.Series):
        data = data.to_frame()
        kind = "series"
    elif pd is not None and isinstance(data, pd.DataFrame):
        kind = "frame"
    else:
        kind = None
    if kind is not None:
        if data.shape[0] == 0 or data.shape[1] == 0:
            raise ValueError(f"cannot compress an empty DataFrame (shape {data.shape})")
        cols = []
        dtypes = []
        for name in data.columns:
            s = data[name]
            dt = s.dtype
            if not isinstance(dt, np.dtype) or dt.kind not in "biuf":
                raise TypeError(f"column {name!r}: tsquash compresses numeric columns, got {dt}")
            stored_dtype(dt.name)
            cols.append(s.to_numpy())
            dtypes.append(dt.name)
        columns = [c if isinstance(c, (str, int)) and not isinstance(c, bool) else str(c) for c in data.columns]
        if kind == "series":
            columns = [data.columns[0] if isinstance(data.columns[0], (str, int)) else None]
        index_json, index_bytes = _describe_index(data.index)
        return Layout(kind, data.shape, dtypes, columns, index_json), cols, index_bytes
    arr = np.asarray(data)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"tsquash compresses numeric arrays, got {arr.dtype}")
    if arr.ndim not in (1, 2, 3):
        raise ValueError(f"expected a 1-D, 2-D (rows x columns) or 3-D (frames x H x W) array, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"cannot compress an empty array (shape {arr.shape})")
    stored_dtype(arr.dtype.name)
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    kind = "frames" if arr.ndim == 3 else "array"
    return Layout(kind, arr.shape, [arr.dtype.name]), arr, None


def matrix(layout: Layout, values) -> np.ndarray:
    """The data as an (n, m) float64 matrix (frames flattened per frame)."""
    if isinstance(values, list):
        out = np.empty((layout.n_rows, len(values)), dtype=np.float64)
        for j, c in enumerate(values):
            _check_exact(c, layout.column_dtype(j))
            out[:, j] = c
        return out
    _check_exact(values, layout.dtypes[0])
    return values.reshape(layout.n_rows, -1).astype(np.float64)


def _check_exact(values: np.ndarray, dtype: str) -> None:
    if np.dtype(dtype).kind in "iu" and values.size and np.abs(values).max() > 2**53:
        raise ValueError("integer values beyond 2**53 cannot be compressed lossily (float64 arithmetic); "
                         "use a lossless codec")


def rebuild(layout: Layout, columns: list[np.ndarray], index_bytes: bytes | None):
    """The user's kind of object from decoded columns (one 1-D array per column, already in its dtype), or for
    arrays a single flat array of the whole data in C order."""
    if layout.kind in ("array", "frames"):
        return columns[0].reshape(layout.shape)
    pd = _pandas()
    if pd is None:  # pragma: no cover
        raise ImportError("pandas is needed to rebuild a DataFrame")
    index = _rebuild_index(layout.index, index_bytes, layout.n_rows)
    names = layout.columns
    if layout.kind == "series":
        return pd.Series(columns[0], index=index, name=names[0])
    return pd.DataFrame({i: c for i, c in enumerate(columns)}, index=index).set_axis(names, axis=1)


def _describe_index(index) -> tuple[dict, bytes | None]:
    pd = _pandas()
    name = index.name if isinstance(index.name, (str, int)) or index.name is None else str(index.name)
    if isinstance(index, pd.RangeIndex):
        return {"type": "range", "start": int(index.start), "step": int(index.step), "name": name}, None
    if isinstance(index, pd.DatetimeIndex):
        tz = None if index.tz is None else str(index.tz)
        ns = index.as_unit("ns").asi8 if hasattr(index, "as_unit") else index.asi8
        if index.hasnans:
            raise ValueError("the DatetimeIndex holds NaT; drop or fill those rows first")
        unit = getattr(index, "unit", "ns")
        freq = index.freqstr if index.freq is not None else None
        return {"type": "datetime", "tz": tz, "name": name, "unit": unit, "freq": freq}, \
            api.encode(np.ascontiguousarray(ns, dtype=np.int64), "auto")
    dt = index.dtype
    if isinstance(dt, np.dtype) and dt.kind in "iuf":
        native = stored_dtype(dt.name)
        vals = np.ascontiguousarray(index.to_numpy().astype(native))
        return {"type": "values", "dtype": dt.name, "name": name}, api.encode(vals, "auto")
    return {"type": "list", "values": [str(v) for v in index], "name": name}, None


def _rebuild_index(j, blob, n):
    pd = _pandas()
    try:
        t = j["type"]
        if t == "range":
            return pd.RangeIndex(j["start"], j["start"] + j["step"] * n, j["step"], name=j["name"])
        if t == "list":
            if len(j["values"]) != n:
                raise ValueError
            return pd.Index(j["values"], name=j["name"])
        if blob is None:
            raise ValueError
        values = api.decode(blob)
        if values.size != n:
            raise ValueError
        if t == "datetime":
            idx = pd.DatetimeIndex(values.view("datetime64[ns]"), name=j["name"])
            if j.get("tz"):
                idx = idx.tz_localize("UTC").tz_convert(j["tz"])
            if j.get("unit") and j["unit"] != "ns" and hasattr(idx, "as_unit"):
                idx = idx.as_unit(j["unit"])
            if j.get("freq"):
                idx = pd.DatetimeIndex(idx, freq=j["freq"])
            return idx
        if t == "values":
            return pd.Index(values.astype(j["dtype"]), name=j["name"])
    except (KeyError, TypeError, ValueError):
        pass
    raise CorruptStreamError(f"compressed data: malformed index description {j!r}")

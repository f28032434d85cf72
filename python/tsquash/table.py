"""The multi-column ``.tsq`` file: an optional time column and named value columns, each one a complete,
self-describing tsquash stream, behind a small checksummed directory.

    >>> import numpy as np, tsquash
    >>> t = np.arange(4, dtype=np.int64) * 60
    >>> tsquash.write_table("/tmp/doc.tsq", {"t": t, "temp": np.array([20.5, 20.5, 20.6, np.nan])}, time="t")
    >>> table = tsquash.read_table("/tmp/doc.tsq")
    >>> table.time, list(table)
    ('t', ['t', 'temp'])

docs/cli.md ("File format") describes every byte; docs/format.md describes the streams inside.
"""
from __future__ import annotations

import os
import struct
import tempfile
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from . import _core
from ._core import CorruptStreamError

MAGIC = b"TSQT"
FORMAT_VERSION = 1
_PREAMBLE = struct.Struct("<4sHHII")  # magic, version, file flags, column count, directory length
_ENTRY_FIXED = struct.Struct("<BBBBQ")  # role, kind, unit, column flags, stream length (after the name)
_MIN_ENTRY = 2 + _ENTRY_FIXED.size  # an entry with an empty name

# File flags
FILE_HEADER_ROW = 0x0001  # the CSV the table came from had a header row; decompress writes one back
# Column flags
COL_UTC = 0x01  # datetimes are UTC instants (the source had "Z" or an offset); pandas gets tz="UTC"
COL_SPACE_SEP = 0x02  # datetimes were written "YYYY-MM-DD hh:mm:ss" rather than with a "T"
COL_PRINT_DOUBLE = 0x04  # float32 values that came as doubles: write them with the float64 repr

_ROLES = ("value", "time")
_KINDS = ("float", "int", "datetime")
# numpy datetime64 units, in the order their codes (1-based) are stored
_UNITS = ("Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as")
_KNOWN_FILE_FLAGS = FILE_HEADER_ROW
_KNOWN_COL_FLAGS = COL_UTC | COL_SPACE_SEP | COL_PRINT_DOUBLE


# CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum the streams use too. The directory is a
# few hundred bytes, so a byte-at-a-time table in Python costs nothing measurable.
def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data, crc: int = 0) -> int:
    """CRC32C of ``data`` (continuing from ``crc``)."""
    crc ^= 0xFFFFFFFF
    table = _CRC_TABLE
    for b in bytes(data):
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


@dataclass
class ColumnInfo:
    """What the directory says about one column (plus, after reading, its stream's header)."""

    name: str
    role: str = "value"  # "value" | "time"
    kind: str = "float"  # "float" | "int" | "datetime"
    unit: str | None = None  # datetime64 unit for kind "datetime"
    utc: bool = False
    space_sep: bool = False
    print_double: bool = False
    codec: str | None = None
    params: dict = field(default_factory=dict)
    dtype: str | None = None
    count: int | None = None
    stream_bytes: int | None = None

    @property
    def flags(self) -> int:
        return (COL_UTC if self.utc else 0) | (COL_SPACE_SEP if self.space_sep else 0) | (
            COL_PRINT_DOUBLE if self.print_double else 0)


class Table(dict):
    """Columns by name, in file order (a plain dict of numpy arrays), plus:

    ``time``: the name of the time column or None; ``columns_info``: a :class:`ColumnInfo` per column;
    ``header``: whether CSV output should start with a header row.
    """

    def __init__(self, columns=(), *, time: str | None = None, info: dict | None = None, header: bool = True):
        super().__init__(columns)
        if time is not None and time not in self:
            raise ValueError(f"time column {time!r} is not among the columns {list(self)}")
        self.time = time
        self.header = header
        self.columns_info: dict[str, ColumnInfo] = dict(info or {})
        for name, arr in self.items():
            if name not in self.columns_info:
                self.columns_info[name] = _infer_info(name, np.asarray(arr), name == time)

    @property
    def value_columns(self) -> dict:
        """The value columns (all but the time column), by name."""
        return {k: v for k, v in self.items() if k != self.time}

    @property
    def rows(self) -> int:
        return len(next(iter(dict.values(self)))) if len(self) else 0

    def to_pandas(self):
        """A pandas DataFrame of the value columns, indexed by the time column (a DatetimeIndex, UTC when the
        source had time zones, for datetimes)."""
        return to_pandas(self)

    def __repr__(self):
        return f"<tsquash.Table {len(self)} columns x {self.rows} rows, time={self.time!r}: {list(self)}>"


def _infer_info(name: str, arr: np.ndarray, is_time: bool) -> ColumnInfo:
    role = "time" if is_time else "value"
    if arr.dtype.kind == "M":
        unit, step = np.datetime_data(arr.dtype)
        if step != 1:
            raise TypeError(f"column {name!r}: datetime64 with a multiplied unit ({arr.dtype}) is not supported")
        return ColumnInfo(name, role, "datetime", unit)
    if arr.dtype.kind in "iu":
        return ColumnInfo(name, role, "int")
    if arr.dtype.kind == "f":
        return ColumnInfo(name, role, "float")
    raise TypeError(f"column {name!r}: cannot store {arr.dtype} (use float64, float32, int64 or datetime64)")


def _stream_array(name: str, arr, info: ColumnInfo) -> np.ndarray:
    """The int64/float64/float32 array a column is stored as."""
    arr = np.asarray(arr)
    if arr.ndim != 1:
        raise ValueError(f"column {name!r}: expected a 1-D array, got shape {arr.shape}")
    if info.kind == "datetime":
        if arr.dtype.kind != "M":
            raise TypeError(f"column {name!r}: kind 'datetime' needs a datetime64 array, got {arr.dtype}")
        return arr.view(np.int64)
    if arr.dtype.kind in "iu":
        if arr.dtype != np.int64:
            if arr.dtype == np.uint64 and arr.size and arr.max() > np.iinfo(np.int64).max:
                raise TypeError(f"column {name!r}: uint64 values above 2**63-1 do not fit int64")
            arr = arr.astype(np.int64)
        return arr
    if arr.dtype.kind == "f" and arr.dtype.itemsize in (4, 8):
        return arr
    raise TypeError(f"column {name!r}: cannot store {arr.dtype} (use float64, float32, int64 or datetime64)")


def _from_pandas(df) -> Table:
    index = df.index
    cols: dict[str, Any] = {}
    info: dict[str, ColumnInfo] = {}
    time = None
    import pandas as pd  # only reached with a DataFrame, so pandas is there

    if isinstance(index, pd.DatetimeIndex) or (index.name is not None and index.dtype.kind in "iuf"):
        time = str(index.name) if index.name is not None else "time"
        if isinstance(index, pd.DatetimeIndex):
            utc = index.tz is not None
            naive = index.tz_convert("UTC").tz_localize(None) if utc else index
            arr = naive.to_numpy()
            unit = np.datetime_data(arr.dtype)[0]
            info[time] = ColumnInfo(time, "time", "datetime", unit, utc=utc)
        else:
            arr = index.to_numpy()
        cols[time] = arr
    for name in df.columns:
        key = str(name)
        if key in cols:
            raise ValueError(f"column name {key!r} is used twice (the index is named like a column)")
        cols[key] = df[name].to_numpy()
    return Table(cols, time=time, info=info)


def write_table(path_or_file, columns, time: str | None = None, codec="chimp128", time_codec="gorilla",
                **params) -> int:
    """Write columns to a ``.tsq`` file; returns the number of bytes written.

    ``columns``: a dict of 1-D arrays of equal length (float64, float32, int64 or datetime64), a
    :class:`Table`, or a pandas DataFrame (a DatetimeIndex or a named numeric index becomes the time column).
    ``time``: the name of the time column among them, or None (a Table or DataFrame brings its own).
    Value columns use ``codec`` (a name or a :mod:`tsquash.codecs` object) with ``params``; the time column
    uses ``time_codec`` (``gorilla`` codes int64/datetime timestamps as delta-of-delta).
    Writing to a path is atomic: the file appears complete or not at all.
    """
    if hasattr(columns, "columns") and hasattr(columns, "index") and not isinstance(columns, dict):
        table = _from_pandas(columns)
    elif isinstance(columns, Table):
        table = columns
    else:
        table = Table(columns, time=time)
    if time is not None and time != table.time:
        if time not in table:
            raise ValueError(f"time column {time!r} is not among the columns {list(table)}")
        info = {k: replace(v, role="time" if k == time else "value") for k, v in table.columns_info.items()}
        table = Table(table, time=time, info=info, header=table.header)

    if not isinstance(codec, str):  # a tsquash.codecs.Codec object carries its own parameters
        params = {**codec.params, **params}
        codec = codec.name
    if not isinstance(time_codec, str):
        time_codec = time_codec.name
    time_params: dict = {}

    lengths = {name: np.asarray(arr).shape[0] if np.ndim(arr) else -1 for name, arr in table.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"columns differ in length: {lengths}")

    entries = []
    streams = []
    for name, arr in table.items():
        is_time = name == table.time
        arr = np.asarray(arr)
        if arr.ndim != 1:
            raise ValueError(f"column {name!r}: expected a 1-D array, got shape {arr.shape}")
        # The kind always follows the array (a caller may have replaced a column since the Table was made);
        # only the presentation flags are taken from the Table's metadata.
        info = _infer_info(name, arr, is_time)
        given = table.columns_info.get(name)
        if given is not None:
            info.utc = given.utc and info.kind == "datetime"
            info.space_sep = given.space_sep and info.kind == "datetime"
            info.print_double = given.print_double and arr.dtype == np.float32
        stored = _stream_array(name, arr, info)
        use_codec, use_params = (time_codec, time_params) if is_time else (codec, params)
        try:
            blob = _core.encode(np.ascontiguousarray(stored), use_codec, use_params)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"column {name!r}: {exc}") from None
        name_bytes = name.encode("utf-8")
        if len(name_bytes) > 0xFFFF:
            raise ValueError(f"column name {name[:40]!r}... is longer than 65535 bytes")
        unit_code = _UNITS.index(info.unit) + 1 if info.kind == "datetime" else 0
        entries.append(struct.pack("<H", len(name_bytes)) + name_bytes + _ENTRY_FIXED.pack(
            1 if is_time else 0, _KINDS.index(info.kind), unit_code, info.flags, len(blob)))
        streams.append(blob)

    directory = b"".join(entries)
    flags = FILE_HEADER_ROW if table.header else 0
    head = _PREAMBLE.pack(MAGIC, FORMAT_VERSION, flags, len(entries), len(directory)) + directory
    head += struct.pack("<I", crc32c(head))
    total = len(head) + sum(len(s) for s in streams)

    if hasattr(path_or_file, "write"):
        path_or_file.write(head)
        for s in streams:
            path_or_file.write(s)
        return total
    path = os.fspath(path_or_file)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tsq-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(head)
            for s in streams:
                f.write(s)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return total


def _read_bytes(source) -> bytes | memoryview:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return memoryview(source).cast("B")
    if hasattr(source, "read"):
        return source.read()
    with open(os.fspath(source), "rb") as f:
        return f.read()


def _parse(data) -> tuple[int, list[ColumnInfo], list[tuple[int, int]]]:
    """Validate the preamble and directory; return file flags, column infos and (offset, length) per stream."""
    data = memoryview(data).cast("B")
    size = len(data)
    if size < _PREAMBLE.size + 4:
        if bytes(data[:4]) == b"TSQS":
            raise CorruptStreamError("this is a single tsquash stream, not a .tsq table (read it with tsquash.decode)")
        raise CorruptStreamError(f"not a tsquash table: {size} bytes, the smallest table has {_PREAMBLE.size + 4}")
    magic, version, flags, ncols, dir_len = _PREAMBLE.unpack_from(data, 0)
    if magic != MAGIC:
        if magic == b"TSQS":
            raise CorruptStreamError("this is a single tsquash stream, not a .tsq table (read it with tsquash.decode)")
        raise CorruptStreamError(f"not a tsquash table: magic is {bytes(magic)!r}, expected {MAGIC!r}")
    if version != FORMAT_VERSION:
        raise CorruptStreamError(f"table format version {version} is not supported (this tsquash reads {FORMAT_VERSION})")
    dir_end = _PREAMBLE.size + dir_len
    if dir_end + 4 > size:
        raise CorruptStreamError(f"table truncated: its directory needs {dir_end + 4} bytes, the file has {size}")
    (stored_crc,) = struct.unpack_from("<I", data, dir_end)
    actual_crc = crc32c(data[:dir_end])
    if stored_crc != actual_crc:
        raise CorruptStreamError(
            f"table directory checksum mismatch (stored {stored_crc:08x}, computed {actual_crc:08x}): the file is corrupted")
    if flags & ~_KNOWN_FILE_FLAGS:
        raise CorruptStreamError(f"table has unknown file flags {flags:#06x}")
    if ncols * _MIN_ENTRY > dir_len:
        raise CorruptStreamError(f"table directory of {dir_len} bytes cannot hold {ncols} columns")

    infos: list[ColumnInfo] = []
    spans: list[tuple[int, int]] = []
    pos = _PREAMBLE.size
    offset = dir_end + 4
    names = set()
    for i in range(ncols):
        if pos + 2 > dir_end:
            raise CorruptStreamError(f"table directory ends inside column {i}")
        (name_len,) = struct.unpack_from("<H", data, pos)
        pos += 2
        if pos + name_len + _ENTRY_FIXED.size > dir_end:
            raise CorruptStreamError(f"table directory ends inside column {i}")
        try:
            name = bytes(data[pos:pos + name_len]).decode("utf-8")
        except UnicodeDecodeError:
            raise CorruptStreamError(f"column {i}: name is not valid UTF-8") from None
        pos += name_len
        role, kind, unit, cflags, length = _ENTRY_FIXED.unpack_from(data, pos)
        pos += _ENTRY_FIXED.size
        if name in names:
            raise CorruptStreamError(f"column name {name!r} appears twice")
        names.add(name)
        if role >= len(_ROLES):
            raise CorruptStreamError(f"column {name!r}: unknown role {role}")
        if kind >= len(_KINDS):
            raise CorruptStreamError(f"column {name!r}: unknown kind {kind}")
        if (_KINDS[kind] == "datetime") != (unit != 0) or unit > len(_UNITS):
            raise CorruptStreamError(f"column {name!r}: invalid datetime unit code {unit} for kind {_KINDS[kind]}")
        if cflags & ~_KNOWN_COL_FLAGS:
            raise CorruptStreamError(f"column {name!r}: unknown column flags {cflags:#04x}")
        if length > size - offset:
            raise CorruptStreamError(
                f"table truncated: column {name!r} needs {length} bytes at offset {offset}, the file has {size}")
        infos.append(ColumnInfo(
            name, _ROLES[role], _KINDS[kind], _UNITS[unit - 1] if unit else None,
            utc=bool(cflags & COL_UTC), space_sep=bool(cflags & COL_SPACE_SEP),
            print_double=bool(cflags & COL_PRINT_DOUBLE), stream_bytes=length))
        spans.append((offset, length))
        offset += length
    if pos != dir_end:
        raise CorruptStreamError(f"table directory has {dir_end - pos} bytes after its last column")
    if offset != size:
        raise CorruptStreamError(f"table has {size - offset} unexpected bytes after its last column")
    if sum(1 for c in infos if c.role == "time") > 1:
        raise CorruptStreamError("table has more than one time column")
    return flags, infos, spans


def _check_stream(info: ColumnInfo, header: dict, rows: int | None) -> None:
    expected = {"float": ("float64", "float32"), "int": ("int64",), "datetime": ("int64",)}[info.kind]
    if header["dtype"] not in expected:
        raise CorruptStreamError(f"column {info.name!r}: a {info.kind} column cannot hold a {header['dtype']} stream")
    if rows is not None and header["count"] != rows:
        raise CorruptStreamError(f"column {info.name!r} has {header['count']} values, the columns before it {rows}")
    if info.print_double and header["dtype"] != "float32":
        raise CorruptStreamError(f"column {info.name!r}: print-as-double flag on a {header['dtype']} stream")


def table_info(source) -> dict:
    """The directory and every stream header, without decoding values: ``{"version", "header",
    "time", "rows", "file_bytes", "columns": [ColumnInfo, ...]}``. Every checksum is verified (directory,
    stream headers and payloads), so a clean answer means the file is intact. Raises CorruptStreamError."""
    data = memoryview(_read_bytes(source)).cast("B")
    flags, infos, spans = _parse(data)
    rows = None
    for info, (off, length) in zip(infos, spans):
        try:
            header = _core.Decoder(data[off:off + length]).header  # checks the payload CRC, decodes nothing
        except CorruptStreamError as exc:
            raise CorruptStreamError(f"column {info.name!r}: {exc}") from None
        _check_stream(info, header, rows)
        rows = header["count"]
        info.codec, info.params, info.dtype, info.count = header["codec"], header["params"], header["dtype"], rows
    return {"version": FORMAT_VERSION, "header": bool(flags & FILE_HEADER_ROW),
            "time": next((c.name for c in infos if c.role == "time"), None),
            "rows": rows or 0, "file_bytes": len(data), "columns": infos}


def read_table(source, columns=None) -> Table:
    """Read a ``.tsq`` file (a path, a binary file object or bytes) into a :class:`Table`: a dict of numpy
    arrays (datetime64 for datetime columns) with ``.time`` naming the time column.

    ``columns``: optionally, the names to decode (the others are skipped, not even decompressed).
    Truncated or corrupted files raise :class:`tsquash.CorruptStreamError`.
    """
    data = memoryview(_read_bytes(source)).cast("B")
    flags, infos, spans = _parse(data)
    wanted = None if columns is None else list(columns)
    if wanted is not None:
        missing = [c for c in wanted if c not in {i.name for i in infos}]
        if missing:
            raise KeyError(f"no column {missing[0]!r} in the table (it has {[i.name for i in infos]})")
    out: dict[str, np.ndarray] = {}
    kept: dict[str, ColumnInfo] = {}
    rows = None
    for info, (off, length) in zip(infos, spans):
        blob = data[off:off + length]
        try:
            header = _core.info(blob)
            _check_stream(info, header, rows)
            rows = header["count"]
            info.codec, info.params, info.dtype, info.count = header["codec"], header["params"], header["dtype"], rows
            if wanted is not None and info.name not in wanted:
                continue
            values = _core.decode(blob)
        except CorruptStreamError as exc:
            msg = str(exc)
            raise CorruptStreamError(msg if msg.startswith("column ") else f"column {info.name!r}: {msg}") from None
        if info.kind == "datetime":
            values = values.view(f"datetime64[{info.unit}]")
        out[info.name] = values
        kept[info.name] = info
    time = next((c.name for c in infos if c.role == "time" and c.name in out), None)
    order = wanted if wanted is not None else list(out)
    return Table({k: out[k] for k in order}, time=time, info=kept, header=bool(flags & FILE_HEADER_ROW))


def to_pandas(table):
    """A DataFrame from a :class:`Table` (or a path to a ``.tsq`` file): value columns as columns, the time
    column as the index (a DatetimeIndex for datetimes, tz-aware UTC when the file says so)."""
    import pandas as pd

    if not isinstance(table, Table):
        table = read_table(table)
    data = {k: v for k, v in table.items() if k != table.time}
    index = None
    if table.time is not None:
        t = table[table.time]
        info = table.columns_info.get(table.time)
        if t.dtype.kind == "M":
            if np.datetime_data(t.dtype)[0] not in ("s", "ms", "us", "ns"):
                t = t.astype("datetime64[s]")  # pandas indexes datetimes at second resolution or finer
            index = pd.DatetimeIndex(t, name=table.time)
            if info is not None and info.utc:
                index = index.tz_localize("UTC")
        else:
            index = pd.Index(t, name=table.time)
    return pd.DataFrame(data, index=index)


__all__ = ["ColumnInfo", "Table", "crc32c", "read_table", "table_info", "to_pandas", "write_table"]

"""CSV and TSXor ``.bin`` files in and out of :class:`tsquash.table.Table`.

CSV follows TSXor's convention: the first column holds timestamps (integers, floats or ISO-8601 datetimes),
every other column float64 values; empty cells are NaN. Numbers are written back with the shortest text that
parses to the same double, so CSV -> .tsq -> CSV gives the same numbers.

TSXor's ``.bin`` (what its ``csv_to_bin`` writes): little-endian u64 row count, u64 column count, then the
rows, each ``columns`` float64 values, the time column included.
"""
from __future__ import annotations

import csv
import os
import re
import struct

import numpy as np

from .table import ColumnInfo, Table

_TZ_SUFFIX = re.compile(r"(Z|[+-]\d\d:?\d\d)$")
_BIN_HEADER = struct.Struct("<QQ")
_TWO53 = 2 ** 53


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _is_timestamp(cell: str) -> bool:
    if _is_number(cell):
        return True
    try:
        _parse_datetimes([cell.strip()], [1])
    except ValueError:
        return False
    return True


def _open_text(source, mode):
    if hasattr(source, "read" if mode == "r" else "write"):
        return source, False
    kwargs = {"encoding": "utf-8-sig"} if mode == "r" else {"encoding": "utf-8"}
    return open(os.fspath(source), mode, newline="", **kwargs), True


def read_csv(source, *, time: bool = True, delimiter: str = ",", header: bool | None = None) -> Table:
    """Read a CSV file (a path or a text file object) into a :class:`Table`.

    ``time``: the first column holds timestamps (TSXor's convention); with False every column is a value.
    ``header``: None detects a header row (the first row is one when a value cell in it is not a number);
    True / False force it. Column names come from the header, else ``time, v1, v2, ...``.
    Malformed cells raise ValueError naming the line and column.
    """
    f, close = _open_text(source, "r")
    try:
        reader = csv.reader(f, delimiter=delimiter)
        rows: list[list[str]] = []
        lines: list[int] = []
        for row in reader:
            if not row:  # blank line
                continue
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise ValueError(f"line {reader.line_num}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"line {reader.line_num + 1}: not UTF-8 text (byte {exc.object[exc.start]:#04x}); "
                         f"is this a binary file?") from None
    finally:
        if close:
            f.close()
    if not rows:
        raise ValueError("the CSV file is empty")

    if rows[0][0].startswith("\ufeff"):  # a byte-order mark from a stream opened without utf-8-sig
        rows[0][0] = rows[0][0][1:]
    ncols = len(rows[0])
    first = rows[0]
    if header is None:
        cells = first[1:] if time else first
        if cells:
            header = any(c.strip() and not _is_number(c) for c in cells)
        else:
            header = not _is_timestamp(first[0])
    if header:
        names = list(first)
        rows, lines = rows[1:], lines[1:]
    elif time:
        names = ["time"] + [f"v{i}" for i in range(1, ncols)]
    else:
        names = [f"v{i}" for i in range(1, ncols + 1)]
    seen = set()
    for n in names:
        if n in seen:
            raise ValueError(f"line 1: column name {n!r} appears twice in the header")
        seen.add(n)
    for row, line in zip(rows, lines):
        if len(row) != ncols:
            raise ValueError(f"line {line}: expected {ncols} cells (as in the first row), found {len(row)}")

    columns: list[list[str]] = [list(c) for c in zip(*rows)] if rows else [[] for _ in range(ncols)]
    out: dict[str, np.ndarray] = {}
    info: dict[str, ColumnInfo] = {}
    for j, (name, cells) in enumerate(zip(names, columns)):
        if time and j == 0:
            arr, meta = _parse_time_column(cells, lines, name)
            info[name] = meta
        else:
            arr = _parse_values(cells, lines, j, name)
        out[name] = arr
    table = Table(out, time=names[0] if time else None, info=info, header=bool(header))
    table.source_lines = np.asarray(lines, dtype=np.int64)
    return table


def _parse_values(cells: list[str], lines: list[int], j: int, name: str) -> np.ndarray:
    nan = float("nan")
    try:
        return np.array([float(c) if c else nan for c in cells], dtype=np.float64)
    except ValueError:
        pass
    values = np.empty(len(cells), dtype=np.float64)
    for i, c in enumerate(cells):
        if not c.strip():
            values[i] = nan
            continue
        try:
            values[i] = float(c)
        except ValueError:
            raise ValueError(f"line {lines[i]}, column {j + 1} ({name!r}): {c!r} is not a number") from None
    return values


def _parse_time_column(cells: list[str], lines: list[int], name: str) -> tuple[np.ndarray, ColumnInfo]:
    cells = [c.strip() for c in cells]
    for i, c in enumerate(cells):
        if not c:
            raise ValueError(f"line {lines[i]}, column 1 ({name!r}): empty timestamp")
    if not cells:
        return np.empty(0, dtype=np.int64), ColumnInfo(name, "time", "int")
    if _is_number(cells[0]):
        try:
            ints = [int(c) for c in cells]
        except ValueError:
            ints = None
        if ints is not None:
            try:
                return np.array(ints, dtype=np.int64), ColumnInfo(name, "time", "int")
            except OverflowError:
                bad = next(i for i, v in enumerate(ints) if not -2 ** 63 <= v < 2 ** 63)
                raise ValueError(f"line {lines[bad]}, column 1 ({name!r}): timestamp {cells[bad]} does not fit int64") \
                    from None
        values = np.empty(len(cells), dtype=np.float64)
        for i, c in enumerate(cells):
            try:
                values[i] = float(c)
            except ValueError:
                raise ValueError(f"line {lines[i]}, column 1 ({name!r}): timestamp {c!r} is not a number "
                                 f"(the first timestamp is)") from None
        return values, ColumnInfo(name, "time", "float")
    arr, utc = _parse_datetimes(cells, lines, name)
    unit = np.datetime_data(arr.dtype)[0]
    sample = next((c for c in cells if c != "NaT"), "")
    space = len(sample) > 10 and sample[10] == " "
    return arr, ColumnInfo(name, "time", "datetime", unit, utc=utc, space_sep=space)


def _parse_datetimes(cells: list[str], lines: list[int], name: str = "time") -> tuple[np.ndarray, bool]:
    """ISO-8601 strings -> datetime64 at the finest unit any of them needs. Offsets ("Z", "+01:00") are
    applied, giving UTC; a column mixing aware and naive datetimes is an error."""
    offsets = None
    matches = [_TZ_SUFFIX.search(c) if len(c) > 10 else None for c in cells]
    aware = [m is not None for m in matches]
    if any(aware):
        if not all(c == "NaT" or a for c, a in zip(cells, aware)):
            i = next(i for i, (c, a) in enumerate(zip(cells, aware)) if not a and c != "NaT")
            raise ValueError(f"line {lines[i]}, column 1 ({name!r}): {cells[i]!r} has no time zone, "
                             f"other timestamps have one")
        offsets = np.zeros(len(cells), dtype=np.int64)
        naive = []
        for i, (c, m) in enumerate(zip(cells, matches)):
            if m is None:
                naive.append(c)
                continue
            tz = m.group(1)
            if tz != "Z":
                digits = tz[1:].replace(":", "")
                minutes = int(digits[:2]) * 60 + int(digits[2:])
                offsets[i] = -minutes if tz[0] == "-" else minutes
            naive.append(c[:m.start()])
        cells = naive
    try:
        arr = np.array(cells, dtype="datetime64")
    except ValueError:
        for i, c in enumerate(cells):
            try:
                np.datetime64(c)
            except ValueError:
                raise ValueError(f"line {lines[i]}, column 1 ({name!r}): timestamp {c!r} is neither a number "
                                 f"nor an ISO-8601 datetime") from None
        raise
    if offsets is not None and offsets.any():
        unit = np.datetime_data(arr.dtype)[0]
        if unit in ("Y", "M", "W", "D", "h"):
            arr = arr.astype("datetime64[m]")
        arr = arr - offsets.astype("timedelta64[m]")
    return arr, offsets is not None


def format_column(arr: np.ndarray, info: ColumnInfo | None = None) -> list[str]:
    """Cells for one column: shortest round-trip floats (NaN as an empty cell), plain integers, ISO-8601
    datetimes as they were read."""
    arr = np.asarray(arr)
    if arr.dtype.kind == "M":
        unit = np.datetime_data(arr.dtype)[0]
        text = np.datetime_as_string(arr, unit=unit)
        if info is not None and info.space_sep:
            text = np.char.replace(text, "T", " ", count=1)
        if info is not None and info.utc and unit not in ("Y", "M", "W", "D"):
            text = np.where(np.isnat(arr), text, np.char.add(text, "Z"))
        return text.tolist()
    if arr.dtype.kind in "iu":
        return arr.astype(str).tolist()
    if arr.dtype.kind == "f":
        shown = arr.astype(np.float64) if (info is not None and info.print_double) else arr
        text = shown.astype(str)
        text[np.isnan(arr)] = ""
        return text.tolist()
    raise TypeError(f"cannot write a {arr.dtype} column to CSV")


def write_csv(dest, table, *, header: bool | None = None, delimiter: str = ",") -> int:
    """Write a :class:`Table` (or a dict of arrays) as CSV, the time column first; returns the row count.
    ``header`` defaults to the table's own flag (True for a dict)."""
    if not isinstance(table, Table):
        table = Table(table)
    names = list(table)
    if table.time is not None and names[0] != table.time:
        names.remove(table.time)
        names.insert(0, table.time)
    if header is None:
        header = table.header
    cols = [format_column(table[n], table.columns_info.get(n)) for n in names]
    f, close = _open_text(dest, "w")
    try:
        writer = csv.writer(f, delimiter=delimiter, lineterminator="\n")
        if header:
            writer.writerow(names)
        writer.writerows(zip(*cols))
    finally:
        if close:
            f.close()
    return len(cols[0]) if cols else 0


def read_bin(source, *, time_as_int: bool = True) -> Table:
    """Read TSXor's ``.bin`` (u64 rows, u64 columns, row-major float64) into a Table whose first column is
    the time. With ``time_as_int``, a time column of whole numbers (below 2**53, no -0.0) becomes int64,
    which the time codec stores far smaller; writing it back as ``.bin`` gives the same bytes."""
    if hasattr(source, "read"):
        data = source.read()
    else:
        with open(os.fspath(source), "rb") as f:
            data = f.read()
    if len(data) < _BIN_HEADER.size:
        raise ValueError(f"not a TSXor .bin file: {len(data)} bytes, the header alone takes 16")
    rows, cols = _BIN_HEADER.unpack_from(data, 0)
    if cols == 0 or rows * cols * 8 != len(data) - _BIN_HEADER.size:
        raise ValueError(f"not a TSXor .bin file: its header says {rows} rows x {cols} columns "
                         f"({rows * cols * 8} bytes of values), the file has {len(data) - 16} bytes after it")
    matrix = np.frombuffer(data, dtype="<f8", offset=_BIN_HEADER.size).reshape(rows, cols)
    names = ["time"] + [f"v{i}" for i in range(1, cols)]
    out = {name: np.ascontiguousarray(matrix[:, j]).astype(np.float64) for j, name in enumerate(names)}
    info = {}
    t = out["time"]
    if time_as_int and t.size:
        with np.errstate(invalid="ignore"):
            whole = bool(np.all((np.abs(t) <= _TWO53) & (np.floor(t) == t)))
        if whole:
            as_int = t.astype(np.int64)
            if np.array_equal(as_int.astype(np.float64).view(np.uint64), t.view(np.uint64)):
                out["time"] = as_int
                info["time"] = ColumnInfo("time", "time", "int")
    return Table(out, time="time", info=info, header=False)


_PER_SECOND = {"s": 1, "ms": 10 ** 3, "us": 10 ** 6, "ns": 10 ** 9, "ps": 10 ** 12, "fs": 10 ** 15, "as": 10 ** 18}


def column_as_float64(name: str, arr: np.ndarray) -> tuple[np.ndarray, str | None]:
    """A column as float64 for ``.bin``, with a note when that is not exact (datetimes become seconds since
    1970-01-01 as floats; integers beyond 2**53 round)."""
    arr = np.asarray(arr)
    if arr.dtype.kind == "f":
        return arr.astype(np.float64), None
    if arr.dtype.kind in "iu":
        out = arr.astype(np.float64)
        big = np.abs(arr.astype(np.int64)) > _TWO53 if arr.size else np.zeros(0, bool)
        if big.any():
            return out, f"column {name!r}: {int(big.sum())} integers above 2**53 were rounded to float64"
        return out, None
    if arr.dtype.kind == "M":
        unit = np.datetime_data(arr.dtype)[0]
        if unit not in _PER_SECOND:
            arr, unit = arr.astype("datetime64[s]"), "s"
        ints = arr.view(np.int64)
        secs = ints / _PER_SECOND[unit] if unit != "s" else ints.astype(np.float64)
        secs[np.isnat(arr)] = np.nan
        return secs, f"column {name!r}: datetimes written as seconds since 1970-01-01 (float64)"
    raise TypeError(f"cannot write a {arr.dtype} column to .bin")


def write_bin(dest, table) -> list[str]:
    """Write a Table as TSXor's ``.bin`` (time column first); returns notes on conversions that are not
    exact."""
    if not isinstance(table, Table):
        table = Table(table)
    names = list(table)
    if table.time is not None and names[0] != table.time:
        names.remove(table.time)
        names.insert(0, table.time)
    notes = []
    cols = []
    for n in names:
        col, note = column_as_float64(n, table[n])
        cols.append(col)
        if note:
            notes.append(note)
    rows = len(cols[0]) if cols else 0
    matrix = np.column_stack(cols).astype("<f8") if cols else np.zeros((0, 0), "<f8")
    payload = _BIN_HEADER.pack(rows, len(cols)) + np.ascontiguousarray(matrix).tobytes()
    if hasattr(dest, "write"):
        dest.write(payload)
    else:
        with open(os.fspath(dest), "wb") as f:
            f.write(payload)
    return notes


def read_any(path, *, time: bool = True, delimiter: str = ",", header: bool | None = None) -> Table:
    """A CSV or (by the ``.bin`` suffix) TSXor binary file as a Table."""
    if os.fspath(path).lower().endswith(".bin"):
        return read_bin(path)
    return read_csv(path, time=time, delimiter=delimiter, header=header)


__all__ = ["format_column", "read_any", "read_bin", "read_csv", "write_bin", "write_csv"]

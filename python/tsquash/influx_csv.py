"""Filter InfluxDB CSV exports with SDT, deadband or hysteresis (``tsquash filter-csv``, docs/influx-proxy.md).

Understood inputs, each written back in the same format:

- **InfluxDB 2.x annotated CSV** (``influx query``, the UI's download, the HTTP API with annotations): blocks of
  ``#datatype``/``#group``/``#default`` rows, a header, data rows, blank lines between blocks, several tables per
  block (``table`` column). The usual long form (``_time``, ``_value``, ``_field``, ``_measurement`` and tag
  columns) and the wide form after ``pivot()`` (one column per field) are both handled; so is the same CSV
  without annotation rows.
- **InfluxDB 1.x CSV** (``influx -format csv -execute 'SELECT ...'``): ``name,time,...`` (and ``name,tags,time,...``
  with GROUP BY), one column per tag or field; a new header line starts a new block. Integer times are read in
  ``--time-unit`` (default ns, the CLI's default precision); ``-precision rfc3339`` times work too.
- **Plain CSV**: ``time,value[,value...]`` with or without a header. Columns are named by the header (or
  ``value``, or ``value1``, ``value2``, ... without one); the measurement of ``--fields`` is ignored (write ``-``).
  Integer or decimal times are in ``--time-unit`` (default ms); ISO-8601 times work too.

A series is (measurement, field, values of the ``--tags`` columns); each has its own filter. Rows of configured
fields are kept only where the filter releases a point at their time (with the filter's value: SDT may adjust
it); released points at other times become rows of their own. Every other row and column is copied unchanged.
"""
from __future__ import annotations

import csv
import datetime as _dt
import functools
import io
import math
import re
from dataclasses import dataclass, field

from ._influx import FieldSpec, SeriesFilters, StaleTime

_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()
UNITS = {"ns": 1, "us": 1_000, "u": 1_000, "ms": 1_000_000, "s": 1_000_000_000}
NUMERIC_TYPES = {"double": "f", "long": "i", "unsignedLong": "u"}


class CsvFormatError(ValueError):
    """A file this tool cannot read; the message names the file and line."""


@dataclass
class CsvReport:
    format: str = ""
    rows_in: int = 0
    rows_out: int = 0
    points_in: int = 0
    points_out: int = 0
    series: int = 0


# --------------------------------------------------------------------------------------------- times

_ISO = re.compile(r"(\d{4})-(\d\d)-(\d\d)([T ])(\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?(Z|z|[+-]\d\d:?\d\d)?\Z")
_INT = re.compile(r"-?\d+\Z")
_DEC = re.compile(r"-?(\d+)?\.(\d+)\Z")


@dataclass(frozen=True)
class TimeStyle:
    """How a file writes times, so that rows we add look like the rows around them."""

    kind: str            # "iso" or "number"
    unit: int = 1        # ns per unit for numbers
    sep: str = "T"
    zone: str = "Z"      # "Z", "+00:00" or "" (naive, read as UTC)
    seconds: bool = True


def parse_time(text: str, unit: int) -> tuple[int, TimeStyle]:
    """A time cell -> (ns since the epoch, its style). Raises ValueError with the reason."""
    s = text.strip()
    m = _ISO.match(s)
    if m:
        y, mo, d, sep, hh, mm, ss, frac, zone = m.groups()
        h, mi, se = int(hh), int(mm), int(ss or 0)
        if h > 23 or mi > 59 or se > 59:
            raise ValueError(f"invalid time {text!r}: hour, minute or second out of range")
        try:
            secs = _day_seconds(y, mo, d) + h * 3600 + mi * 60 + se
        except ValueError as exc:
            raise ValueError(f"invalid time {text!r}: {exc}") from None
        ns = secs * 1_000_000_000 + (int(frac.ljust(9, "0")) if frac else 0)
        zstyle = "Z"
        if zone and zone not in ("Z", "z"):
            sign = -1 if zone[0] == "-" else 1
            z = zone[1:].replace(":", "")
            ns -= sign * (int(z[:2]) * 3600 + int(z[2:]) * 60) * 1_000_000_000
            zstyle = "+00:00"
        elif not zone:
            zstyle = ""
        return ns, TimeStyle("iso", 1, sep, zstyle, ss is not None)
    if _INT.match(s):
        return int(s) * unit, TimeStyle("number", unit)
    m = _DEC.match(s)
    if m:
        whole, frac = m.group(1) or "0", m.group(2)
        neg = s.startswith("-")
        scaled = int(whole) * unit + _frac_to_units(frac, unit)
        return (-scaled if neg else scaled), TimeStyle("number", unit)
    raise ValueError(f"invalid time {text!r} (expected RFC 3339 or a number)")


@functools.lru_cache(maxsize=4096)
def _day_seconds(y: str, mo: str, d: str) -> int:
    """Seconds from the epoch to midnight UTC of a date (checked: no 30 February)."""
    return (_dt.date(int(y), int(mo), int(d)).toordinal() - _EPOCH_ORDINAL) * 86_400


def _frac_to_units(frac: str, unit: int) -> int:
    # exact decimal fraction of a unit, rounded to the nearest nanosecond
    num = int(frac) * unit
    den = 10 ** len(frac)
    return (2 * num + den) // (2 * den)


def format_time(ns: int, style: TimeStyle) -> str:
    if style.kind == "number":
        q, r = divmod(ns, style.unit)
        if r == 0:
            return str(q)
        digits = len(str(style.unit)) - 1
        if ns < 0:
            q, r = divmod(-ns, style.unit)
            return f"-{q}.{str(r).zfill(digits).rstrip('0')}"
        return f"{q}.{str(r).zfill(digits).rstrip('0')}"
    secs, frac = divmod(ns, 1_000_000_000)
    tm = _gmtime(secs)
    out = f"{tm[0]:04d}-{tm[1]:02d}-{tm[2]:02d}{style.sep}{tm[3]:02d}:{tm[4]:02d}"
    if style.seconds or tm[5] or frac:
        out += f":{tm[5]:02d}"
    if frac:
        out += "." + f"{frac:09d}".rstrip("0")
    return out + style.zone


def _gmtime(secs: int):
    d = _dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=secs)
    return (d.year, d.month, d.day, d.hour, d.minute, d.second)


def _format_value(v: float, code: str) -> str:
    if code == "f":
        return repr(float(v))
    n = int(round(v))
    return str(max(n, 0) if code == "u" else n)


# --------------------------------------------------------------------------------------------- reading

@dataclass
class _Row:
    line: int                 # first physical line (1-based)
    cells: list
    raw: str | None           # the original text (None for rows we make)


@dataclass
class _Block:
    annotations: list = field(default_factory=list)   # list[_Row] (#datatype, #group, #default)
    header: _Row | None = None
    rows: list = field(default_factory=list)          # list[_Row]
    trailer: list = field(default_factory=list)       # raw blank lines after the block
    out: list = field(default_factory=list)


_LINES = re.compile(r"[^\n]*\n|[^\n]+\Z")


def _read_records(text: str, path: str):
    """(first line number, cells or None for a blank line, raw text) per CSV record; a quoted field may
    span lines."""
    lines = _LINES.findall(text)
    reader = csv.reader(lines, strict=True)
    out = []
    prev = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise CsvFormatError(f"{path}:{prev + 1}: {exc}") from None
        start, prev = prev, reader.line_num
        raw = "".join(lines[start:prev])
        out.append((start + 1, cells if cells and raw.strip("\r\n") != "" else None, raw))
    return out


def _detect(records) -> str:
    first = next((r for r in records if r[1] is not None), None)
    if first is None:
        return "empty"
    cells = first[1]
    if cells and cells[0].startswith("#"):
        return "annotated"
    if "_time" in cells:
        return "v2"
    if len(cells) >= 2 and cells[0] == "name" and ("time" in cells[1:3]):
        return "v1"
    return "plain"


def _blocks(records, fmt: str, path: str) -> list[_Block]:
    """Group records into blocks: annotations (annotated CSV), header, rows; a blank line or a new
    annotation/header line ends a block."""
    blocks: list[_Block] = []
    cur = None
    for line, cells, raw in records:
        if cells is None:
            if cur is not None:
                cur.trailer.append(raw)
                cur = None
            elif blocks:
                blocks[-1].trailer.append(raw)
            else:
                blk = _Block()
                blk.trailer.append(raw)
                blocks.append(blk)
            continue
        row = _Row(line, cells, raw)
        if fmt == "annotated" and cells[0].startswith("#"):
            if cur is None or cur.header is not None:
                cur = _Block()
                blocks.append(cur)
            cur.annotations.append(row)
            continue
        if cur is None or cur.header is None:
            if cur is None:
                cur = _Block()
                blocks.append(cur)
            cur.header = row
            continue
        if fmt == "v1" and cells[:1] == ["name"] and "time" in cells[1:3]:
            cur = _Block(header=row)
            blocks.append(cur)
            continue
        if len(cells) != len(cur.header.cells):
            raise CsvFormatError(f"{path}:{line}: {len(cells)} columns, but the header (line {cur.header.line}) "
                                 f"has {len(cur.header.cells)}")
        cur.rows.append(row)
    return blocks


# --------------------------------------------------------------------------------------------- filtering

class _Run:
    def __init__(self, path, specs, tags, method, time_unit, fmt):
        self.path = path
        self.fmt = fmt
        self.filters = SeriesFilters(specs, tags, method)
        self.by_field = {}
        if fmt == "plain":
            for s in specs:
                if s.field in self.by_field:
                    raise CsvFormatError(f"--fields names the column {s.field!r} twice (plain CSVs have no "
                                         "measurement to tell them apart)")
                self.by_field[s.field] = s
        self.time_unit = time_unit
        self.report = CsvReport(format=fmt)
        self.last_line = {}       # sid -> line number of its last point
        self.context = {}         # sid -> (block, cells of its last row)
        self.anchor = {}          # sid -> (block, index in block.out where its held point goes)
        self.codes = {}           # sid -> 'f' | 'i' | 'u'
        self.styles = {}          # sid -> TimeStyle of its last time cell

    def spec(self, m: str, f: str):
        if self.fmt == "plain":
            return self.by_field.get(f)
        return self.filters.spec(m, f)

    def feed(self, sid, t_ns, value, line, code):
        try:
            out = self.filters.feed(sid[0], sid[1], sid[2], t_ns, value)
        except StaleTime:
            prev = self.last_line.get(sid)
            raise CsvFormatError(
                f"{self.path}:{line}: the time of {_sid_text(sid, self.fmt)} is not after its previous point"
                + (f" (line {prev})" if prev else "") + "; filters need increasing times per series") from None
        self.last_line[sid] = line
        self.codes[sid] = code
        self.report.points_in += 1
        self.report.points_out += len(out)
        return out


def _sid_text(sid, fmt: str) -> str:
    m, f, key = sid
    if fmt == "plain":
        m = ""  # plain CSVs have no measurement; --fields names one only for the syntax
    tags = ",".join(v for v in key if v)
    return " ".join(x for x in (m, f, tags) if x)


def _numeric(cell: str, code: str | None):
    """A value cell -> float, or None when it is empty or not a number a filter can take (NaN, text)."""
    if cell == "":
        return None
    try:
        v = float(cell)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _process_long(run: _Run, blk: _Block, defaults: dict, types: dict) -> None:
    """2.x long form: one value per row in _value, named by _measurement and _field."""
    hdr = blk.header.cells
    col = {name: i for i, name in enumerate(hdr)}
    it, iv = col["_time"], col["_value"]
    im, ifld = col.get("_measurement"), col.get("_field")
    tag_idx = [col.get(k) for k in run.filters.tag_keys]
    vcode = NUMERIC_TYPES.get(types.get("_value", ""), None) if types else None
    typed = bool(types)
    for row in blk.rows:
        cells = [c if c != "" else defaults.get(hdr[i], "") for i, c in enumerate(row.cells)]
        run.report.rows_in += 1
        m = cells[im] if im is not None else ""
        f = cells[ifld] if ifld is not None else ""
        spec = run.spec(m, f)
        if spec is None or (typed and vcode is None):
            blk.out.append(row)
            continue
        v = _numeric(cells[iv], vcode)
        if v is None:
            blk.out.append(row)
            continue
        try:
            t_ns, style = parse_time(cells[it], run.time_unit)
        except ValueError as exc:
            raise CsvFormatError(f"{run.path}:{row.line}: _time: {exc}") from None
        key = tuple(cells[i] if i is not None else "" for i in tag_idx)
        sid = (spec.measurement, spec.field, key)
        code = vcode or "f"
        prev_cells = run.context.get(sid, (blk, row.cells))[1]
        out = run.feed(sid, t_ns, v, row.line, code)
        for te, ve in out:
            if te == t_ns and ve == v:
                blk.out.append(row)
                continue
            # rows we add copy the original cells (empty where #default fills in), like their neighbours
            base = list(row.cells if te >= t_ns else prev_cells)
            base[it] = format_time(te, style)
            base[iv] = _format_value(ve, code)
            blk.out.append(_Row(row.line, base, None))
        run.context[sid] = (blk, row.cells)
        run.styles[sid] = style
        run.anchor[sid] = (blk, len(blk.out))


def _process_wide(run: _Run, blk: _Block, time_col: str, meas_col: str | None, context_cols: set,
                  defaults: dict, types: dict) -> None:
    """One column per field (1.x exports, pivoted 2.x tables, plain CSVs)."""
    hdr = blk.header.cells
    col = {name: i for i, name in enumerate(hdr)}
    it = col[time_col]
    im = col.get(meas_col) if meas_col else None
    itags = col.get("tags") if run.fmt == "v1" else None
    tag_idx = [col.get(k) for k in run.filters.tag_keys]
    fixed = {it} | ({im} if im is not None else set()) | ({itags} if itags is not None else set())
    fixed |= {i for i in tag_idx if i is not None} | {col[c] for c in context_cols if c in col}
    value_cols = [i for i in range(len(hdr)) if i not in fixed]
    for row in blk.rows:
        run.report.rows_in += 1
        cells = [c if c != "" else defaults.get(hdr[i], "") for i, c in enumerate(row.cells)]
        m = cells[im] if im is not None else ""
        targets = []
        for i in value_cols:
            spec = run.spec(m, hdr[i])
            if spec is None:
                continue
            code = NUMERIC_TYPES.get(types.get(hdr[i], ""), None) if types else None
            if types and code is None:
                continue
            v = _numeric(cells[i], code)
            if v is not None:
                targets.append((i, spec, v, code or "f"))
        if not targets:
            blk.out.append(row)
            continue
        try:
            t_ns, style = parse_time(cells[it], run.time_unit)
        except ValueError as exc:
            raise CsvFormatError(f"{run.path}:{row.line}: {time_col}: {exc}") from None
        tags = {}
        if itags is not None and cells[itags]:
            for item in _split_tags(cells[itags]):
                k, _, val = item.partition("=")
                tags[k] = val
        for k, i in zip(run.filters.tag_keys, tag_idx):
            if i is not None:
                tags[k] = cells[i]
        key = run.filters.key(tags)
        new_cells = list(row.cells)
        extra = []
        for i, spec, v, code in targets:
            sid = (spec.measurement, spec.field, key)
            prev_cells = run.context.get(sid, (blk, row.cells))[1]
            out = run.feed(sid, t_ns, v, row.line, code)
            new_cells[i] = ""
            for te, ve in out:
                if te == t_ns:
                    new_cells[i] = row.cells[i] if ve == v else _format_value(ve, code)
                    continue
                base = [""] * len(hdr)
                src = row.cells if te > t_ns else prev_cells
                for j in fixed:
                    base[j] = src[j]
                base[it] = format_time(te, style)
                base[i] = _format_value(ve, code)
                extra.append((te, _Row(row.line, base, None)))
            run.context[sid] = (blk, row.cells)
            run.styles[sid] = style
        extra.sort(key=lambda e: e[0])
        for te, r in extra:
            if te < t_ns:
                blk.out.append(r)
        filtered = {i for i, *_ in targets}
        keep = any(new_cells[i] != "" or (i not in filtered and hdr[i] in defaults) for i in value_cols)
        if keep:
            if new_cells == row.cells:
                blk.out.append(row)
            else:
                blk.out.append(_Row(row.line, new_cells, None))
        for te, r in extra:
            if te > t_ns:
                blk.out.append(r)
        for i, spec, v, code in targets:
            run.anchor[(spec.measurement, spec.field, key)] = (blk, len(blk.out))


def _split_tags(s: str):
    """The 1.x CLI's GROUP BY tag column, "host=a,region=eu". It does not escape commas in tag values
    ("host=a,x,region=eu" is host "a,x"), so a piece without "=" belongs to the value before it."""
    out = []
    for piece in s.split(","):
        if "=" in piece or not out:
            out.append(piece)
        else:
            out[-1] += "," + piece
    return out


def _flush(run: _Run) -> None:
    """--lastvalue: every series' held point, placed after the series' last row."""
    inserts: dict[int, list] = {}
    for sid, pts in run.filters.flush().items():
        blk, cells = run.context[sid]
        ablk, pos = run.anchor[sid]
        hdr = blk.header.cells
        col = {name: i for i, name in enumerate(hdr)}
        code = run.codes.get(sid, "f")
        style = run.styles[sid]
        for te, ve in pts:
            run.report.points_out += 1
            if "_value" in col and "_field" in col:
                base = list(cells)
                base[col["_time"]] = format_time(te, style)
                base[col["_value"]] = _format_value(ve, code)
            else:
                time_col = "_time" if "_time" in col else ("time" if "time" in col else hdr[0])
                fcol = col[sid[1]]
                keep = {col[c] for c in ("name", "tags", "_measurement", "result", "table", "_start", "_stop")
                        if c in col}
                keep |= {col[k] for k in run.filters.tag_keys if k in col}
                base = [cells[j] if j in keep else "" for j in range(len(hdr))]
                base[col[time_col]] = format_time(te, style)
                base[fcol] = _format_value(ve, code)
            items = inserts.setdefault(id(ablk), [])
            items.append((pos, len(items), _Row(0, base, None), ablk))
    for items in inserts.values():
        blk = items[0][3]
        # from the back, and among rows for one position the last first, so that each lands in order
        for pos, _, row, _ in sorted(items, key=lambda x: (-x[0], -x[1])):
            blk.out.insert(pos, row)


def _annotation_map(blk: _Block, name: str) -> dict:
    for a in blk.annotations:
        if a.cells[0] == name:
            # column 0 holds the annotation names, not data
            return {h: a.cells[i] for i, h in enumerate(blk.header.cells) if 0 < i < len(a.cells)}
    return {}


def filter_csv_text(text: str, specs: list[FieldSpec], tags=(), method: str = "sdt", lastvalue: bool = False,
                    time_unit: str | None = None, path: str = "<csv>") -> tuple[str, CsvReport]:
    """Filter the text of a CSV export; returns (output text, report). See the module docstring."""
    records = _read_records(text, path)
    fmt = _detect(records)
    if fmt == "empty":
        raise CsvFormatError(f"{path}: no CSV rows")
    if time_unit is None:
        time_unit = "ms" if fmt == "plain" else "ns"
    if time_unit not in UNITS:
        raise CsvFormatError(f"unknown time unit {time_unit!r} (use one of {', '.join(UNITS)})")
    if fmt == "plain" and records:
        first = next(r for r in records if r[1] is not None)
        header_like = any(_numeric(c, None) is None and not _looks_time(c) for c in first[1])
        if not header_like:
            n = len(first[1])
            names = ["time"] + (["value"] if n == 2 else [f"value{i}" for i in range(1, n)])
            records = [(0, names, None)] + records
    run = _Run(path, specs, tags, method, UNITS[time_unit], fmt)
    blocks = _blocks(records, fmt, path)
    eol = "\r\n" if "\r\n" in text[:4096] else "\n"
    for blk in blocks:
        if blk.header is None:
            if blk.annotations:
                raise CsvFormatError(f"{path}:{blk.annotations[-1].line}: annotation rows without a header row")
            continue
        hdr = blk.header.cells
        if len(set(hdr)) != len(hdr):
            dup = next(h for h in hdr if hdr.count(h) > 1)
            raise CsvFormatError(f"{path}:{blk.header.line}: column {dup!r} appears twice in the header")
        for a in blk.annotations:
            if a.cells[0] not in ("#datatype", "#group", "#default"):
                raise CsvFormatError(f"{path}:{a.line}: unknown annotation {a.cells[0]!r}")
            if len(a.cells) != len(hdr):
                raise CsvFormatError(f"{path}:{a.line}: {len(a.cells)} columns, but the header (line "
                                     f"{blk.header.line}) has {len(hdr)}")
        defaults = {k: v for k, v in _annotation_map(blk, "#default").items() if v}
        types = {k: v for k, v in _annotation_map(blk, "#datatype").items() if not k.startswith("#")}
        if fmt in ("annotated", "v2"):
            if "error" in hdr and "reference" in hdr and "_time" not in hdr:
                msg = blk.rows[0].cells[hdr.index("error")] if blk.rows else "(no message)"
                raise CsvFormatError(f"{path}:{blk.header.line}: the export holds an error table: {msg}")
            if "_time" not in hdr:
                raise CsvFormatError(f"{path}:{blk.header.line}: no _time column in the header")
            if "_value" in hdr:
                if "_field" not in hdr or "_measurement" not in hdr:
                    raise CsvFormatError(f"{path}:{blk.header.line}: a table with _value needs _field and "
                                         "_measurement columns to name its series")
                _process_long(run, blk, defaults, types)
            else:
                group = _annotation_map(blk, "#group")
                ctx = {"", "result", "table", "_start", "_stop", "_measurement"}
                ctx |= {k for k, v in group.items() if v == "true"}
                _process_wide(run, blk, "_time", "_measurement", ctx, defaults, types)
        elif fmt == "v1":
            _process_wide(run, blk, "time", "name", {"name", "tags"}, defaults, {})
        else:
            _process_wide(run, blk, hdr[0], None, set(), {}, {})
    if lastvalue:
        _flush(run)
    run.report.series = len(run.filters.series)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=eol)
    for blk in blocks:
        for a in blk.annotations:
            buf.write(a.raw)
        if blk.header is not None and blk.header.raw is not None:
            buf.write(blk.header.raw)
        elif blk.header is not None and fmt == "plain" and blk.header.line == 0:
            pass  # the file had no header: do not add one
        for r in blk.out:
            run.report.rows_out += 1
            if r.raw is not None:
                buf.write(r.raw if r.raw.endswith(("\n", "\r")) else r.raw + eol)
            else:
                writer.writerow(r.cells)
        for t in blk.trailer:
            buf.write(t)
    return buf.getvalue(), run.report


def _looks_time(c: str) -> bool:
    return bool(_ISO.match(c.strip()))


def filter_csv(infile: str, outfile: str, specs: list[FieldSpec], tags=(), method: str = "sdt",
               lastvalue: bool = False, time_unit: str | None = None) -> CsvReport:
    """Read ``infile``, filter, write ``outfile`` (only once everything succeeded)."""
    import os
    import tempfile

    with open(infile, encoding="utf-8-sig", newline="") as f:
        text = f.read()
    out, report = filter_csv_text(text, specs, tags, method, lastvalue, time_unit, path=infile)
    folder = os.path.dirname(os.path.abspath(outfile))
    fd, tmp = tempfile.mkstemp(prefix=".tsquash-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(out)
        os.replace(tmp, outfile)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return report

"""InfluxDB line protocol: parser and serialiser.

    >>> from tsquash.lineprotocol import parse_line
    >>> p = parse_line('cpu,host=a\\\\ b usage=0.5,n=3i,ok=T,msg="hi \\\\"x\\\\"" 1700000000000000000')
    >>> p.measurement, p.tags, p.fields["n"], p.time
    ('cpu', {'host': 'a b'}, 3, 1700000000000000000)
    >>> p.to_line()
    'cpu,host=a\\\\ b usage=0.5,n=3i,ok=true,msg="hi \\\\"x\\\\"" 1700000000000000000'

A line is ``measurement[,tag_key=tag_value...] field_key=field_value[,...] [timestamp]``. The rules follow what
InfluxDB's own parser (1.x and 2.x) accepts, so that a line this module calls valid is one the server stores:

- Measurement: a backslash before a comma or a space escapes it; every other backslash is literal. A line whose
  first non-blank character is ``#`` is a comment, so a measurement cannot start with ``#``.
- Tag keys, tag values, field keys: a backslash escapes a comma, an equals sign or a space. Duplicate tag keys are
  an error (the server refuses them); a repeated field key keeps the last value (as the server does).
- Field values: floats (``1``, ``-1.5``, ``.5``, ``1e-3``, ``2E+10``; NaN and infinities are not line protocol),
  integers with ``i`` (int64), unsigned with ``u`` (uint64), booleans (t, T, true, True, TRUE, f, F, false, False,
  FALSE) and double-quoted strings in which ``\\"`` is a quote and ``\\\\`` a backslash; a string may span lines.
- Timestamp: an optional signed int64 (its unit is the write's precision, nanoseconds by default).
- Blank lines and comment lines are skipped; a trailing carriage return is ignored.

Values come back as Python objects: float, int (``i``), :class:`Unsigned` (an int subclass, ``u``), bool and str.
Serialising writes floats with ``repr`` (shortest text that reads back to the same double), so
``parse_line(p.to_line()) == p`` for every point this module produces.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Iterator, Union

__all__ = [
    "LineError",
    "LineProtocolError",
    "ParsedLine",
    "Point",
    "Unsigned",
    "escape_key",
    "escape_measurement",
    "escape_tag_value",
    "format_field_value",
    "format_line",
    "iter_lines",
    "parse",
    "parse_line",
    "parse_lines",
]

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
UINT64_MAX = (1 << 64) - 1


class Unsigned(int):
    """An unsigned 64-bit field value (written with the ``u`` suffix)."""

    __slots__ = ()

    def __new__(cls, value=0):
        v = super().__new__(cls, value)
        if not 0 <= v <= UINT64_MAX:
            raise ValueError(f"unsigned field value {int(v)} is outside 0..2**64-1")
        return v

    def __repr__(self) -> str:
        return f"Unsigned({int(self)})"


FieldValue = Union[float, int, bool, str, Unsigned]


class LineProtocolError(ValueError):
    """A line that is not valid line protocol. ``lineno`` counts from 1 (physical lines of the whole body)."""

    def __init__(self, lineno: int, reason: str, line: str = ""):
        self.lineno = lineno
        self.reason = reason
        self.line = line
        super().__init__(f"line {lineno}: {reason}" + (f": {_clip(line)!r}" if line else ""))


@dataclass(frozen=True)
class LineError:
    """One malformed line found by :func:`parse_lines` (which carries on after it)."""

    lineno: int
    reason: str
    line: str

    def __str__(self) -> str:
        return f"line {self.lineno}: {self.reason}: {_clip(self.line)!r}"


def _clip(s: str, n: int = 120) -> str:
    return s if len(s) <= n else s[:n] + "..."


@dataclass
class Point:
    """One point: measurement, tags and fields (both insertion-ordered) and an optional integer timestamp."""

    measurement: str
    fields: dict = field(default_factory=dict)
    tags: dict = field(default_factory=dict)
    time: int | None = None

    def to_line(self) -> str:
        return format_line(self)


# ------------------------------------------------------------------------------------------- escaping

_MEAS_ESC = re.compile(r"([, ])")
_KEY_ESC = re.compile(r"([,= ])")
_STR_ESC = re.compile(r'(["\\])')
_MEAS_UNESC = re.compile(r"\\([, ])")
_KEY_UNESC = re.compile(r"\\([,= ])")
_STR_UNESC = re.compile(r'\\(["\\])')


def _check_name(s: str, what: str) -> None:
    if not isinstance(s, str):
        raise TypeError(f"{what} must be a str, not {type(s).__name__}")
    if not s:
        raise ValueError(f"{what} must not be empty")
    if "\n" in s:
        raise ValueError(f"{what} {s!r} contains a newline, which line protocol cannot carry")
    if s.endswith("\\"):
        # The separator after it would read as escaped: not representable.
        raise ValueError(f"{what} {s!r} ends with a backslash, which line protocol cannot carry")


def escape_measurement(name: str) -> str:
    _check_name(name, "measurement")
    if name.startswith("#"):
        raise ValueError(f"measurement {name!r} starts with '#': the line would read as a comment")
    if name.startswith(("\t", "\r")):
        # Readers skip both before a line (and "\r#..." would then read as a comment).
        raise ValueError(f"measurement {name!r} starts with a tab or carriage return, which readers skip as "
                         "leading whitespace")
    return _MEAS_ESC.sub(r"\\\1", name)


def escape_key(key: str, what: str = "key") -> str:
    """Escape a tag key or field key."""
    _check_name(key, what)
    return _KEY_ESC.sub(r"\\\1", key)


def escape_tag_value(value: str) -> str:
    return escape_key(value, "tag value")


def format_field_value(value) -> str:
    """The line-protocol text of one field value; the Python type picks the line-protocol type."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Unsigned):
        return f"{int(value)}u"
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise ValueError(f"integer field value {value} is outside int64")
        return f"{value}i"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"float field value {value!r} cannot be written in line protocol")
        return repr(value)
    if isinstance(value, str):
        return '"' + _STR_ESC.sub(r"\\\1", value) + '"'
    # numpy scalars and the like
    import numbers

    if isinstance(value, numbers.Integral):
        return format_field_value(int(value))
    if isinstance(value, numbers.Real):
        return format_field_value(float(value))
    raise TypeError(f"unsupported field value type {type(value).__name__}")


def format_line(point: Point) -> str:
    """Serialise a :class:`Point` (tags are written in their order; InfluxDB sorts them itself)."""
    if not point.fields:
        raise ValueError("a point needs at least one field")
    parts = [escape_measurement(point.measurement)]
    for k, v in point.tags.items():
        parts.append("," + escape_key(k, "tag key") + "=" + escape_tag_value(v))
    parts.append(" ")
    parts.append(",".join(escape_key(k, "field key") + "=" + format_field_value(v) for k, v in point.fields.items()))
    if point.time is not None:
        t = point.time
        if isinstance(t, bool) or not isinstance(t, int):
            import numbers

            if not isinstance(t, numbers.Integral):
                raise TypeError(f"timestamp must be an integer, not {type(t).__name__}")
            t = int(t)
        if not INT64_MIN <= t <= INT64_MAX:
            raise ValueError(f"timestamp {t} is outside int64")
        parts.append(f" {t}")
    return "".join(parts)


# ------------------------------------------------------------------------------------------- parsing

# A backslash followed by a separator escapes it; any other backslash is a literal character (InfluxDB's rule:
# "a separator preceded by a backslash is not a separator"). The lone-backslash branch uses a lookahead so the
# regex engine cannot backtrack into reading "\," as "\" + separator.
# Each pattern is written as "normal* (special normal*)*" so that every loop iteration must consume a
# backslash: no nested quantifier can split the same text two ways (no catastrophic backtracking).
_MEAS = r"(?=[^ ,\n])[^\\, \n]*(?:(?:\\[, ]|\\(?![, ]))[^\\, \n]*)*"
_KEY = r"(?=[^ ,=\n])[^\\,= \n]*(?:(?:\\[,= ]|\\(?![,= ]))[^\\,= \n]*)*"
_QUOTED = r'"[^"\\]*(?:\\[\s\S][^"\\]*)*"'
_BARE = r'[^ ,\n"=\\]+'
_FVAL = rf"(?:{_QUOTED}|{_BARE})"

_LINE = re.compile(
    rf"""
    [ \t]*
    (?P<series>(?P<m>{_MEAS})(?:,{_KEY}(?:=(?:{_KEY})?)?)*)
    [ ]+
    (?P<fields>{_KEY}={_FVAL}(?:,{_KEY}={_FVAL})*)
    (?:[ ]+(?P<ts>[^ \n\r]+))?
    [ \t\r]*(?:\n|\Z)
    """,
    re.VERBOSE,
)
# The fast path: the same grammar with every tag value present and every field value's syntax checked by
# the regex itself, so a line it matches needs no per-value work until a value is asked for. Lines it does
# not match go through _LINE and _parse_match, which say what is wrong.
# Digit counts are capped so that a value the fast path accepts cannot overflow its type (an integer of
# 18 digits, a float of at most 200 digits before the point and a two-digit exponent); longer ones take the
# slow path, which checks the range.
_FVAL_STRICT = (rf"(?:{_QUOTED}|-?\d{{1,18}}i|\d{{1,19}}u|-?(?:\d{{1,200}}(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{{1,2}})?"
                r"|t|T|true|True|TRUE|f|F|false|False|FALSE)(?=[ ,\r\n]|\Z)")
_LINE_STRICT = re.compile(
    rf"""
    [ \t]*
    (?P<series>(?P<m>{_MEAS})(?:,{_KEY}={_KEY})*)
    [ ]+
    (?P<fields>{_KEY}={_FVAL_STRICT}(?:,{_KEY}={_FVAL_STRICT})*)
    (?:[ ]+(?P<ts>-?\d{{1,19}}))?
    [ \t\r]*(?:\n|\Z)
    """,
    re.VERBOSE,
)
_TAG = re.compile(rf"({_KEY})(?:=({_KEY})?)?")
_FIELD = re.compile(rf"({_KEY})=({_FVAL})")
_TS = re.compile(r"-?\d+\Z")
_INT = re.compile(r"-?\d+i\Z")
_UINT = re.compile(r"\d+u\Z")
_FLOAT = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")
_TRUE = frozenset(("t", "T", "true", "True", "TRUE"))
_FALSE = frozenset(("f", "F", "false", "False", "FALSE"))
_SKIP = re.compile(r"[ \t\r]*(?:#[^\n]*)?(?:\n|\Z)")


def _field_value(raw: str):
    """Parse one field value; returns (value, None) or (None, reason)."""
    c = raw[0]
    if c == '"':
        return (_STR_UNESC.sub(r"\1", raw[1:-1]) if "\\" in raw else raw[1:-1]), None
    last = raw[-1]
    if last == "i":
        if _INT.match(raw):
            v = int(raw[:-1])
            if INT64_MIN <= v <= INT64_MAX:
                return v, None
            return None, f"integer {raw!r} is outside int64"
    elif last == "u":
        if _UINT.match(raw):
            v = int(raw[:-1])
            if v <= UINT64_MAX:
                return Unsigned(v), None
            return None, f"unsigned {raw!r} is outside uint64"
    elif raw in _TRUE:
        return True, None
    elif raw in _FALSE:
        return False, None
    elif _FLOAT.match(raw):
        v = float(raw)
        if math.isinf(v):
            return None, f"float {raw!r} is out of range"
        return v, None
    return None, f"invalid field value {raw!r}"


class ParsedLine:
    """A valid line with its position and raw text, so a consumer can forward it (or parts of it) verbatim.

    ``series`` is the raw ``measurement,tags`` text, ``raw_fields`` a list of (field key, raw ``key=value``
    text) in order (one per field, duplicates included) and ``raw_time`` the raw timestamp text or None.
    ``measurement`` and ``time`` are decoded; ``point`` (tags and field values too) is decoded on first use,
    and ``value(i)`` decodes the value of the i-th raw field alone. The line has been fully validated either
    way."""

    __slots__ = ("lineno", "raw", "series", "raw_fields", "raw_time", "measurement", "time", "_mlen", "_point")

    def __init__(self, lineno, raw, series, raw_fields, raw_time, measurement, time, mlen, point=None):
        self.lineno = lineno
        self.raw = raw
        self.series = series
        self.raw_fields = raw_fields
        self.raw_time = raw_time
        self.measurement = measurement
        self.time = time
        self._mlen = mlen
        self._point = point

    @property
    def point(self) -> Point:
        if self._point is None:
            fields = {}
            for i, (k, _) in enumerate(self.raw_fields):
                fields[k] = self.value(i)
            self._point = Point(self.measurement, fields, self.tags(), self.time)
        return self._point

    def tags(self) -> dict:
        if self._point is not None:
            return self._point.tags
        return _decode_tags(self.series, self._mlen)

    def value(self, i: int):
        """The value of the i-th raw field."""
        raw = self.raw_fields[i][1]
        j = raw.find("=")
        text = raw[j + 1:] if "\\" not in raw[:j] else _FIELD.match(raw).group(2)
        return _field_value(text)[0]

    def __repr__(self) -> str:
        return f"ParsedLine(lineno={self.lineno}, raw={self.raw!r})"


def _decode_tags(series: str, mlen: int) -> dict:
    tags = {}
    if len(series) > mlen:
        if "\\" not in series:
            for item in series[mlen + 1:].split(","):
                k, _, v = item.partition("=")
                tags[k] = v
        else:
            for tm in _TAG.finditer(series, mlen + 1):
                tags[_KEY_UNESC.sub(r"\1", tm.group(1))] = _KEY_UNESC.sub(r"\1", tm.group(2))
    return tags


def _fast(m: re.Match, lineno: int, text: str):
    """A line the strict grammar matched: build a lazy ParsedLine, or None when a check that needs the full
    parser remains (a timestamp outside int64, a possible duplicate tag key)."""
    fraw = m.group("fields")
    ts = m.group("ts")
    t = None
    if ts is not None:
        t = int(ts)
        if not INT64_MIN <= t <= INT64_MAX:
            return None
    series = m.group("series")
    mraw = m.group("m")
    mlen = len(mraw)
    if series.count(",", mlen + 1) >= 1:
        if "\\" in series:
            return None
        keys = [item.partition("=")[0] for item in series[mlen + 1:].split(",")]
        if len(set(keys)) != len(keys):
            return None
    if '"' in fraw or "\\" in fraw:
        raw_fields = []
        for fm in _FIELD.finditer(fraw):
            k = fm.group(1)
            raw_fields.append((_KEY_UNESC.sub(r"\1", k) if "\\" in k else k, fm.group(0)))
    else:
        raw_fields = [(item[:item.index("=")], item) for item in fraw.split(",")]
    measurement = _MEAS_UNESC.sub(r"\1", mraw) if "\\" in mraw else mraw
    raw = text[m.start():m.end()].strip(" \t\r\n")
    return ParsedLine(lineno, raw, series, raw_fields, ts, measurement, t, mlen)


def _diagnose(text: str) -> str:
    """Why a line does not match the grammar (only called for malformed lines, so it can be slow)."""
    s = text.strip(" \t\r")
    m = re.match(_MEAS, s)
    if not m:
        return "missing measurement"
    i = m.end()
    if i == len(s):
        return "missing fields"
    if s[i] == ",":
        while i < len(s) and s[i] == ",":
            k = re.match(_KEY, s[i + 1:])
            if not k:
                return "missing tag key"
            i += 1 + k.end()
            if i >= len(s) or s[i] != "=":
                return "missing tag value"
            v = re.match(_KEY, s[i + 1:])
            if not v:
                return "missing tag value"
            i += 1 + v.end()
            if i < len(s) and s[i] == "=":
                return "invalid tag format (unescaped '=' in a tag value)"
    if i >= len(s):
        return "missing fields"
    if s[i] != " ":
        return f"unexpected {s[i]!r} after the measurement and tags"
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return "missing fields"
    first = True
    while first or (i < len(s) and s[i] == ","):
        if not first:
            i += 1
        first = False
        k = re.match(_KEY, s[i:])
        if not k:
            return "missing field key"
        i += k.end()
        if i >= len(s) or s[i] != "=":
            return f"missing '=' after field key {s[i - k.end():i]!r}"
        i += 1
        if i >= len(s) or s[i] in " ,":
            return f"missing field value for {s[i - k.end() - 1:i - 1]!r}"
        if s[i] == '"':
            q = re.match(_QUOTED, s[i:])
            if not q:
                return "unterminated string field value"
            i += q.end()
        else:
            b = re.match(r"[^ ,]+", s[i:])
            raw = b.group(0)
            _, why = _field_value(raw)
            if why:
                return why
            i += b.end()
    if i < len(s) and s[i] != " ":
        return f"unexpected {s[i]!r} in the field set"
    rest = s[i:].strip(" ")
    if rest and not _TS.match(rest):
        return f"invalid timestamp {rest!r}"
    return "invalid line"


def _parse_match(m: re.Match, lineno: int, text: str):
    """Turn a grammar match into a ParsedLine, or return a reason string for a semantic error."""
    series = m.group("series")
    mraw = m.group("m")
    if mraw[0] == "#":
        return "comment"  # handled by the caller; cannot happen after _SKIP
    measurement = _MEAS_UNESC.sub(r"\1", mraw) if "\\" in mraw else mraw
    tags = {}
    if len(series) > len(mraw):
        if "\\" not in series:
            # common case, no escapes: plain splitting is several times faster than the token regex
            for item in series[len(mraw) + 1:].split(","):
                k, eq, v = item.partition("=")
                if not v:
                    return f"missing tag value for tag key {k!r}"
                if k in tags:
                    return f"duplicate tag key {k!r}"
                tags[k] = v
        else:
            for tm in _TAG.finditer(series, len(mraw) + 1):
                k, v = tm.group(1), tm.group(2)
                k = _KEY_UNESC.sub(r"\1", k)
                if v is None:
                    return f"missing tag value for tag key {k!r}"
                if "\\" in v:
                    v = _KEY_UNESC.sub(r"\1", v)
                if k in tags:
                    return f"duplicate tag key {k!r}"
                tags[k] = v
    fields = {}
    fraw = m.group("fields")
    if '"' not in fraw and "\\" not in fraw:
        raw_fields = []
        for item in fraw.split(","):
            k, _, raw = item.partition("=")
            v, why = _field_value(raw)
            if why:
                return f"{why} for field {k!r}"
            fields[k] = v
            raw_fields.append((k, item))
    else:
        raw_fields = []
        for fm in _FIELD.finditer(fraw):
            k, raw = fm.group(1), fm.group(2)
            if "\\" in k:
                k = _KEY_UNESC.sub(r"\1", k)
            v, why = _field_value(raw)
            if why:
                return f"{why} for field {k!r}"
            fields[k] = v
            raw_fields.append((k, fm.group(0)))
    ts = m.group("ts")
    t = None
    if ts is not None:
        if not _TS.match(ts):
            return f"invalid timestamp {ts!r}"
        t = int(ts)
        if not INT64_MIN <= t <= INT64_MAX:
            return f"timestamp {ts} is outside int64"
    raw = text[m.start():m.end()].strip(" \t\r\n")
    return ParsedLine(lineno, raw, series, raw_fields, ts, measurement, t, len(mraw),
                      Point(measurement, fields, tags, t))


def iter_lines(text: str | bytes, start_line: int = 1, *, fast: bool = True) -> Iterator[ParsedLine | LineError]:
    """Yield a :class:`ParsedLine` for each valid line and a :class:`LineError` for each malformed one, in order,
    skipping blank and comment lines. Bytes are decoded as UTF-8; a line with invalid UTF-8 is an error.

    ``fast=False`` decodes every value up front instead of on demand (same results; the tests compare)."""
    bad_utf8 = False
    if isinstance(text, (bytes, bytearray, memoryview)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            text = bytes(text).decode("utf-8", "surrogateescape")
            bad_utf8 = True
    pos = 0
    n = len(text)
    lineno = start_line
    match_line = _LINE.match
    match_strict = _LINE_STRICT.match
    skip = _SKIP.match
    while pos < n:
        s = skip(text, pos)
        if s is not None:  # a blank or comment line
            pos = s.end()
            lineno += 1
            continue
        m = match_strict(text, pos) if fast else None
        if m is not None:
            res = _fast(m, lineno, text)
            if res is not None and not bad_utf8:
                yield res
                end = m.end()
                lineno += text.count("\n", pos, end)
                pos = end
                continue
        m = match_line(text, pos)
        if m is not None:
            res = _parse_match(m, lineno, text)
            end = m.end()
            chunk = text[pos:end]
            if isinstance(res, ParsedLine):
                if bad_utf8 and _has_surrogate(chunk):
                    yield LineError(lineno, "invalid UTF-8", chunk.rstrip("\r\n").encode("utf-8",
                                    "surrogateescape").decode("utf-8", "replace"))
                else:
                    yield res
            else:
                yield LineError(lineno, res, chunk.rstrip("\n").rstrip("\r"))
            lineno += chunk.count("\n")
            pos = end
            continue
        nl = text.find("\n", pos)
        end = n if nl < 0 else nl + 1
        line = text[pos:end].rstrip("\n").rstrip("\r")
        reason = _diagnose(line)
        if bad_utf8 and _has_surrogate(line):
            line = line.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        yield LineError(lineno, reason, line)
        lineno += 1
        pos = end


def _has_surrogate(s: str) -> bool:
    return any("\udc80" <= c <= "\udcff" for c in s)


def parse_lines(text: str | bytes, start_line: int = 1) -> tuple[list[ParsedLine], list[LineError]]:
    """Parse a whole body, carrying on past malformed lines: (valid lines, errors)."""
    good, bad = [], []
    for item in iter_lines(text, start_line):
        (good if isinstance(item, ParsedLine) else bad).append(item)
    return good, bad


def parse(text: str | bytes) -> list[Point]:
    """Parse a whole body into points; the first malformed line raises :class:`LineProtocolError`."""
    out = []
    for item in iter_lines(text):
        if isinstance(item, LineError):
            raise LineProtocolError(item.lineno, item.reason, item.line)
        out.append(item.point)
    return out


def parse_line(line: str | bytes) -> Point:
    """Parse exactly one point (a string field may contain newlines; a comment or blank line is an error)."""
    items = list(iter_lines(line))
    if not items:
        raise LineProtocolError(1, "no point (blank or comment line)", line if isinstance(line, str) else "")
    if isinstance(items[0], LineError):
        raise LineProtocolError(items[0].lineno, items[0].reason, items[0].line)
    if len(items) > 1:
        raise LineProtocolError(items[1].lineno, "more than one point", getattr(items[1], "raw", "")
                                or getattr(items[1], "line", ""))
    return items[0].point

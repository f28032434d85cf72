"""The byte format of :class:`tsquash.CompressedData` and of saved models (docs/format.md, section 6, "Compressor files").

Both are a small envelope around a JSON header and named binary sections::

    magic (4) | version u8 | flags u8 | reserved u16 | header length u32 | header JSON | sections | crc32c u32

The checksum (CRC-32C, the core's) covers every byte before it, so any corruption is detected before a
single field is trusted; every structural problem raises :class:`tsquash.CorruptStreamError`.
"""
from __future__ import annotations

import json
import struct

from . import _core
from ._core import CorruptStreamError

DATA_MAGIC = b"TSQC"
MODEL_MAGIC = b"TSQM"
VERSION = 1
FLAG_NEEDS_MODEL = 1

_PREFIX = struct.Struct("<4sBBHI")
_MAX_HEADER = 64 * 1024 * 1024


def pack(magic: bytes, header: dict, sections: dict[str, bytes], *, flags: int = 0) -> bytes:
    """Envelope ``header`` (JSON-able) and ``sections`` (name -> bytes) with a checksum."""
    header = dict(header)
    header["sections"] = [[name, len(data)] for name, data in sections.items()]
    text = json.dumps(header, separators=(",", ":"), allow_nan=False).encode()
    body = b"".join([_PREFIX.pack(magic, VERSION, flags, 0, len(text)), text, *sections.values()])
    return body + struct.pack("<I", _core.crc32c(body))


def unpack(blob, magic: bytes, what: str) -> tuple[dict, dict[str, memoryview], int]:
    """(header, sections, flags) of an envelope made by :func:`pack`, after checking every length and the
    checksum. ``what`` names the kind of file in error messages."""
    try:
        view = memoryview(blob).cast("B")
    except TypeError:
        raise TypeError(f"{what}: expected bytes, got {type(blob).__name__}") from None
    if len(view) < _PREFIX.size + 4:
        raise CorruptStreamError(f"{what}: truncated ({len(view)} bytes, the envelope alone takes {_PREFIX.size + 4})")
    got_magic, version, flags, _reserved, hlen = _PREFIX.unpack_from(view)
    if got_magic != magic:
        raise CorruptStreamError(f"{what}: bad magic {bytes(got_magic)!r}, expected {magic!r}")
    if version != VERSION:
        raise CorruptStreamError(f"{what}: format version {version} is not supported (this tsquash reads {VERSION})")
    (crc,) = struct.unpack_from("<I", view, len(view) - 4)
    if _core.crc32c(view[:-4]) != crc:
        raise CorruptStreamError(f"{what}: checksum mismatch (the bytes are corrupted or truncated)")
    if hlen > min(_MAX_HEADER, len(view) - _PREFIX.size - 4):
        raise CorruptStreamError(f"{what}: header length {hlen} runs past the end of the data")
    try:
        header = json.loads(bytes(view[_PREFIX.size:_PREFIX.size + hlen]))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptStreamError(f"{what}: header is not valid JSON ({exc})") from None
    if not isinstance(header, dict) or not isinstance(header.get("sections"), list):
        raise CorruptStreamError(f"{what}: header lacks its section table")
    sections: dict[str, memoryview] = {}
    pos = _PREFIX.size + hlen
    end = len(view) - 4
    for entry in header["sections"]:
        if (not isinstance(entry, list) or len(entry) != 2 or not isinstance(entry[0], str)
                or not isinstance(entry[1], int) or entry[1] < 0 or entry[0] in sections):
            raise CorruptStreamError(f"{what}: malformed section table entry {entry!r}")
        if pos + entry[1] > end:
            raise CorruptStreamError(f"{what}: section {entry[0]!r} runs past the end of the data")
        sections[entry[0]] = view[pos:pos + entry[1]]
        pos += entry[1]
    if pos != end:
        raise CorruptStreamError(f"{what}: {end - pos} unexplained bytes after the last section")
    return header, sections, flags


def field(header: dict, key: str, types, what: str):
    """header[key], checked to be of ``types``; a CorruptStreamError naming the key otherwise."""
    if key not in header:
        raise CorruptStreamError(f"{what}: header field {key!r} is missing")
    value = header[key]
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in _as_tuple(types)):
        raise CorruptStreamError(f"{what}: header field {key!r} has the wrong type ({type(value).__name__})")
    return value


def _as_tuple(types):
    return types if isinstance(types, tuple) else (types,)

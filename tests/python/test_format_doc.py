"""docs/format.md against the library.

Two kinds of checks:

* the worked examples (hex dumps, header field tables, record-by-record bit and byte tables, the doctest
  snippet) must equal what tsquash writes today;
* a reader written in plain Python from the page alone (header, CRC32C, every codec's payload layout)
  must decode tsquash's streams bit for bit, and the header checks the page lists must each reject a
  stream that breaks them. If the page and the code drift apart, one of these fails.
"""
from __future__ import annotations

import doctest
import re
import struct
from pathlib import Path

import numpy as np
import pytest

import tsquash

DOC = Path(__file__).resolve().parents[2] / "docs" / "format.md"


# ---- CRC32C as the page defines it ---------------------------------------------------------------------

def _crc_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def test_crc32c_check_value():
    assert crc32c(b"123456789") == 0xE3069283


# ---- the page's examples -------------------------------------------------------------------------------

DTYPES = {"float64": np.float64, "float32": np.float32, "int64": np.int64}


def _doc_text() -> str:
    return DOC.read_text()


def _examples():
    """{name: (values, codec, params, hex dump bytes)} from `<!-- example: ... -->` markers."""
    found = {}
    pattern = re.compile(r"<!-- example: (\S+) (.*?) -->\n```text\n(.*?)```", re.S)
    for name, spec, dump in pattern.findall(_doc_text()):
        fields = dict(item.split("=", 1) for item in spec.split())
        dtype = DTYPES[fields.pop("dtype")]
        codec = fields.pop("codec")
        values = np.array([float(v) if dtype is not np.int64 else int(v) for v in fields.pop("values").split(",")],
                          dtype=dtype)
        params = {k: int(v) for k, v in fields.items()}
        data = bytearray()
        for line in dump.strip().splitlines():
            offset, *hexbytes = line.split()
            assert int(offset, 16) == len(data), f"{name}: dump offset {offset} does not follow the bytes before it"
            data += bytes.fromhex("".join(hexbytes))
        found[name] = (values, codec, params, bytes(data))
    return found


def _tables(kind: str):
    """{name: rows} for each table that follows an `<!-- example-<kind>: name -->` marker."""
    out = {}
    lines = _doc_text().splitlines()
    for i, line in enumerate(lines):
        m = re.fullmatch(rf"<!-- example-{kind}: (\S+) -->", line.strip())
        if not m:
            continue
        table = []
        for row in lines[i + 1:]:
            if not row.startswith("|"):
                break
            table.append([cell.strip() for cell in row.strip().strip("|").split("|")])
        header, rows = table[0], table[2:]
        out[m.group(1)] = [dict(zip(header, row)) for row in rows]
    return out


def _cell_code(cell: str) -> str:
    return "".join(re.findall(r"`([^`]*)`", cell)).replace(" ", "")


EXAMPLES = _examples()


def test_doc_has_examples():
    assert {"gorilla", "chimp", "chimp128", "tsxor", "fpc", "timestamps"} <= set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_dump_matches_library(name):
    values, codec, params, dump = EXAMPLES[name]
    blob = tsquash.encode(values, codec, **params)
    assert blob.hex(" ") == dump.hex(" ")
    assert np.array_equal(tsquash.decode(dump).view(np.uint8), values.view(np.uint8))


@pytest.mark.parametrize("name", sorted(_tables("header")))
def test_example_header_table(name):
    rows = _tables("header")[name]
    _, _, _, dump = EXAMPLES[name]
    header = bytes.fromhex("".join(_cell_code(r["bytes"]) for r in rows))
    assert header == dump[: len(header)]
    offsets = [int(r["offset"]) for r in rows]
    sizes = [len(bytes.fromhex(_cell_code(r["bytes"]))) for r in rows]
    assert offsets == [sum(sizes[:i]) for i in range(len(rows))]
    parsed = parse_header(dump)
    assert len(header) == parsed["header_size"]


@pytest.mark.parametrize("name", sorted(_tables("payload")))
def test_example_payload_table(name):
    rows = _tables("payload")[name]
    _, _, _, dump = EXAMPLES[name]
    payload = dump[parse_header(dump)["header_size"]:]
    if "bits" in rows[0]:
        bits = "".join(_cell_code(r["bits"]) for r in rows)
        assert set(bits) <= {"0", "1"} and len(bits) % 8 == 0, "padding must complete the last byte"
        assert int(bits, 2).to_bytes(len(bits) // 8, "big") == payload
    else:
        assert bytes.fromhex("".join(_cell_code(r["bytes"]) for r in rows)) == payload


def test_doctest_snippets():
    blocks = re.findall(r"```python\n(.*?)```", _doc_text(), re.S)
    test = doctest.DocTestParser().get_doctest("\n".join(blocks), {}, "format.md", str(DOC), 0)
    assert test.examples, "the page should show its example in Python"
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


# ---- an independent reader written from the page -------------------------------------------------------

CODEC_IDS = {"raw": 0, "gorilla": 1, "chimp": 2, "chimp128": 3, "tsxor": 4, "fpc": 5}
DTYPE_CODES = {1: "float64", 2: "float32", 3: "int64", 4: "int32", 5: "int16", 6: "int8", 7: "uint64",
               8: "uint32", 9: "uint16", 10: "uint8"}
WIDTHS = {"float64": 64, "float32": 32, "int64": 64, "int32": 32, "int16": 16, "int8": 8, "uint64": 64,
          "uint32": 32, "uint16": 16, "uint8": 8}
PARAM_NAMES = {"tsxor": ["window"], "fpc": ["table_log2"]}


def parse_header(blob: bytes) -> dict:
    magic, version, codec, dtype, nparams, count, psize = struct.unpack_from("<4sBBBBQQ", blob, 0)
    assert magic == b"TSQS" and version == 1
    params = blob[24:24 + nparams]
    pcrc, hcrc = struct.unpack_from("<II", blob, 24 + nparams)
    hsize = 32 + nparams
    payload = blob[hsize:]
    assert len(payload) == psize
    assert hcrc == crc32c(blob[: 28 + nparams])
    assert pcrc == crc32c(payload)
    name = {v: k for k, v in CODEC_IDS.items()}[codec]
    return {"codec": name, "dtype": DTYPE_CODES[dtype], "count": count, "header_size": hsize,
            "params": dict(zip(PARAM_NAMES.get(name, []), params)), "payload": payload}


class Bits:
    def __init__(self, data: bytes):
        self.value = int.from_bytes(data, "big")
        self.size = len(data) * 8
        self.pos = 0

    def read(self, n: int) -> int:
        if n == 0:
            return 0
        assert self.pos + n <= self.size, "read past the payload"
        self.pos += n
        return (self.value >> (self.size - self.pos)) & ((1 << n) - 1)

    def check_end(self):
        rest = self.size - self.pos
        assert rest < 8 and self.value & ((1 << rest) - 1) == 0


def read_gorilla(payload, n, width):
    r, out = Bits(payload), []
    prev = r.read(width)
    out.append(prev)
    lead = length = None
    for _ in range(n - 1):
        if r.read(1):
            if r.read(1):
                lead = r.read(5)
                length = r.read(6 if width == 64 else 5) or width
            prev ^= r.read(length) << (width - lead - length)
        out.append(prev)
    r.check_end()
    return out


def read_delta_of_delta(payload, n):
    buckets = {1: (7, -63), 2: (9, -255), 3: (12, -2047), 4: (32, -(2**31 - 1))}
    r = Bits(payload)
    t, delta, out = r.read(64), 0, []
    out.append(t)
    for _ in range(n - 1):
        ones = 0
        while ones < 5 and r.read(1):
            ones += 1
        if ones == 0:
            d = 0
        elif ones == 5:
            d = r.read(64)
        else:
            bits, low = buckets[ones]
            d = r.read(bits) + low
        delta = (delta + d) % 2**64
        t = (t + delta) % 2**64
        out.append(t)
    r.check_end()
    return out


LEAD_CLASSES = [0, 8, 12, 16, 18, 20, 22, 24]


def read_chimp(payload, n, width):
    sig_bits = 6 if width == 64 else 5
    r = Bits(payload)
    prev, stored, out = r.read(width), None, []
    out.append(prev)
    for _ in range(n - 1):
        flag = r.read(2)
        if flag == 0b00:
            stored = None
        elif flag == 0b01:
            lead, sig = LEAD_CLASSES[r.read(3)], r.read(sig_bits)
            prev ^= r.read(sig) << (width - lead - sig)
            stored = None
        elif flag == 0b10:
            prev ^= r.read(width - stored)
        else:
            stored = LEAD_CLASSES[r.read(3)]
            prev ^= r.read(width - stored)
        out.append(prev)
    r.check_end()
    return out


def read_chimp128(payload, n, width):
    sig_bits = 6 if width == 64 else 5
    r = Bits(payload)
    ring = [0] * 128
    x, stored, out = r.read(width), None, []
    ring[0] = x
    out.append(x)
    for i in range(1, n):
        prev = ring[(i - 1) % 128]
        flag = r.read(2)
        if flag == 0b00:
            x, stored = ring[r.read(7)], None
        elif flag == 0b01:
            slot, lead, sig = r.read(7), LEAD_CLASSES[r.read(3)], r.read(sig_bits)
            x = ring[slot] ^ (r.read(sig) << (width - lead - sig))
            stored = None
        elif flag == 0b10:
            x = prev ^ r.read(width - stored)
        else:
            stored = LEAD_CLASSES[r.read(3)]
            x = prev ^ r.read(width - stored)
        ring[i % 128] = x
        out.append(x)
    r.check_end()
    return out


def read_tsxor(payload, n, width, window):
    nb = width // 8
    x = int.from_bytes(payload[:nb], "big")
    pos, recent, out = nb, [x], [x]
    for _ in range(n - 1):
        b = payload[pos]
        pos += 1
        if b == 255:
            x = int.from_bytes(payload[pos:pos + nb], "big")
            pos += nb
        else:
            k = b & 127
            assert k < len(recent)
            x = recent[-1 - k]
            if b & 128:
                tz, length = payload[pos] >> 4, payload[pos] & 15
                assert 0 < length and tz + length <= nb
                x ^= int.from_bytes(payload[pos + 1:pos + 1 + length], "big") << (8 * tz)
                pos += 1 + length
        recent = (recent + [x])[-window:]
        out.append(x)
    assert pos == len(payload)
    return out


def read_fpc(payload, n, width, table_log2):
    mask, full = (1 << table_log2) - 1, (1 << width) - 1
    fsh, ftake, dsh, dtake = (6, 48, 2, 40) if width == 64 else (5, 24, 2, 20)
    stored_bytes = [8, 7, 6, 5, 3, 2, 1, 0] if width == 64 else [4, 3, 2, 1, 0]
    fcm, dfcm = [0] * (mask + 1), [0] * (mask + 1)
    fh = dh = last = 0
    pos, out = 0, []
    while len(out) < n:
        head = payload[pos]
        pos += 1
        for nibble in (head >> 4, head & 15):
            if len(out) == n:
                assert nibble == 0, "padding nibble"
                break
            nbytes = stored_bytes[nibble & 7]
            residual = int.from_bytes(payload[pos:pos + nbytes], "little")
            pos += nbytes
            guess = (dfcm[dh] + last) & full if nibble & 8 else fcm[fh]
            v = residual ^ guess
            stride = (v - last) & full
            fcm[fh] = v
            fh = ((fh << fsh) ^ (v >> ftake)) & mask
            dfcm[dh] = stride
            dh = ((dh << dsh) ^ (stride >> dtake)) & mask
            last = v
            out.append(v)
    assert pos == len(payload)
    return out


def read_stream(blob: bytes) -> list[int]:
    """Decode a stream to the values' bit patterns (unsigned ints) using only the page's rules."""
    h = parse_header(blob)
    n, payload, codec = h["count"], h["payload"], h["codec"]
    width = WIDTHS[h["dtype"]]
    if n == 0:
        assert payload == b""
        return []
    if codec == "raw":
        assert len(payload) == n * width // 8
        return [int.from_bytes(payload[i:i + width // 8], "little") for i in range(0, len(payload), width // 8)]
    if codec == "gorilla":
        if h["dtype"] in ("float64", "float32"):
            return read_gorilla(payload, n, width)
        # Integers are coded as int64; a narrower dtype's value is the low bits of its int64 (which a valid
        # stream keeps within the dtype's range).
        return [v & ((1 << width) - 1) for v in read_delta_of_delta(payload, n)]
    if codec == "chimp":
        return read_chimp(payload, n, width)
    if codec == "chimp128":
        return read_chimp128(payload, n, width)
    if codec == "tsxor":
        return read_tsxor(payload, n, width, h["params"]["window"])
    return read_fpc(payload, n, width, h["params"]["table_log2"])


def float_sample(dtype, seed: int) -> np.ndarray:
    """Shapes that reach every record kind: smooth decimals, repeats, values seen a while ago, random bit
    patterns (XORs with both end bits set), and the special values."""
    rng = np.random.default_rng(seed)
    ubits = np.uint64 if dtype == np.float64 else np.uint32
    walk = (20 + np.cumsum(rng.normal(scale=0.3, size=300))).round(2).astype(dtype)
    noise = rng.integers(0, np.iinfo(ubits).max, size=80, dtype=ubits, endpoint=True).view(dtype)
    fine = (rng.normal(size=60) * 1e-3).astype(dtype)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, np.finfo(dtype).max, np.finfo(dtype).tiny,
                         np.finfo(dtype).smallest_subnormal, -np.finfo(dtype).smallest_subnormal, 1.0], dtype=dtype)
    odd_nan = np.array([np.iinfo(ubits).max, np.iinfo(ubits).max >> 1], dtype=ubits).view(dtype)
    parts = [walk[:150], np.repeat(walk[150:160], 4), noise[:40], walk[:40], specials, odd_nan, fine,
             walk[150:], noise[40:], rng.permutation(walk)[:80], specials[::-1]]
    return np.concatenate(parts).astype(dtype)


def int_sample(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = 1_700_000_000_000_000_000
    regular = base + np.arange(200, dtype=np.int64) * 1_000_000_000
    jitter = regular[-1] + np.cumsum(1_000_000_000 + rng.integers(-3000, 3000, size=200))
    gaps = jitter[-1] + np.cumsum(rng.choice([1, 60, 3600, 86400], size=60) * 1_000_000_000)
    info = np.iinfo(np.int64)
    extremes = np.array([info.max, info.min, 0, -1, info.max, 5, info.min + 1], dtype=np.int64)
    rand = rng.integers(info.min, info.max, size=50, dtype=np.int64)
    return np.concatenate([regular, jitter, gaps, extremes, rand, np.full(20, 7, dtype=np.int64)])


CASES = [
    ("raw", {}), ("gorilla", {}), ("chimp", {}), ("chimp128", {}),
    ("tsxor", {}), ("tsxor", {"window": 1}), ("tsxor", {"window": 5}),
    ("fpc", {}), ("fpc", {"table_log2": 1}), ("fpc", {"table_log2": 6}),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("codec,params", CASES, ids=[f"{c}-{p}" if p else c for c, p in CASES])
def test_reference_reader_decodes_floats(codec, params, dtype):
    for seed, x in enumerate([float_sample(dtype, 1), float_sample(dtype, 2)[::-1].copy()]):
        for values in (x, x[:1], x[:2], x[:3], x[:0]):
            blob = tsquash.encode(values, codec, **params)
            expected = values.view(np.uint64 if dtype == np.float64 else np.uint32).tolist()
            assert read_stream(blob) == expected, f"{codec} {params} sample {seed}, {values.size} values"


@pytest.mark.parametrize("codec", ["raw", "gorilla"])
def test_reference_reader_decodes_int64(codec):
    for x in (int_sample(3), int_sample(4)[::-1].copy()):
        for values in (x, x[:1], x[:2], x[:0]):
            blob = tsquash.encode(values, codec)
            assert read_stream(blob) == values.view(np.uint64).tolist()


@pytest.mark.parametrize("codec", ["raw", "gorilla"])
@pytest.mark.parametrize("dtype", ["int32", "int16", "int8", "uint64", "uint32", "uint16", "uint8"])
def test_reference_reader_decodes_other_integers(codec, dtype):
    info = np.iinfo(dtype)
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.integers(info.min, info.max, size=200, dtype=dtype, endpoint=True),
                        np.array([info.max, info.min, 0, info.max, 1], dtype=dtype),
                        (np.arange(300) % min(int(info.max) + 1, 2**20)).astype(dtype)])
    for values in (x, x[:1], x[:2], x[:0]):
        blob = tsquash.encode(values, codec)
        assert read_stream(blob) == values.view(f"u{values.itemsize}").tolist()


# ---- the header checks the page lists ------------------------------------------------------------------

def _reseal(blob: bytearray) -> bytes:
    """Rewrite the header CRC32C after an edit, so a later check is the one that fires."""
    p = blob[7]
    blob[28 + p:32 + p] = struct.pack("<I", crc32c(bytes(blob[: 28 + p])))
    return bytes(blob)


def _good(codec="tsxor"):
    return bytearray(tsquash.encode(np.linspace(0.0, 1.0, 50), codec))


def _set(blob, offset, fmt, value, reseal=True):
    struct.pack_into(fmt, blob, offset, value)
    return _reseal(blob) if reseal else bytes(blob)


BROKEN = {
    "1 shorter than 32 bytes": lambda: bytes(_good()[:31]),
    "2 bad magic": lambda: _set(_good(), 0, "<4s", b"TSQX", reseal=False),
    "3 version 2": lambda: _set(_good(), 4, "<B", 2),
    "4 truncated inside the header": lambda: bytes(_set(_good(), 7, "<B", 200, reseal=False)[:100]),
    "5 header checksum": lambda: _set(_good(), 8, "<Q", 49, reseal=False),
    "6 unknown codec": lambda: _set(_good(), 5, "<B", 77),
    "6 unknown dtype": lambda: _set(_good(), 6, "<B", 9),
    "6 codec without that dtype": lambda: _set(_good(), 6, "<B", 3),
    "7 parameter out of range": lambda: _set(_good(), 24, "<B", 0),
    "7 wrong parameter count": lambda: _set(_good("gorilla"), 7, "<B", 1),
    "8 truncated payload": lambda: bytes(_good()[:-1]),
    "8 trailing bytes": lambda: bytes(_good() + b"\0"),
    "9 count the payload cannot hold": lambda: _set(_good(), 8, "<Q", 10**12),
    "payload checksum": lambda: bytes(_good()[:-1] + bytes([_good()[-1] ^ 1])),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_documented_checks_reject(case):
    blob = BROKEN[case]()
    with pytest.raises(tsquash.CorruptStreamError):
        tsquash.decode(blob)


def test_resealed_stream_still_decodes():
    # The CRC above is the page's; resealing an untouched stream must change nothing.
    blob = _good()
    assert _reseal(bytearray(blob)) == bytes(blob)
    assert np.array_equal(tsquash.decode(_reseal(bytearray(blob))), np.linspace(0.0, 1.0, 50))

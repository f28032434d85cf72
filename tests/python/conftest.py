"""Shared helpers for the tsquash Python tests.

Everything here is independent of tsquash's implementation: bit comparisons go through integer views, the
CRC32C is a plain table-driven version of the Castagnoli polynomial, and the edge-case inputs are built from
explicit bit patterns so that no arithmetic can quietly canonicalise a NaN.
"""
from __future__ import annotations

import functools
import os
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

REPO_ROOT = Path(__file__).resolve().parents[2]
# ../shared/datasets next to the checkout; TSQUASH_DATASETS points elsewhere (or at nothing, to check the skips).
DATASETS_DIR = Path(os.environ.get("TSQUASH_DATASETS", REPO_ROOT.parent / "shared" / "datasets"))
FIXTURES_DIR = REPO_ROOT / "tests" / "fixtures"

# The codec family of the first milestone, and which dtypes each one takes. Written out here rather than
# read from tsquash.available_codecs() so that a codec silently dropping a dtype makes tests fail.
FLOAT_CODECS = ("raw", "gorilla", "chimp", "chimp128", "tsxor", "fpc", "alp", "auto")
INT_CODECS = ("raw", "gorilla", "alp", "auto")
FLOAT_DTYPES = ("float64", "float32")
# Integers besides int64: coded as int64 by gorilla, alp and auto, at their own width by raw.
NARROW_INT_DTYPES = ("int32", "int16", "int8", "uint64", "uint32", "uint16", "uint8")
INT_DTYPES = ("int64",) + NARROW_INT_DTYPES
# The dtype codes of docs/format.md.
DTYPE_CODES = {"float64": 1, "float32": 2, "int64": 3, "int32": 4, "int16": 5, "int8": 6, "uint64": 7,
               "uint32": 8, "uint16": 9, "uint8": 10}
CODEC_DTYPES = ([(c, d) for c in FLOAT_CODECS for d in FLOAT_DTYPES]
                + [(c, d) for c in INT_CODECS for d in INT_DTYPES])

# A few settings of every parameter, ends of the ranges included. fpc's table_log2=24 allocates two
# 2**24-entry tables per encoder and decoder, so it is used sparingly (see test_roundtrip).
PARAM_CHOICES = {
    "raw": [{}],
    "gorilla": [{}],
    "chimp": [{}],
    "chimp128": [{}],
    "tsxor": [{"window": 1}, {"window": 2}, {"window": 7}, {"window": 127}],
    "fpc": [{"table_log2": 1}, {"table_log2": 5}, {"table_log2": 16}],
    "alp": [{}],
    "auto": [{}],
}

UINT = {np.dtype(np.float64): np.uint64, np.dtype(np.float32): np.uint32}
UINT.update({np.dtype(f"{k}{b}"): np.dtype(f"u{b}").type for k in "iu" for b in (1, 2, 4, 8)})

settings.register_profile(
    "tsquash",
    deadline=None,
    max_examples=int(os.environ.get("TSQ_HYPOTHESIS_EXAMPLES", "60")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("tsquash")


def bits(a) -> np.ndarray:
    """The unsigned-integer view of an array's elements (the bit patterns)."""
    a = np.asarray(a)
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))  # a byte swap, no arithmetic: NaN payloads survive
    return a.view(UINT[a.dtype])


def assert_bits_equal(actual, expected) -> None:
    """Fail unless both arrays have the same dtype, shape and element bit patterns (NaN payloads, -0.0)."""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.dtype == expected.dtype, f"dtype {actual.dtype} != {expected.dtype}"
    assert actual.shape == expected.shape, f"shape {actual.shape} != {expected.shape}"
    ab = bits(actual).astype(np.uint64)
    eb = bits(expected).astype(np.uint64)
    diff = np.flatnonzero(ab.reshape(-1) != eb.reshape(-1))
    if diff.size:
        i = int(diff[0])
        width = actual.dtype.itemsize * 2
        raise AssertionError(
            f"{diff.size} of {ab.size} values differ; first at index {i}: "
            f"got 0x{int(ab.reshape(-1)[i]):0{width}x} ({actual.reshape(-1)[i]!r}), "
            f"expected 0x{int(eb.reshape(-1)[i]):0{width}x} ({expected.reshape(-1)[i]!r})"
        )


def from_bits(patterns, dtype) -> np.ndarray:
    """Values of `dtype` with the given bit patterns (Python ints)."""
    dtype = np.dtype(dtype)
    return np.array([int(p) for p in patterns], dtype=UINT[dtype]).view(dtype)


def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli, reflected, init and final XOR 0xFFFFFFFF), as used by iSCSI and ext4."""
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def parse_header(blob: bytes) -> dict:
    """Read a stream header by the documented layout: magic, version, codec id, dtype code, parameter
    count, count (u64 LE), payload size (u64 LE), parameter bytes, payload CRC32C, header CRC32C."""
    nparams = blob[7]
    count, payload_size = struct.unpack_from("<QQ", blob, 8)
    params = bytes(blob[24:24 + nparams])
    payload_crc, header_crc = struct.unpack_from("<II", blob, 24 + nparams)
    return {
        "magic": bytes(blob[:4]), "version": blob[4], "codec_id": blob[5], "dtype_code": blob[6],
        "nparams": nparams, "count": count, "payload_size": payload_size, "params": params,
        "payload_crc": payload_crc, "header_crc": header_crc, "header_size": 32 + nparams,
    }


def build_stream(*, codec_id: int, dtype_code: int, count: int, params: bytes, payload: bytes,
                 version: int = 1, payload_size: int | None = None, magic: bytes = b"TSQS") -> bytes:
    """Assemble a stream with correct checksums around arbitrary fields, to reach the decoders with bytes
    the checksums do not reject."""
    size = len(payload) if payload_size is None else payload_size
    head = magic + bytes([version, codec_id, dtype_code, len(params)]) + struct.pack("<QQ", count, size) + params
    head += struct.pack("<I", crc32c(payload))
    head += struct.pack("<I", crc32c(head))
    return head + payload


def split_stream(blob: bytes) -> tuple[dict, bytes]:
    h = parse_header(blob)
    return h, bytes(blob[h["header_size"]:])


# ---- edge-case inputs -------------------------------------------------------------------------------------

F64_NANS = [0x7FF8000000000000, 0x7FF0000000000001, 0xFFF8000000000000, 0xFFF0000000000001,
            0x7FF8DEADBEEF0001, 0x7FFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0x7FF4000000000000]
F32_NANS = [0x7FC00000, 0x7F800001, 0xFFC00000, 0xFF800001, 0x7FC0BEEF, 0x7FFFFFFF, 0xFFFFFFFF, 0x7FA00000]
F64_SUBNORMALS = [0x0000000000000001, 0x000FFFFFFFFFFFFF, 0x8000000000000001, 0x800FFFFFFFFFFFFF,
                  0x0000000012345678, 0x0008000000000000, 0x0000000000000100]
F32_SUBNORMALS = [0x00000001, 0x007FFFFF, 0x80000001, 0x807FFFFF, 0x00012345, 0x00400000, 0x00000100]


def float_edge_cases(dtype) -> dict[str, np.ndarray]:
    """Named inputs that exercise every record kind of the XOR codecs, for float64 or float32."""
    dtype = np.dtype(dtype)
    w = dtype.itemsize * 8
    u = UINT[dtype]
    mask = (1 << w) - 1
    rng = np.random.default_rng(20240611 + w)
    nans = F64_NANS if w == 64 else F32_NANS
    subn = F64_SUBNORMALS if w == 64 else F32_SUBNORMALS
    info = np.finfo(dtype)
    f = lambda vals: np.array(vals, dtype=dtype)  # noqa: E731
    walk = np.cumsum(rng.normal(size=2000)).astype(dtype)
    base = int(f([1234.5678]).view(u)[0])
    cases = {
        "empty": f([]),
        "one": f([3.141592653589793]),
        "one_nan": from_bits([nans[1]], dtype),
        "two": f([1.0, -2.5]),
        "constant": np.full(300, 2.5, dtype=dtype),
        "constant_zero": np.zeros(257, dtype=dtype),
        "signed_zeros": f([0.0, -0.0, 0.0, -0.0, -0.0, 0.0, 1.0, -0.0, 0.0]),
        "nan_payloads": from_bits(nans + [int(f([1.5]).view(u)[0])] + nans[::-1] + nans, dtype),
        "nan_mixed": np.concatenate([walk[:50], from_bits(nans, dtype), walk[50:60], from_bits(nans[:3], dtype)]),
        "infinities": f([np.inf, -np.inf, np.inf, 1.0, -np.inf, 0.0, np.inf, np.nan, -np.inf]),
        "subnormals": from_bits(subn + subn[::-1] + [0, 1 << (w - 1)] + subn, dtype),
        "random_subnormals": from_bits(rng.integers(0, 1 << (23 if w == 32 else 52), size=300, dtype=np.uint64)
                                       | (rng.integers(0, 2, size=300, dtype=np.uint64) << np.uint64(w - 1)),
                                       dtype),
        "extremes": f([info.max, -info.max, info.tiny, -info.tiny, info.eps, info.max,
                       np.nextafter(info.max, 0, dtype=dtype), info.smallest_subnormal, -info.max, 0.0]),
        "random_bits": rng.integers(0, mask, size=1000, dtype=u, endpoint=True).view(dtype),
        "random_walk": walk,
        "rounded_decimals": np.round(np.cumsum(rng.normal(scale=0.3, size=2000)) + 20.0, 2).astype(dtype),
        "integers_as_floats": rng.integers(-1000, 1000, size=500).astype(dtype),
        # XORs with the top and the bottom bit set: a 64-bit (32-bit) meaningful window in Gorilla.
        "xor_both_ends": from_bits([base, base ^ (1 << (w - 1)) ^ 1] * 20 + [base ^ mask, base] * 10, dtype),
        # After a full-width window everything fits in it: '10' records carrying the whole width.
        "full_window_then_random": from_bits([base, base ^ (1 << (w - 1)) ^ 1]
                                             + [int(v) for v in rng.integers(0, mask, 200, dtype=u, endpoint=True)],
                                             dtype),
        # Many leading zeros in the XOR (Gorilla caps the count at 31) and single-bit changes everywhere.
        "single_bit_flips": from_bits([base ^ (1 << (k % w)) for k in range(3 * w)], dtype),
        "long_leading_zero_xors": from_bits([base ^ (k & 0xFF) for k in range(200)], dtype),
        # Repeats from further back than the Chimp128 ring / TSXor window reach, and from just inside it.
        "periodic_127": np.tile(walk[:127], 4),
        "periodic_128": np.tile(walk[:128], 4),
        "periodic_129": np.tile(walk[:129], 4),
        "periodic_300": np.tile(walk[:300], 3),
        # Residuals with 0..8 leading zero bytes (FPC's 4-zero-byte code) and odd counts (padding nibble).
        "leading_zero_bytes": from_bits([(0x0123456789ABCDEF & mask) >> (8 * k) for k in range(w // 8 + 1)] * 3,
                                        dtype),
        "odd_count": walk[:101],
        "sawtooth_decimals": (np.arange(999) % 37 * 0.25).astype(dtype),
    }
    for name, arr in cases.items():
        assert arr.dtype == dtype, name
    return cases


def _timestamps_from_dods(first: int, dods) -> np.ndarray:
    """int64 values whose delta-of-delta sequence (wrapping, delta before the first value 0) is `dods`."""
    t, delta, out = first & (2**64 - 1), 0, [first & (2**64 - 1)]
    for d in dods:
        delta = (delta + d) % 2**64
        t = (t + delta) % 2**64
        out.append(t)
    return np.array(out, dtype=np.uint64).view(np.int64)


def int_edge_cases() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(77)
    i64 = np.iinfo(np.int64)
    bucket_edges = [0, 1, -1, -63, 64, -64, 65, -255, 256, -256, 257, -2047, 2048, -2048, 2049,
                    -(2**31 - 1), 2**31, -(2**31), 2**31 + 1, 2**62, -(2**62), 2**63 - 1, -(2**63)]
    start = 1_700_000_000_000_000_000
    cases = {
        "empty": np.array([], dtype=np.int64),
        "one": np.array([start], dtype=np.int64),
        "constant": np.full(100, -5, dtype=np.int64),
        "regular_seconds": np.arange(start, start + 1000 * 10**9, 10**9, dtype=np.int64),
        "jittered_ms": (np.arange(2000, dtype=np.int64) * 1000 + rng.integers(-3, 4, 2000)) + start // 10**6,
        "extremes": np.array([i64.max, i64.min, 0, i64.max, -1, i64.min, i64.min, 1, i64.max], dtype=np.int64),
        "random": rng.integers(i64.min, i64.max, size=1000, dtype=np.int64, endpoint=True),
        "dod_bucket_edges": _timestamps_from_dods(start, bucket_edges + bucket_edges[::-1]),
        "dod_random_buckets": _timestamps_from_dods(
            -12345, [int(v) for v in rng.choice(bucket_edges, size=400)]),
        "negative_steps": np.arange(0, -5000, -7, dtype=np.int64),
    }
    return cases


def narrow_int_edge_cases(dtype) -> dict[str, np.ndarray]:
    """Named inputs for an integer dtype other than int64: its extremes (which widen to int64 values far
    apart, or for uint64 to negative ones), counters, walks and random values over the whole range."""
    dtype = np.dtype(dtype)
    info = np.iinfo(dtype)
    rng = np.random.default_rng(78 + dtype.itemsize + (dtype.kind == "u"))
    mid = (int(info.min) + int(info.max)) // 2
    walk = np.clip(np.cumsum(rng.integers(-3, 4, size=3000)) + mid, info.min, info.max)
    cases = {
        "empty": np.array([], dtype=dtype),
        "one": np.array([info.max], dtype=dtype),
        "constant": np.full(100, info.min, dtype=dtype),
        "extremes": np.array([info.max, info.min, 0, info.max, info.min, 1, info.max - 1, info.min + 1] * 5,
                             dtype=dtype),
        "counter": (np.arange(5000) % (int(info.max) + 1 if info.max < 2**20 else 2**20)).astype(dtype),
        "walk": walk.astype(dtype),
        "random": rng.integers(info.min, info.max, size=2000, dtype=dtype, endpoint=True),
        "wrapping": (np.arange(3000, dtype=np.uint64) * np.uint64(977)).astype(dtype),
    }
    return cases


@functools.lru_cache(maxsize=None)
def _edge_cases(dtype_name: str) -> dict[str, np.ndarray]:
    if dtype_name == "int64":
        cases = int_edge_cases()
    elif dtype_name in NARROW_INT_DTYPES:
        cases = narrow_int_edge_cases(dtype_name)
    else:
        cases = float_edge_cases(dtype_name)
    for arr in cases.values():
        arr.setflags(write=False)  # shared between tests; read-only input is also what pandas hands over
    return cases


def edge_cases(dtype) -> dict[str, np.ndarray]:
    """Named edge-case inputs for float64, float32 or an integer dtype (read-only arrays, built once)."""
    return dict(_edge_cases(np.dtype(dtype).name))


# ---- shared datasets --------------------------------------------------------------------------------------

def dataset_paths() -> list[Path]:
    return sorted(DATASETS_DIR.glob("*/*.f64"))


def dataset_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def load_series(path: Path) -> np.ndarray:
    return np.fromfile(path, dtype="<f8").astype(np.float64)


@pytest.fixture(scope="session")
def datasets() -> list[Path]:
    """The shared real-data series (little-endian float64 files); skips when ../shared/datasets is absent."""
    paths = dataset_paths()
    if not paths:
        pytest.skip(f"shared datasets not found under {DATASETS_DIR} (they live outside the repository)")
    return paths


@pytest.fixture(scope="session")
def dataset_arrays(datasets) -> dict[str, np.ndarray]:
    """Every shared series loaded once, by '<dataset>/<series>'."""
    return {dataset_id(p): load_series(p) for p in datasets}


# `make test` sets TSQUASH_NO_SKIPS=1: there every optional piece (LibTorch, the shared datasets, the peer
# libraries) is installed, so a skip would only hide a missing build part or dependency.
def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("TSQUASH_NO_SKIPS") != "1" or exitstatus != 0:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write("\n")
        for rep in skipped:
            reporter.write_line(f"not allowed under TSQUASH_NO_SKIPS: skipped {rep.nodeid}: {rep.longrepr}")
        session.exitstatus = 1


def damage_under_crc32(data, body: bytes, max_edits: int) -> bytes:
    """``body`` (bytes without their trailing zlib CRC-32) with 1..max_edits bit flips, cuts or insertions drawn
    from the hypothesis ``data`` strategy, resealed with a fresh CRC-32 so that the parser behind the checksum
    is what a decoder test exercises."""
    import zlib

    from hypothesis import strategies as st
    b = bytearray(body)
    for _ in range(data.draw(st.integers(1, max_edits))):
        kind = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        i = data.draw(st.integers(0, len(b) - 1))
        if kind == "flip":
            b[i] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "cut":
            del b[i:i + data.draw(st.integers(1, 16))]
        else:
            b[i:i] = data.draw(st.binary(min_size=1, max_size=16))
        if not b:
            b = bytearray(b"T")
    return bytes(b) + struct.pack("<I", zlib.crc32(bytes(b)))

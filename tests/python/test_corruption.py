"""Bad bytes raise tsquash.CorruptStreamError (a ValueError) and bad types raise TypeError: never a crash,
a hang, a bare RuntimeError or a silently wrong array."""
from __future__ import annotations

import numpy as np
import pytest

import tsquash
from conftest import (CODEC_DTYPES, DTYPE_CODES, NARROW_INT_DTYPES, assert_bits_equal, build_stream, crc32c,
                      edge_cases, parse_header, split_stream)

CorruptStreamError = tsquash.CorruptStreamError


def small_input(dtype) -> np.ndarray:
    cases = edge_cases(dtype)
    if dtype == "int64":
        return np.concatenate([cases["dod_bucket_edges"][:20], cases["extremes"], cases["jittered_ms"][:10]])
    if dtype in NARROW_INT_DTYPES:
        return np.concatenate([cases["extremes"][:8], cases["walk"][:20], cases["random"][:10]])
    return np.concatenate([cases["random_walk"][:12], cases["nan_payloads"][:6], cases["infinities"],
                           cases["subnormals"][:5], cases["signed_zeros"], cases["rounded_decimals"][:10],
                           cases["constant"][:4]])


def small_streams():
    out = []
    for codec, dtype in CODEC_DTYPES:
        params = {"tsxor": {"window": 5}, "fpc": {"table_log2": 4}}.get(codec, {})
        out.append((f"{codec}-{dtype}", codec, dtype, params))
    out.append(("tsxor-float64-default", "tsxor", "float64", {}))
    return out


STREAMS = small_streams()
STREAM_IDS = [s[0] for s in STREAMS]


@pytest.fixture(params=STREAMS, ids=STREAM_IDS)
def stream(request):
    _, codec, dtype, params = request.param
    x = small_input(dtype)
    blob = tsquash.encode(x, codec, **params)
    assert_bits_equal(tsquash.decode(blob), x)  # the pristine stream is fine
    return x, blob


def test_every_truncation_is_rejected(stream):
    x, blob = stream
    for k in range(len(blob)):
        with pytest.raises(CorruptStreamError):
            tsquash.decode(blob[:k])
        with pytest.raises(CorruptStreamError):
            tsquash.StreamDecoder(blob[:k])


def test_truncation_messages_say_what_is_wrong(stream):
    _, blob = stream
    with pytest.raises(CorruptStreamError, match="header"):
        tsquash.decode(blob[:10])
    with pytest.raises(CorruptStreamError, match="truncated"):
        tsquash.decode(blob[:-1])
    with pytest.raises(CorruptStreamError, match="truncated"):
        tsquash.info(blob[:-1])


def test_single_byte_corruption_is_detected(stream):
    # CRC32C detects every error confined to one byte (indeed any burst up to 32 bits), in the header
    # fields, in the checksums themselves and in the payload.
    _, blob = stream
    rng = np.random.default_rng(len(blob))
    positions = list(range(len(blob))) + list(rng.integers(0, len(blob), 300))
    for pos in positions:
        bad = bytearray(blob)
        bad[pos] ^= int(rng.integers(1, 256))
        with pytest.raises(CorruptStreamError):
            tsquash.decode(bytes(bad))


def test_short_bursts_are_detected(stream):
    _, blob = stream
    rng = np.random.default_rng(99)
    for _ in range(300):
        start = int(rng.integers(0, len(blob) - 3))
        bad = bytearray(blob)
        for i in range(4):
            bad[start + i] ^= int(rng.integers(0, 256))
        if bytes(bad) == blob:
            continue
        with pytest.raises(CorruptStreamError):
            tsquash.decode(bytes(bad))


def test_payload_corruption_behind_valid_checksums_never_crashes(stream):
    # Rebuild the checksums around a damaged payload so the codec's own decoder sees it. It may decode
    # something (most bit patterns are valid values) but must either return the declared number of values
    # or raise CorruptStreamError.
    x, blob = stream
    h, payload = split_stream(blob)
    rng = np.random.default_rng(1234)
    for _ in range(400):
        p = bytearray(payload)
        for _ in range(int(rng.integers(1, 4))):
            pos = int(rng.integers(0, len(p)))
            p[pos] ^= 1 << int(rng.integers(0, 8))
        bad = build_stream(codec_id=h["codec_id"], dtype_code=h["dtype_code"], count=h["count"],
                           params=h["params"], payload=bytes(p))
        try:
            y = tsquash.decode(bad)
        except CorruptStreamError:
            continue
        assert y.dtype == x.dtype and y.size == x.size


def test_truncated_payload_behind_valid_checksums_is_rejected(stream):
    # The encoder writes the fewest whole bytes that hold its records and the decoder parses the same
    # records from the same bits, so any shortened payload must run out.
    x, blob = stream
    h, payload = split_stream(blob)
    for k in range(len(payload)):
        bad = build_stream(codec_id=h["codec_id"], dtype_code=h["dtype_code"], count=h["count"],
                           params=h["params"], payload=payload[:k])
        with pytest.raises(CorruptStreamError):
            tsquash.decode(bad)


def test_extended_payload_behind_valid_checksums_is_rejected(stream):
    x, blob = stream
    h, payload = split_stream(blob)
    for extra in (b"\x00", b"\xff", b"\x00" * 9, bytes(range(40))):
        bad = build_stream(codec_id=h["codec_id"], dtype_code=h["dtype_code"], count=h["count"],
                           params=h["params"], payload=payload + extra)
        with pytest.raises(CorruptStreamError, match="left over|unexpected"):
            tsquash.decode(bad)


def test_wrong_count_behind_valid_checksums(stream):
    # A count that disagrees with the payload either fails, or (where spare zero padding bits happen to
    # parse as records) yields a prefix-consistent array: never values out of nowhere.
    x, blob = stream
    h, payload = split_stream(blob)
    for count in [0, 1, h["count"] - 1, h["count"] + 1, h["count"] + 2, h["count"] * 2, h["count"] * 1000,
                  2**32, 2**63, 2**64 - 1]:
        bad = build_stream(codec_id=h["codec_id"], dtype_code=h["dtype_code"], count=count,
                           params=h["params"], payload=payload)
        try:
            y = tsquash.decode(bad)
        except CorruptStreamError:
            continue
        assert y.size == count
        n = min(count, x.size)
        assert_bits_equal(y[:n], x[:n])
        assert count <= x.size + 8, "a huge count decoded without complaint"


def test_appended_bytes_are_rejected(stream):
    _, blob = stream
    for extra in (b"\x00", b"\x01", b"TSQS", blob):
        with pytest.raises(CorruptStreamError, match="unexpected bytes"):
            tsquash.decode(blob + extra)
        with pytest.raises(CorruptStreamError):
            tsquash.info(blob + extra)


def test_header_fields_behind_valid_checksums(stream):
    x, blob = stream
    h, payload = split_stream(blob)

    def rebuilt(**changes):
        fields = dict(codec_id=h["codec_id"], dtype_code=h["dtype_code"], count=h["count"],
                      params=h["params"], payload=payload)
        fields.update(changes)
        return build_stream(**fields)

    assert rebuilt() == blob  # the helper reproduces the layout exactly
    with pytest.raises(CorruptStreamError, match="version"):
        tsquash.decode(rebuilt(version=2))
    with pytest.raises(CorruptStreamError, match="version"):
        tsquash.decode(rebuilt(version=0))
    with pytest.raises(CorruptStreamError, match="magic"):
        tsquash.decode(rebuilt(magic=b"TSQX"))
    with pytest.raises(CorruptStreamError, match="codec"):
        tsquash.decode(rebuilt(codec_id=200))
    for code in (0, 11, 255):
        with pytest.raises(CorruptStreamError, match="dtype"):
            tsquash.decode(rebuilt(dtype_code=code))
    with pytest.raises(CorruptStreamError):
        tsquash.decode(rebuilt(params=h["params"] + b"\x01"))
    with pytest.raises(CorruptStreamError):
        tsquash.decode(rebuilt(payload_size=len(payload) + 1))
    with pytest.raises(CorruptStreamError):
        tsquash.decode(rebuilt(payload_size=2**64 - 1))


def test_parameters_out_of_range_in_bytes():
    x = small_input("float64")
    for codec, bad_values in (("tsxor", [0, 128, 255]), ("fpc", [0, 25, 255])):
        h, payload = split_stream(tsquash.encode(x, codec))
        for v in bad_values:
            bad = build_stream(codec_id=h["codec_id"], dtype_code=h["dtype_code"], count=h["count"],
                               params=bytes([v]), payload=payload)
            with pytest.raises(CorruptStreamError, match="range"):
                tsquash.decode(bad)
        with pytest.raises(CorruptStreamError):
            tsquash.decode(build_stream(codec_id=h["codec_id"], dtype_code=h["dtype_code"], count=h["count"],
                                        params=b"", payload=payload))


@pytest.mark.parametrize("codec", ["chimp", "chimp128", "tsxor", "fpc"])
def test_float_only_codec_claiming_int64_is_rejected(codec):
    h, payload = split_stream(tsquash.encode(small_input("float64"), codec))
    bad = build_stream(codec_id=h["codec_id"], dtype_code=3, count=h["count"], params=h["params"],
                       payload=payload)
    with pytest.raises(CorruptStreamError, match="int64"):
        tsquash.decode(bad)


def test_dtype_swapped_behind_valid_checksums():
    # A float64 payload relabelled float32 (and back) must not decode into the wrong number of values.
    for codec in ("raw", "gorilla", "chimp", "chimp128", "tsxor", "fpc"):
        for src, dst in (("float64", 2), ("float32", 1)):
            x = small_input(src)
            h, payload = split_stream(tsquash.encode(x, codec))
            bad = build_stream(codec_id=h["codec_id"], dtype_code=dst, count=h["count"], params=h["params"],
                               payload=payload)
            try:
                y = tsquash.decode(bad)
            except CorruptStreamError:
                continue
            assert y.size == x.size


def test_random_garbage_is_rejected():
    rng = np.random.default_rng(2024)
    for n in list(range(0, 64)) + list(rng.integers(64, 4096, 100)):
        garbage = rng.integers(0, 256, int(n), dtype=np.uint8).tobytes()
        with pytest.raises(CorruptStreamError):
            tsquash.decode(garbage)
        with pytest.raises(CorruptStreamError):
            tsquash.info(garbage)
    # Garbage behind a plausible start.
    for n in range(0, 80, 3):
        garbage = b"TSQS\x01" + rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        with pytest.raises(CorruptStreamError):
            tsquash.decode(garbage)


def test_empty_input_is_rejected_with_a_clear_message():
    for empty in (b"", bytearray(), memoryview(b"")):
        with pytest.raises(CorruptStreamError, match="not a tsquash stream"):
            tsquash.decode(empty)
        with pytest.raises(CorruptStreamError):
            tsquash.info(empty)
        with pytest.raises(CorruptStreamError):
            tsquash.StreamDecoder(empty)


def test_corrupt_stream_error_is_a_value_error():
    assert issubclass(CorruptStreamError, ValueError)
    with pytest.raises(ValueError):
        tsquash.decode(b"definitely not a stream, but long enough for a header")


@pytest.mark.parametrize("bad", ["TSQS", 12345, None, [1, 2, 3], 3.5, {"a": 1}, object()],
                         ids=["str", "int", "None", "list", "float", "dict", "object"])
def test_wrong_types_raise_type_error(bad):
    for fn in (tsquash.decode, tsquash.info, tsquash.StreamDecoder):
        with pytest.raises(TypeError, match="bytes-like"):
            fn(bad)


def test_type_error_names_the_type_given():
    with pytest.raises(TypeError, match="str"):
        tsquash.decode("abc")
    with pytest.raises(TypeError, match="NoneType"):
        tsquash.decode(None)


def test_valid_streams_in_other_buffer_types_decode():
    x = small_input("float64")
    blob = tsquash.encode(x, "chimp128")
    for buf in (bytearray(blob), memoryview(blob), np.frombuffer(blob, dtype=np.uint8)):
        assert_bits_equal(tsquash.decode(buf), x)
        assert tsquash.info(buf) == tsquash.info(blob)


def test_header_layout_matches_the_documented_one():
    for spec in tsquash.available_codecs():
        for dtype in spec["dtypes"]:
            src = small_input(dtype)
            blob = tsquash.encode(src, spec["name"])
            h = parse_header(blob)
            meta = tsquash.info(blob)
            assert h["magic"] == b"TSQS"
            assert h["version"] == meta["format_version"] == 1
            assert h["codec_id"] == spec["id"]
            assert h["dtype_code"] == DTYPE_CODES[dtype]
            assert h["count"] == meta["count"] == src.size
            assert h["payload_size"] == meta["payload_size"]
            assert h["payload_crc"] == meta["payload_crc32c"]
            assert h["header_size"] == meta["header_size"]
            assert list(h["params"]) == [meta["params"][p["name"]] for p in spec["params"]]
            # Both checksums are CRC-32C: of the payload, and of every header byte before the header CRC.
            assert h["payload_crc"] == crc32c(blob[h["header_size"]:])
            assert h["header_crc"] == crc32c(blob[:h["header_size"] - 4])

#!/usr/bin/env python3
"""Reads the compiled alp/auto code and TSXor's window scan and checks that their hot loops are vectorised, as
docs/codecs.md says.

    python3 tests/cpp/check_vectorised.py OBJECT...   # tsquash_core's object files (ctest passes them as one
                                                      # ;-separated list)

Each check names an object file (by the end of its path), a function (by a piece of its demangled name) and the packed instructions
it must contain: the AVX2 and AVX-512 clones work on ymm registers, and the decoder's decimal step multiplies two
doubles at a time (mulpd) even in the baseline x86-64 clone. A compiler or code change that turns one of
these loops back into scalar code fails here instead of only showing up as a slower benchmark. Optimised
builds only (the sanitizer build is -O0 and vectorises nothing).
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

# Instructions no function of the object may contain: the AVX-512 clones' target allows fused multiply-adds,
# which would round the decimal arithmetic differently from the other clones.
FORBIDDEN = [("alp/kernels.cpp.o", r"\bv?f(n)?m(add|sub)\w*(pd|ps|sd|ss)\b")]

# (object file, function name piece, instruction regex, minimum count)
CHECKS = [
    ("alp/kernels.cpp.o", "alp_encode_f64_avx2(", r"\bvmulpd\b.*%ymm", 4),
    ("alp/kernels.cpp.o", "alp_encode_f32_avx2(", r"\bvmulpd\b.*%ymm", 4),
    ("alp/kernels.cpp.o", "combo_range_f64_avx2(", r"\bvmulpd\b.*%ymm", 4),
    ("alp/kernels.cpp.o", "ranges3_avx2(", r"\bvpcmpgtq\b.*%ymm", 3),
    ("alp/kernels.cpp.o", "residuals_generic(", r"\bpsubq\b", 2),
    ("alp/kernels.cpp.o", "residuals_avx2(", r"\bvpsubq\b.*%ymm", 2),
    ("alp/kernels.cpp.o", "residuals_avx512(", r"\bvpsubq\b.*%ymm", 2),
    ("alp/kernels.cpp.o", "count_changes_f64_avx2(", r"\bvpcmpeqq\b.*%ymm", 1),
    ("alp/kernels.cpp.o", "count_changes_f32_avx2(", r"\bvpcmpeqd\b.*%ymm", 1),
    ("alp/kernels.cpp.o", "alp_encode_f64_avx512(", r"\bvmulpd\b.*%ymm", 4),
    ("alp/kernels.cpp.o", "ranges3_avx512(", r"\bvpminsq\b.*%ymm", 3),
    ("alp/kernels.cpp.o", "combo_range_f64_avx512(", r"\bvmulpd\b.*%ymm", 4),
    ("alp/kernels.cpp.o", "sig_encode_f64_avx2(", r"\bvdivpd\b.*%ymm", 2),
    ("alp/kernels.cpp.o", "sig_encode_f32_avx2(", r"\bvdivpd\b.*%ymm", 2),
    ("alp/kernels.cpp.o", "sig_encode_f64_avx512(", r"\bvdivpd\b.*%ymm", 2),
    ("alp/kernels.cpp.o", "lag_scores_avx2(", r"\bvsubps\b.*%ymm", 4),
    ("alp/kernels.cpp.o", "lag_scores_avx512(", r"\bvsubps\b.*%ymm", 4),
    ("alp/kernels.cpp.o", "last_pair_u32_avx2(", r"\bvpcmpeqd\b.*%ymm", 2),
    ("alp/kernels.cpp.o", "last_pair_u32_avx512(", r"\bvpcmpeqd\b.*%ymm", 2),
    ("alp/kernels.cpp.o", "last_pair_f64_avx2(", r"\bvpcmpeqq\b.*%ymm", 2),
    ("alp/kernels.cpp.o", "last_pair_f64_avx512(", r"\bvpcmpeqq\b.*%ymm", 2),
    ("alp/kernels.cpp.o", "dict_codes_f64_avx2(", r"\bvpcmpeqq\b.*%ymm", 2),
    ("alp/kernels.cpp.o", "dict_codes_f64_avx512(", r"\bvpcmpn?eqq\b.*%ymm", 2),
    ("codecs/tsxor_scan.cpp.o", "scan_avx512(unsigned long const*", r"\bvplzcntq\b.*%zmm", 2),
    ("codecs/tsxor_scan.cpp.o", "scan_avx512(unsigned int const*", r"\bvplzcntd\b.*%zmm", 2),
    ("alp/kernels.cpp.o", "alp_decode_f64_generic(", r"\bmulpd\b", 2),
    ("alp/kernels.cpp.o", "alp_decode_f64_avx2(", r"\bvmulpd\b.*%ymm", 2),
    ("alp/kernels.cpp.o", "alp_decode_f64_avx512(", r"\bvmulpd\b.*%ymm", 2),
]


def functions(obj: Path) -> dict[str, list[str]]:
    """Demangled function name -> its instruction lines (cold clones left out)."""
    text = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "-C", str(obj)], check=True,
                          capture_output=True, text=True).stdout
    out: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        head = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
        if head:
            current = None if "[clone .cold]" in head.group(1) else head.group(1)
            if current is not None:
                out[current] = []
        elif current is not None and line.strip():
            out[current].append(line)
    return out


def main(argv: list[str]) -> int:
    paths = [Path(p) for a in argv for p in a.split(";") if p]
    failures = []
    cache: dict[str, dict[str, list[str]]] = {}
    for obj_name, piece, pattern, least in CHECKS:
        matching = [p for p in paths if p.as_posix().endswith("/" + obj_name)]
        if len(matching) != 1:
            failures.append(f"{obj_name}: {len(matching)} of the objects given end so, expected one")
            continue
        funcs = cache.setdefault(obj_name, functions(matching[0]))
        bodies = [body for name, body in funcs.items() if piece in name]
        if not bodies:
            failures.append(f"{obj_name}: no function named like {piece!r}")
            continue
        found = sum(bool(re.search(pattern, ins)) for body in bodies for ins in body)
        verdict = "ok" if found >= least else "NOT VECTORISED"
        print(f"{piece:28s} {pattern:24s} {found:4d} (at least {least}) {verdict}")
        if found < least:
            failures.append(f"{piece}: {found} instructions matching {pattern}, expected at least {least}")
    for obj_name, pattern in FORBIDDEN:
        matching = [p for p in paths if p.as_posix().endswith("/" + obj_name)]
        funcs = cache.setdefault(obj_name, functions(matching[0])) if len(matching) == 1 else {}
        found = [f"{name}: {ins.strip()}" for name, body in funcs.items() for ins in body if re.search(pattern, ins)]
        print(f"{obj_name:28s} no {pattern:24s} {len(found):4d} {'ok' if not found else 'FOUND'}")
        failures += [f"{obj_name}: forbidden instruction in {hit}" for hit in found[:5]]
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

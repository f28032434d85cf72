#!/usr/bin/env bash
# A/B of the auto encoder's speed between two versions of the C++ sources, in one program.
#
#   benchmarks/ab/encode_ab.sh REV_A REV_B [REPS] FILE.f64...
#
# REV_A and REV_B are git revisions, or "work" for the working tree. Both versions' block codec sources are
# compiled into one program (their namespaces renamed), which alternates the two encoders call by call on
# each file and its rotations (see encode_ab_main.cpp). On a shared virtual machine whose speed moves by
# 20-30% within minutes, timings of two programs run one after the other differ by more than most
# changes do; alternating within one program, linked both ways round, keeps the difference between two
# identical versions within about 0.5% (geometric mean over a few files) and 3% on single files. The program runs held to CPU
# $AB_CPU (0 by default; the build is not). Files: little-endian float64, e.g. the <name>/<column>.f64 files
# of ../shared/datasets. AB_MODE=decode times the decoders instead, each on its own side's streams.
# AB_FLAGS_A / AB_FLAGS_B: extra compiler flags for one side (e.g. AB_FLAGS_B=-march=x86-64-v3).
# AB_FLUSH=MB: that many MiB written over before every call (each call's input then comes from memory, as
# between other work; the fastest of warm calls does not show what a change to memory traffic does).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
[ $# -ge 3 ] || { sed -n '2,14p' "$0"; exit 2; }
rev_a=$1 rev_b=$2; shift 2
reps=10
if [[ $1 =~ ^[0-9]+$ ]]; then reps=$1; shift; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export_tree() {  # $1 revision, $2 directory
    mkdir -p "$2"
    if [ "$1" = work ]; then cp -r "$repo/cpp" "$2/"; else git -C "$repo" archive "$1" cpp | tar -x -C "$2"; fi
}
CXX=${CXX:-g++}
for side in A B; do
    rev=$rev_a; [ $side = B ] && rev=$rev_b
    export_tree "$rev" "$work/$side"
    for src in "$work/$side"/cpp/src/codecs/alp/*.cpp "$work/$side/cpp/src/io/crc32c.cpp" "$here/encode_ab_lib.cpp"; do
        flags=${AB_FLAGS_A:-}; [ $side = B ] && flags=${AB_FLAGS_B:-}
        "$CXX" -std=c++20 -O3 -ffp-contract=off $flags -c -Dtsquash=tsq_$side -DAB_SIDE=$side \
            -I "$work/$side/cpp/include" -I "$work/$side/cpp/src" "$src" \
            -o "$work/$side/$(basename "$src" .cpp).o" &
    done
    wait
done
# Where the code lands moves a short series' speed by a per cent or two (two identical versions differed
# by 1.4% on ETTh1 in one program), and so does which side set its buffers up first: the program is linked
# twice, each side's code and buffers first once, and each line gives both runs' ratios and their
# geometric mean.
"$CXX" -O2 "$here/encode_ab_main.cpp" "$work"/A/*.o "$work"/B/*.o -lpthread -o "$work/encode_ab_1"
"$CXX" -O2 "$here/encode_ab_main.cpp" "$work"/B/*.o "$work"/A/*.o -lpthread -o "$work/encode_ab_2"
run() {
    if command -v taskset >/dev/null; then taskset -c "${AB_CPU:-0}" "$@"; else "$@"; fi
}
run "$work/encode_ab_1" "$reps" "$@" > "$work/out1"
AB_B_FIRST=1 run "$work/encode_ab_2" "$reps" "$@" > "$work/out2"
paste -d '\n' "$work/out1" "$work/out2" | awk '
    /^geometric/ { next }
    { line[NR % 2] = $0; for (i = 1; i <= NF; ++i) if ($i == "B/A") r[NR % 2] = $(i + 1) }
    NR % 2 == 0 {
        split(line[1], f, " ")
        g = sqrt(r[1] * r[0]); lg += log(g); n++
        printf "%-40s B/A %s (B first: %s)  mean %.3f  %s\n", f[1], r[1], r[0], g, (line[1] ~ /NOT EXACT/ || line[0] ~ /NOT EXACT/) ? "NOT EXACT" : (line[1] ~ /BYTES DIFFER/ || line[0] ~ /BYTES DIFFER/) ? "BYTES DIFFER" : "same bytes"
    }
    END { if (n) printf "geometric mean B/A %.3f over %d files\n", exp(lg / n), n }'

"""What the benchmark scripts record about the machine they ran on, and how they time a call.

Results files are named `<area>-<machine_name()>` so that runs on different machines sit side by side; every
script names the machine the same way, hence one definition here.
"""
from __future__ import annotations

import os
import platform
import re
import statistics
import time
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_features() -> str:
    """Family, model and clock of the first CPU, and its widest vector extension: the encoder's and decoder's
    speeds depend on them far more than the model name tells (the same "AMD EPYC" came as a Zen 3 at 2.4 GHz
    without AVX-512 and as a faster one with it, and `auto` encoded the decimal series about 1.65x as fast on the
    second)."""
    fields: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if not line.strip():
                break
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
    except OSError:
        return platform.machine()
    flags = set(fields.get("flags", "").split())
    vector = "AVX-512" if "avx512f" in flags else "AVX2, no AVX-512" if "avx2" in flags else "no AVX2"
    mhz = fields.get("cpu mhz", "")
    clock = f", {float(mhz):.0f} MHz" if mhz else ""
    return f"family {fields.get('cpu family', '?')} model {fields.get('model', '?')}{clock}, {vector}"


def os_tag() -> str:
    try:
        info = dict(
            line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line
        )
        return (info.get("ID", "linux") + info.get("VERSION_ID", "").split(".")[0]).replace('"', "")
    except OSError:
        return platform.system().lower()


def ncpu() -> int:
    """CPUs this process may run on (fewer than the machine has under a CPU mask)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def pinning() -> str:
    """Which CPUs this process is held to, where a CPU mask (taskset) holds it to fewer than the machine has,
    else "". On a shared virtual machine one vCPU can be much slower than the other (its host core busy with
    another tenant's work), so a run held to one says which."""
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except AttributeError:
        return ""
    if len(allowed) >= (os.cpu_count() or len(allowed)):
        return ""
    return f"held to CPU {', '.join(map(str, allowed))} of {os.cpu_count()}"


def machine_name() -> str:
    """Named by the machine's CPU count, not the CPUs a mask leaves this process: a run held to one CPU
    lands beside the others of the machine."""
    slug = re.sub(r"[^a-z0-9]+", "-", re.sub(r"\(r\)|\(tm\)|\bcpu\b|@.*", "", cpu_model().lower())).strip("-")
    return f"{os_tag()}-{os.cpu_count() or ncpu()}vcpu-{slug}"


def cpu_timed(fn, runs: int):
    """(median CPU seconds, last result) over `runs` calls after one warm-up call."""
    return _timed(fn, runs, time.process_time)


def wall_timed(fn, runs: int):
    """(median wall seconds, last result) over `runs` calls after one warm-up call."""
    return _timed(fn, runs, time.perf_counter)


def _timed(fn, runs: int, clock):
    result = fn()
    times = []
    for _ in range(runs):
        t0 = clock()
        result = fn()
        times.append(clock() - t0)
    return statistics.median(times), result

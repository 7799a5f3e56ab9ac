"""Small helpers shared by the benchmark scripts (not a benchmark itself: no ``bench_`` prefix).

Every benchmark measures its baseline in the same run, on the same disk, so the ratio it prints
means something on any machine; absolute figures are printed too, for the README.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def parser(description: str) -> argparse.ArgumentParser:
    """Every benchmark takes ``--quick`` (fewer samples) and ``--dir``; unknown flags are ignored
    because ``./run bench ARGS`` passes the same ARGS to every script."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="fewer samples, for a fast look")
    p.add_argument("--dir", help="scratch folder for databases (default: a new folder under build/bench)")
    return p


def parse(p: argparse.ArgumentParser) -> argparse.Namespace:
    args, unknown = p.parse_known_args()
    if unknown:
        print(f"({Path(sys.argv[0]).name}: ignoring {' '.join(unknown)})")
    return args


def scratch_dir(explicit: str | None, name: str) -> Path:
    """A folder on the project's disk, not /tmp: /tmp may be a RAM disk where fsync costs nothing."""
    if explicit:
        path = Path(explicit)
        path.mkdir(parents=True, exist_ok=True)
        return path
    base = REPO / "build" / "bench"
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=base))


def cleanup(folder: Path, explicit: str | None) -> None:
    """Remove a scratch folder this run made (one given with --dir is left for inspection)."""
    if not explicit:
        import shutil
        shutil.rmtree(folder, ignore_errors=True)


def filesystem_of(path: Path) -> str:
    """The mount type holding ``path`` (ext4, tmpfs, ...), read from /proc/mounts."""
    best, kind = "", "unknown"
    try:
        resolved = str(path.resolve())
        with open("/proc/mounts", encoding="utf-8") as mounts:
            for line in mounts:
                parts = line.split()
                if len(parts) >= 3 and resolved.startswith(parts[1]) and len(parts[1]) > len(best):
                    best, kind = parts[1], parts[2]
    except OSError:
        pass
    return kind


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p99 of 1,000 samples is the 990th smallest)."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), int(round(fraction * len(ordered) + 0.4999))))
    return ordered[rank - 1]


def summary_ms(samples_ns: list[int]) -> dict[str, float]:
    ms = [s / 1e6 for s in samples_ns]
    return {"p50": percentile(ms, 0.50), "p99": percentile(ms, 0.99), "mean": statistics.fmean(ms),
            "max": max(ms)}


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process in MB (VmRSS from /proc)."""
    with open(f"/proc/{pid or os.getpid()}/status", encoding="utf-8") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc status")


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU time of a process, from /proc/PID/stat."""
    with open(f"/proc/{pid or os.getpid()}/stat", encoding="utf-8") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def machine_line() -> str:
    return (f"{platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()} · "
            f"{platform.system()} {platform.release()}")


def verdict(ratio: float, target: float) -> str:
    return "within target" if ratio <= target else "ABOVE TARGET"

"""How busy other processes kept the machine while a benchmark ran (Linux /proc/stat; elsewhere 0).

On a shared machine a slow row often measured the other jobs: a figure near 0 says it did not.
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path


def busy_cpu_s() -> float:
    """CPU seconds the whole machine has spent busy since boot (0 where /proc/stat is missing)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    """CPU seconds of this process (all threads) and of its finished children."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


class OtherLoad:
    """`with OtherLoad() as load: ...`, then load.cpus: CPUs that other processes kept busy, on average."""

    cpus = 0.0

    def __enter__(self) -> OtherLoad:
        self._start = (time.perf_counter(), busy_cpu_s(), own_cpu_s())
        return self

    def __exit__(self, *exc: object) -> None:
        now = (time.perf_counter(), busy_cpu_s(), own_cpu_s())
        wall, busy, own = (b - a for a, b in zip(self._start, now, strict=True))
        self.cpus = max(0.0, busy - own) / wall if wall > 0 else 0.0

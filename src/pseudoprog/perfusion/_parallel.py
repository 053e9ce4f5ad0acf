"""Chunked, multi-threaded execution of voxel-wise work (internal).

NumPy releases the GIL inside its loops, so a small thread pool over chunks of voxels uses
every core. The matrix products of a chunk are small, and a multi-threaded BLAS would spend
more time synchronising its own threads than computing, so each worker asks OpenBLAS (when
that is the BLAS in use) to run single-threaded in that worker only
(``openblas_set_num_threads_local``, OpenBLAS ≥ 0.3.27). Nothing else in the process is
affected; where the call is unavailable the work is still correct, only slower.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache
from typing import TypeVar

__all__ = ["default_workers", "run_chunks", "single_threaded_blas"]

T = TypeVar("T")


@cache
def _local_thread_setters() -> tuple[Callable[[int], int], ...]:
    """``openblas_set_num_threads_local`` of every OpenBLAS loaded in this process."""
    paths: set[str] = set()
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            for line in maps:
                path = line.rsplit(maxsplit=1)[-1]
                if "openblas" in path.lower() and path.startswith("/"):
                    paths.add(path)
    except OSError:
        return ()
    setters: list[Callable[[int], int]] = []
    for path in sorted(paths):
        try:
            library = ctypes.CDLL(path)
            setter = library.openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        setter.argtypes = [ctypes.c_int]
        setter.restype = ctypes.c_int
        setters.append(setter)
    return tuple(setters)


_configured = threading.local()


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run OpenBLAS single-threaded in the calling thread for the duration of the block.

    Small matrix products and factorisations are much faster this way, above all on a busy
    machine; the previous setting of the thread is restored afterwards.
    """
    setters = _local_thread_setters()
    previous = [setter(1) for setter in setters]
    try:
        yield
    finally:
        for setter, value in zip(setters, previous, strict=True):
            setter(value)


def _single_threaded_blas() -> None:
    if getattr(_configured, "done", False):
        return
    for setter in _local_thread_setters():
        setter(1)
    _configured.done = True


def default_workers() -> int:
    """Worker threads used when none is asked for: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def run_chunks(
    work: Callable[[int, int], T],
    bounds: Sequence[tuple[int, int]],
    *,
    workers: int,
    progress: Callable[[int], None] | None = None,
) -> Iterator[T]:
    """Run ``work(start, stop)`` for every chunk and yield the results in order.

    ``progress`` is called with the number of items of each finished chunk.
    """
    if workers <= 1 or len(bounds) <= 1:
        for start, stop in bounds:
            result = work(start, stop)
            if progress is not None:
                progress(stop - start)
            yield result
        return

    def task(start: int, stop: int) -> T:
        _single_threaded_blas()
        return work(start, stop)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = []
        window = 2 * workers  # bounded look-ahead keeps memory bounded
        it = iter(bounds)
        for start, stop in it:
            pending.append((stop - start, pool.submit(task, start, stop)))
            if len(pending) >= window:
                break
        while pending:
            size, future = pending.pop(0)
            result = future.result()
            if progress is not None:
                progress(size)
            yield result
            for start, stop in it:
                pending.append((stop - start, pool.submit(task, start, stop)))
                break

"""One Dask client for a cluster on this machine or a scheduler already running elsewhere.

``--scheduler local`` starts a :class:`distributed.LocalCluster` of worker processes (one
thread each) for the duration of the command; ``--scheduler tcp://HOST:PORT`` joins the
scheduler of a cluster started with ``dask scheduler`` and ``dask worker`` (see the README,
"Scaling out"). Dask is imported here, only when a cluster is used.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pseudoprog.errors import ParameterError

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["CONNECT_TIMEOUT_S", "SchedulerAddress", "connect", "worker_count"]

#: Seconds to wait for a scheduler (and for a local cluster's workers) before giving up.
CONNECT_TIMEOUT_S = 60.0

_ADDRESS = re.compile(r"^(tcp|tls)://[^\s/:]+:\d{1,5}$")
_EXPECTED = (
    "'local' (a cluster of worker processes on this machine) or the address of a running "
    "scheduler, tcp://HOST:PORT (start one with 'dask scheduler' and workers with "
    "'dask worker tcp://HOST:PORT')"
)


@dataclass(frozen=True, slots=True)
class SchedulerAddress:
    """Where to run: ``local`` (``address`` is ``None``) or a scheduler's address."""

    address: str | None

    @property
    def is_local(self) -> bool:
        return self.address is None

    @classmethod
    def parse(cls, text: str) -> SchedulerAddress:
        """Read ``--scheduler``.

        Examples
        --------
        >>> SchedulerAddress.parse("local").is_local
        True
        >>> SchedulerAddress.parse("tcp://10.0.0.5:8786").address
        'tcp://10.0.0.5:8786'
        """
        value = text.strip()
        if value.lower() == "local":
            return cls(None)
        if not _ADDRESS.match(value):
            raise ParameterError(f"--scheduler {text!r} is not understood; expected {_EXPECTED}")
        return cls(value)

    def __str__(self) -> str:
        return "local" if self.address is None else self.address


def _local_workers(requested: int | None) -> int:
    if requested is not None:
        return requested
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def connect(
    scheduler: SchedulerAddress,
    *,
    local_workers: int | None = None,
    memory_limit: str = "auto",
    timeout_s: float = CONNECT_TIMEOUT_S,
) -> Iterator[Client]:
    """A client of the cluster, closed (and a local cluster stopped) on leaving the block.

    Parameters
    ----------
    scheduler
        ``local`` or a running scheduler's address.
    local_workers
        Worker processes of a local cluster (default: one per core); each has one thread.
    memory_limit
        Memory limit of each local worker (Dask's syntax, e.g. ``"4GB"``).
    timeout_s
        Seconds to wait for the scheduler and its workers.

    Raises
    ------
    ParameterError
        If the scheduler cannot be reached in ``timeout_s`` seconds, or has no
        worker.
    """
    from distributed import Client, LocalCluster

    if scheduler.address is None:
        workers = _local_workers(local_workers)
        # its HTTP server (health, metrics) moves to a free port when the default is taken
        warnings.filterwarnings(
            "ignore", message=r"Port \d+ is already in use", module="distributed"
        )
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            memory_limit=memory_limit,
            silence_logs=40,  # errors only
        )
        try:
            with Client(cluster, timeout=timeout_s) as client:  # type: ignore[no-untyped-call]
                client.wait_for_workers(workers, timeout=timeout_s)
                yield client
        finally:
            cluster.close()
        return
    try:
        client = Client(scheduler.address, timeout=timeout_s)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise ParameterError(
            f"cannot reach the Dask scheduler at {scheduler.address} ({exc}); start it "
            f"with 'dask scheduler --port PORT' and workers with 'dask worker "
            f"{scheduler.address}', or run on this machine with --scheduler local"
        ) from None
    with client:
        try:
            client.wait_for_workers(1, timeout=timeout_s)
        except TimeoutError:
            raise ParameterError(
                f"the Dask scheduler at {scheduler.address} has no worker after "
                f"{timeout_s:.0f} s; start workers with 'dask worker "
                f"{scheduler.address}'"
            ) from None
        yield client


def worker_count(client: Client) -> int:
    """Workers the scheduler knows now."""
    return max(1, len(client.scheduler_info(n_workers=-1)["workers"]))

"""Where the org scan's tasks run: local worker processes (default) or a Dask cluster.

A ``Runner`` takes a list of calls and yields each call's index with its result (or the
exception that prevented it) as calls finish, in any order. ``LocalRunner`` forks worker
processes that inherit the compiled matcher (nothing to start, no extra needed; ``jobs=1`` runs
in this process) and re-runs, on a new pool, the calls a dying worker process took with it.
``DaskRunner`` connects to a ``distributed`` scheduler and registers a worker plugin that
carries the pickled matcher to each worker once (workers that join later get it too); a task
on a worker that dies is re-run elsewhere by the scheduler.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from scanner.engine.pool import process_pool
from scanner.errors import UserError
from scanner.extractors import Limits
from scanner.matcher import Matcher
from scanner.org import tasks

if TYPE_CHECKING:
    import concurrent.futures as cf

Call = tuple[Callable[..., Any], tuple[Any, ...]]
PLUGIN_NAME = "keyguard-scanner"
CONNECT_TIMEOUT = "15s"
RESTARTS = 2
"""How often a local run replaces a pool whose worker process died before giving up."""


class Runner(Protocol):
    name: str

    def run(self, calls: Sequence[Call]) -> Iterator[tuple[int, Any]]:
        """(index, result or exception) per call, as each finishes."""
        ...

    def close(self) -> None: ...


class LocalRunner:
    """Forked worker processes (``jobs`` of them; all cores by default)."""

    name = "local"

    def __init__(self, matcher: Matcher, limits: Limits, jobs: int = 0) -> None:
        self.jobs = jobs or os.cpu_count() or 1
        self._matcher = matcher
        self._limits = limits
        self._pool: cf.ProcessPoolExecutor | None = None
        self.restarts = 0

    def run(self, calls: Sequence[Call]) -> Iterator[tuple[int, Any]]:
        """Each call once. A worker process that dies (killed, out of memory) breaks the pool:
        the calls that had not finished run again on a new pool, up to ``RESTARTS`` times."""
        if self.jobs <= 1 or len(calls) <= 1:
            yield from self._inline(calls)
            return
        import concurrent.futures as cf
        from concurrent.futures.process import BrokenProcessPool

        pending = list(range(len(calls)))
        for attempt in range(RESTARTS + 1):
            pool = self._start()
            futures = {pool.submit(calls[i][0], *calls[i][1]): i for i in pending}
            lost: list[int] = []
            for future in cf.as_completed(futures):
                error = future.exception()
                if isinstance(error, BrokenProcessPool) and attempt < RESTARTS:
                    lost.append(futures[future])
                    continue
                yield futures[future], error if error is not None else future.result()
            if not lost:
                return
            self.close()  # the broken pool; the next attempt starts a new one
            self.restarts += 1
            pending = sorted(lost)

    def _inline(self, calls: Sequence[Call]) -> Iterator[tuple[int, Any]]:
        """The calls in this process (one job, or a single call: no pool to start)."""
        for index, (fn, args) in enumerate(calls):
            tasks.install(self._matcher, self._limits)
            try:
                result: Any = fn(*args)
            except Exception as exc:  # reported per call, like a remote failure
                result = exc
            finally:
                tasks.uninstall()
            yield index, result

    def _start(self) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            self._pool = process_pool(self.jobs, tasks.install, (self._matcher, self._limits))
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


class DaskRunner:
    """Tasks on a Dask ``distributed`` cluster at ``address`` (``tcp://host:port``)."""

    name = "dask"

    def __init__(self, address: str, matcher: Matcher, limits: Limits) -> None:
        try:
            import distributed
        except ImportError:
            raise UserError(
                "--cluster needs Dask distributed: pip install 'keyguard[dask]'"
            ) from None
        from scanner.org.daskplugin import ScannerPlugin

        _probe(address)
        dist: Any = distributed  # untyped: everything from it is Any here
        self._distributed = dist
        try:
            self.client: Any = dist.Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise UserError(f"cannot connect to the Dask scheduler at {address} ({exc})") from None
        try:
            self.client.register_plugin(
                ScannerPlugin(tasks.payload(matcher, limits)), name=PLUGIN_NAME
            )
        except BaseException:
            self.client.close()
            raise

    def run(self, calls: Sequence[Call]) -> Iterator[tuple[int, Any]]:
        futures = {
            self.client.submit(fn, *args, pure=False): i for i, (fn, args) in enumerate(calls)
        }
        for future in self._distributed.as_completed(list(futures), loop=self.client.loop):
            index = futures.pop(future)
            exc = future.exception() if future.status == "error" else None
            if exc is None and future.status == "cancelled":
                exc = RuntimeError("task cancelled by the scheduler")
            yield index, exc if exc is not None else future.result()
            future.release()

    def workers(self) -> int:
        info = self.client.scheduler_info()
        return len(info.get("workers", {}))

    def close(self) -> None:
        self.client.close()


def _probe(address: str) -> None:
    """Fail at once (not after the client's connect timeout) when nothing listens at a
    ``tcp://host:port`` address."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme != "tcp" or not parts.hostname or parts.port is None:
        return
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=5.0):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UserError(f"cannot connect to the Dask scheduler at {address} ({reason})") from None

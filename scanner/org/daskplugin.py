"""The Dask worker plugin that installs keyguard's scanner on each worker, once.

Imported only when ``--cluster`` is used (it needs ``distributed``): the plugin object carries
the pickled ``(matcher, limits)``; the scheduler hands it to every worker, including workers
that join after registration, and ``setup`` installs it in the worker process.
"""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from scanner.org import tasks


class ScannerPlugin(WorkerPlugin):
    idempotent = False

    def __init__(self, payload: bytes) -> None:
        self.payload = payload

    def setup(self, worker: Any) -> None:
        tasks.install_payload(self.payload)

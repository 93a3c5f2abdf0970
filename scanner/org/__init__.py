"""``keyguard org``: organisation-wide scanning, locally or on a Dask cluster (docs/org.md).

``manifest`` (which repositories), ``repos`` (clone / fetch / open on a worker), ``tasks``
(list, scan a batch, attribute: what workers run), ``plan`` (batches sized by bytes, stats),
``runners`` (local processes or Dask), ``state`` (SQLite: incremental and resumable),
``attribute`` (findings at every path and commit), ``scan`` (the run), ``command`` (the
command's entry point).
"""

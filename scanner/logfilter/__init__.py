"""``keyguard filter``: pass a log stream through with every secret redacted.

Modules, one job each:

- ``options``: formats, options, streams, counters, the signal-driven ``Control``
- ``sources``: byte sources (a descriptor, a followed file)
- ``framing``: a byte stream cut into blocks of whole records (``LineFramer``)
- ``records``: text lines and Fluentd ``tsv`` (block scanning, per-line fallback, windows)
- ``structured``: JSON lines and rsyslog ``mmexternal`` replies
- ``fluentd``: Fluentd ``msgpack`` framing (the optional ``msgpack`` package)
- ``jsonwalk``: parsed records (``Pairs``, ``RawNumber``), redacted string by string
- ``redactor``: matcher-backed finding and replacing, a block of lines as one chunk
- ``keyed``: secrets recognised by their key (DSN ``password=``, JSON ``"password": ...``)
- ``spans`` / ``styles``: findings to spans, spans to replacements (``--redact`` styles)
- ``findings``: the ``--findings`` side channel and the rotation hook
- ``pump``: read -> frame -> redact -> write, counters, stop handling
- ``service``: wiring for the CLI (``filter_stream``, ``build_framer``, ``build_redactor``)

Every record in gives exactly one record out, in order; a record that cannot be processed is
replaced by a marker and counted (fail closed), never written unredacted.
"""

from __future__ import annotations

from scanner.logfilter.options import (
    MARKER,
    TOO_LONG,
    Control,
    Counters,
    FilterOptions,
    Format,
    Interrupted,
    RsyslogInput,
    Streams,
)

__all__ = [
    "MARKER",
    "TOO_LONG",
    "Control",
    "Counters",
    "FilterOptions",
    "Format",
    "Interrupted",
    "RsyslogInput",
    "Streams",
]

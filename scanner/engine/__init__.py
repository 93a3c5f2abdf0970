"""The one scan engine that every source runs through.

Data flows one way::

    Source.items()  ->  Blob | Chunk | SourceProblem
        -> BlobPool (batches, worker processes, content-key dedupe)
            -> scan_blob (extractors -> chunks -> Matcher -> findings)
        -> results.finish (dedupe, suppressions, sort, stats) -> ScanResult
        -> tail.conclude (warnings, rotation, report, exit code)

``context.ScanContext`` is built once from the command's settings (config, rules, matcher,
limits, suppressions) and handed down; nothing here prints or exits.
"""

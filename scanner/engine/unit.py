"""The unit of work: every finding in one blob and in everything it contains."""

from __future__ import annotations

from collections.abc import Sequence

from scanner.blob import Blob
from scanner.chunking import WINDOW
from scanner.engine.results import BlobResult
from scanner.extractors import Budget, Extractor, Limits, expand
from scanner.matcher import Matcher
from scanner.models import Chunk, SourceProblem
from scanner.ruleclock import RuleClock
from scanner.safeio import read_up_to


def scan_blob(
    blob: Blob,
    matcher: Matcher,
    limits: Limits,
    extractors: Sequence[Extractor] | None = None,
) -> BlobResult:
    """Expand ``blob`` (archives, notebooks, models...) and match every chunk; never raises."""
    result = BlobResult(bytes=blob.size)
    budget = Budget.for_limits(limits)
    clock = RuleClock(limits.max_rule_seconds)
    try:
        for item in expand(_read_small(blob), budget, extractors):
            if isinstance(item, SourceProblem):
                result.problem(item)
                continue
            result.chunks += 1
            result.findings.extend(matcher.scan(item, result.problems, clock))
    except OSError as exc:
        result.problems.append(
            SourceProblem(blob.origin.display, f"cannot read ({exc.strerror or exc}); skipped")
        )
        result.skipped += 1
    except MemoryError:
        result.problems.append(SourceProblem(blob.origin.display, "out of memory; skipped"))
        result.skipped += 1
    except Exception as exc:  # a bug or an input no extractor anticipated: never stop the scan
        result.problems.append(
            SourceProblem(
                blob.origin.display,
                f"internal error while scanning ({type(exc).__name__}); skipped",
            )
        )
        result.skipped += 1
    return result


SMALL_FILE = WINDOW
"""Files up to this size (one chunk's worth) are read into memory at once: ``expand`` reads a
file's head to choose an extractor and then the whole file, two opens and reads for what is one
here, and decodes text it holds in one call rather than through a stream."""


def _read_small(blob: Blob) -> Blob:
    if blob.data is not None or blob.path is None or blob.size > SMALL_FILE:
        return blob
    # a regular file only, as ``Blob.open``: a path swapped for a FIFO or device is not opened
    data = read_up_to(blob.path, SMALL_FILE, follow_symlinks=True)
    if len(data) > SMALL_FILE:
        return blob  # it grew since the walk: read as a stream, as any large file
    return blob.with_data(data)


def scan_chunk(chunk: Chunk, matcher: Matcher) -> BlobResult:
    """Text a source already holds (an image's config, a build step): matched as it is."""
    result = BlobResult(bytes=len(chunk.text), chunks=1)
    result.findings.extend(matcher.scan(chunk, result.problems))
    return result

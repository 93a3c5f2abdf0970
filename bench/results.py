"""Writing a benchmark's figures into bench/RESULTS.md (imported from beside the scripts)."""

from __future__ import annotations

from pathlib import Path


def append_section(path: Path, section: str, text: str) -> None:
    """Add ``text`` at the end of the ``## section`` part of RESULTS.md (made when missing)."""
    body = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    heading = f"\n## {section}\n"
    at = body.find(heading)
    if at < 0:
        body = body.rstrip("\n") + f"\n\n## {section}\n\n{text}"
    else:
        nxt = body.find("\n## ", at + len(heading))
        if nxt < 0:
            body = body.rstrip("\n") + "\n\n" + text
        else:
            body = body[:nxt].rstrip("\n") + "\n\n" + text + "\n" + body[nxt:]
    path.write_text(body, encoding="utf-8")

"""Benchmark for ``keyguard filter``: throughput on generated application logs.

Generates about 1 M lines of realistic logs (access logs, app logging, JSON-ish key=value lines,
stack traces) where 0.1 % of the lines hold a synthetic secret, then measures:

- the in-process API (``build_framer`` fed 1 MiB blocks), lines/s and MB/s;
- the CLI (``python -m scanner filter < corpus > out``), wall time including start-up;
- a naive Python loop running every rule's regex on every line, on a sample of lines,
  extrapolated to the whole corpus (it is far too slow to run on all of them);

and checks that every planted secret is gone from the output and that the line count is kept.
Results are appended to ``bench/RESULTS.md`` under a "filter" heading.

    python bench/logs.py [--lines 1000000] [--naive-sample 5000] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import random
import string
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scanner.commands.common import Settings  # noqa: E402
from scanner.commands.filter import (  # noqa: E402
    Counters,
    FilterOptions,
    build_framer,
    build_redactor,
)
from scanner.filters import is_placeholder  # noqa: E402

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
PATHS = ["/api/v1/users", "/api/v1/orders", "/healthz", "/static/app.js", "/login", "/metrics"]
LEVELS = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"]
LOGGERS = ["app.http", "app.db", "worker.queue", "auth.session", "billing.invoice"]


def _b62(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(B62) for _ in range(n))


def _github(rng: random.Random) -> str:
    body = "Fake" + _b62(rng, 26)
    crc = zlib.crc32(body.encode())
    tail = ""
    while crc:
        crc, r = divmod(crc, 62)
        tail = B62[r] + tail
    return "ghp_" + body + tail.rjust(6, "0")


def _aws(rng: random.Random) -> str:
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def _openai(rng: random.Random) -> str:
    return "sk-" + _b62(rng, 20) + "T3BlbkFJ" + _b62(rng, 20)


def _slack(rng: random.Random) -> str:
    return f"xoxb-{rng.randrange(10**10, 10**11)}-{rng.randrange(10**10, 10**11)}-{_b62(rng, 24)}"


TOKENS = [_github, _aws, _openai, _slack]
SECRET_LINES = [
    "{ts} ERROR app.http request failed: Authorization: token {secret}",
    "{ts} DEBUG app.config loaded settings api_key={secret} region=eu-west-1",
    '{ts} INFO worker.queue {{"event": "retry", "credential": "{secret}", "attempt": 3}}',
    "{ts} WARN auth.session using fallback token {secret} for user 1042",
]


def _ts(i: int) -> str:
    sec = 1_700_000_000 + i // 50
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{i % 1000:03d}Z"


def _clean_line(rng: random.Random, i: int) -> str:
    kind = rng.random()
    ts = _ts(i)
    if kind < 0.35:
        ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
        return (
            f'{ip} - - [{ts}] "GET {rng.choice(PATHS)}?page={rng.randrange(50)} HTTP/1.1" '
            f'{rng.choice([200, 200, 200, 304, 404, 500])} {rng.randrange(100, 90000)} "-" '
            f'"Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0"'
        )
    if kind < 0.7:
        return (
            f"{ts} {rng.choice(LEVELS)} {rng.choice(LOGGERS)} request_id={_b62(rng, 12)} "
            f"user_id={rng.randrange(100000)} duration_ms={rng.randrange(1, 2000)} status=ok"
        )
    if kind < 0.9:
        return (
            f'{{"ts": "{ts}", "level": "info", "msg": "order processed", '
            f'"order_id": {rng.randrange(10**6)}, "items": {rng.randrange(1, 9)}, '
            f'"trace": "{_b62(rng, 16)}"}}'
        )
    return f"    at com.example.service.Handler.process(Handler.java:{rng.randrange(1, 900)})"


def generate(lines: int, rate: float = 0.001, seed: int = 7) -> tuple[bytes, list[tuple[int, str]]]:
    """The corpus, and (line index, secret) for every planted secret."""
    rng = random.Random(seed)
    out: list[str] = []
    planted: list[tuple[int, str]] = []
    every = int(1 / rate)
    for i in range(lines):
        if i % every == every // 2:
            secret = TOKENS[len(planted) % len(TOKENS)](rng)
            while is_placeholder(secret):  # e.g. a random run of 4 equal digits: not a "secret"
                secret = TOKENS[len(planted) % len(TOKENS)](rng)
            template = SECRET_LINES[len(planted) % len(SECRET_LINES)]
            out.append(template.format(ts=_ts(i), secret=secret))
            planted.append((i, secret))
        else:
            out.append(_clean_line(rng, i))
    return ("\n".join(out) + "\n").encode(), planted


def check(output: bytes, corpus: bytes, planted: list[tuple[int, str]]) -> list[str]:
    problems: list[str] = []
    out_lines = output.split(b"\n")
    got, want = output.count(b"\n"), corpus.count(b"\n")
    if got != want:
        problems.append(f"line count {got} != {want}")
        return problems
    for index, secret in planted:
        line = out_lines[index]
        if secret.encode() in line or b"[REDACTED:" not in line:
            problems.append(f"line {index + 1}: planted secret not redacted")
    return problems


def bench_api(corpus: bytes, settings: Settings) -> tuple[float, float, bytes, Counters]:
    """(wall seconds, CPU seconds, output, counters) of the filter fed 1 MiB blocks."""
    options = FilterOptions()
    redactor = build_redactor(settings, options)
    counters = Counters()
    framer = build_framer(redactor, options, counters, lambda items: None)
    block = options.block_size
    out: list[bytes] = []
    start, cpu = time.perf_counter(), time.process_time()
    for pos in range(0, len(corpus), block):
        out.append(framer.feed(corpus[pos : pos + block]))
    out.append(framer.feed(b"", final=True))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return wall, cpu, b"".join(out), counters


def bench_format(corpus: bytes, settings: Settings, fmt: str, records: int) -> float:
    """Records per CPU-second for ``fmt`` over the first ``records`` lines, wrapped as that
    format frames them (JSON lines / msgpack maps with a ``message`` key, bare lines)."""
    import json

    from scanner import msgpack

    lines = corpus.decode().split("\n")[:records]
    if fmt in ("json", "fluentd-json"):
        data = "".join(json.dumps({"time": 1, "message": line}) + "\n" for line in lines).encode()
    elif fmt == "fluentd-msgpack":
        data = b"".join(
            msgpack.encode(msgpack.Pairs([("time", msgpack.event_time(1)), ("message", line)]))
            for line in lines
        )
    else:
        data = "".join(line + "\n" for line in lines).encode()
    options = FilterOptions(fmt=fmt)
    redactor = build_redactor(settings, options)
    framer = build_framer(redactor, options, Counters(), lambda items: None)
    cpu = time.process_time()
    for pos in range(0, len(data), options.block_size):
        framer.feed(data[pos : pos + options.block_size])
    framer.feed(b"", final=True)
    return records / (time.process_time() - cpu)


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_cli(corpus: bytes, extra: list[str]) -> tuple[float, float, float, bytes]:
    """(wall seconds, start-up seconds on empty input, CPU seconds of the filter, output)."""
    cmd = [sys.executable, "-m", "scanner", "filter", "--quiet", *extra]
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.log"
        dst = Path(tmp) / "out.log"
        src.write_bytes(corpus)
        start = time.perf_counter()
        subprocess.run(cmd, input=b"", check=True, cwd=ROOT, capture_output=True)
        startup = time.perf_counter() - start
        cpu = _children_cpu()
        start = time.perf_counter()
        with open(src, "rb") as fin, open(dst, "wb") as fout:
            subprocess.run(cmd, stdin=fin, stdout=fout, check=True, cwd=ROOT)
        total = time.perf_counter() - start
        cpu = _children_cpu() - cpu
        return total, startup, cpu, dst.read_bytes()


def bench_naive(corpus: bytes, settings: Settings, sample: int) -> tuple[float, int]:
    """Seconds per line of: for every line, for every rule, ``rule.regex.finditer(line)``."""
    from scanner.commands.common import build_ruleset, resolve_config

    ruleset = build_ruleset(settings, resolve_config(settings))
    lines = corpus.decode().split("\n")[:sample]
    hits = 0
    start = time.perf_counter()
    for line in lines:
        for rule in ruleset:
            for _ in rule.regex.finditer(line):
                hits += 1
    return (time.perf_counter() - start) / len(lines), hits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--naive-sample", type=int, default=5000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    settings = Settings(ignore_inline_allow=True, decode_depth=0)

    corpus, planted = generate(args.lines)
    mb = len(corpus) / 1e6
    report: list[str] = []
    say = report.append
    say(f"corpus: {args.lines:,} lines, {mb:.1f} MB, {len(planted)} planted secrets")

    secs, cpu, output, counters = bench_api(corpus, settings)
    problems = check(output, corpus, planted)
    say(
        f"in-process API (lines format, decode depth 0 = fastest): "
        f"{args.lines / cpu:,.0f} lines/s and "
        f"{mb / cpu:,.1f} MB/s per CPU-second ({args.lines / secs:,.0f} lines/s wall clock, "
        f"{os.getloadavg()[0]:.1f} load average), {counters.redactions} redactions, "
        f"{'all planted secrets redacted' if not problems else '; '.join(problems[:3])}"
    )
    deep = Settings(ignore_inline_allow=True, decode_depth=1)
    secs1, cpu1, output1, _ = bench_api(corpus, deep)
    problems1 = check(output1, corpus, planted)
    say(
        f"in-process API (decode depth 1 = the CLI default: base64/hex/escapes decoded): "
        f"{args.lines / cpu1:,.0f} lines/s and {mb / cpu1:,.1f} MB/s per CPU-second, "
        f"{'all planted secrets redacted' if not problems1 else problems1[0]}"
    )
    sample = min(args.lines, 200_000)
    rates = ", ".join(
        f"{fmt} {bench_format(corpus, deep, fmt, sample):,.0f}"
        for fmt in ("json", "rsyslog", "fluentd-msgpack")
    )
    say(f"other formats (records per CPU-second, first {sample:,} lines, defaults): {rates}")
    total, startup, cli_cpu, cli_out = bench_cli(corpus, [])
    cli_problems = check(cli_out, corpus, planted)
    say(
        f"CLI `keyguard filter < corpus > out` (defaults): {total:.2f} s wall "
        f"({startup:.2f} s of it start-up on empty input), {cli_cpu:.2f} CPU-seconds: "
        f"{args.lines / total:,.0f} lines/s wall clock, {args.lines / cli_cpu:,.0f} lines/s per "
        f"CPU-second (start-up included); "
        f"{'all planted secrets redacted' if not cli_problems else cli_problems[0]}"
    )
    per_line, hits = bench_naive(corpus, settings, args.naive_sample)
    naive_rate = 1 / per_line
    say(
        f"naive baseline (every rule's regex on every line, {args.naive_sample:,} lines sampled, "
        f"extrapolated): {naive_rate:,.0f} lines/s, est. {args.lines * per_line:,.0f} s for the "
        f"corpus; filter API is {args.lines / cpu / naive_rate:,.0f}x faster"
    )
    text = "\n".join(f"- {line}" for line in report)
    print(text)
    if not args.no_write:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        results = ROOT / "bench" / "RESULTS.md"
        with open(results, "a", encoding="utf-8") as out:
            out.write(f"\n## filter\n\n`python bench/logs.py` ({stamp}, one core):\n\n{text}\n")
    return 0 if not problems and not cli_problems else 1


if __name__ == "__main__":
    sys.exit(main())

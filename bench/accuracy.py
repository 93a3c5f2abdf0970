#!/usr/bin/env python3
"""Accuracy benchmark: keyguard's recall and false alarms on its own rule examples rendered in
many syntaxes, and its noise per 100 MB on real code that no rule was written against.

Usage::

    python bench/accuracy.py [--cache DIR] [--work DIR] [--peers /opt/peers/bin]
                             [--results bench/RESULTS.md] [--skip examples|noise] [--no-results]

(a) Examples: every positive example of every built-in rule is rendered in each syntax of
``SYNTAXES`` (an assignment such as ``NAME = "value"`` is re-written as that syntax's own
assignment of the same name and value; any other text is embedded as a string value with that
syntax's escaping), one file per case with the file name the syntax uses (``.env``,
``Dockerfile``, ``deployment.yaml``, ``notebook.ipynb``...). One ``keyguard scan`` of the whole
directory (the CLI with its defaults: extractors, decoders, all rules at once) decides. Recall:
a finding in the case's file carries the example's secret (or its URL/JSON/XML-escaped form),
whichever rule reported it. Every negative example is rendered the same way; a false alarm is
any finding in its file.

(b) Noise: ``PINS`` (popular PyPI projects with config, test and client code; none was used to
write rules) are fetched as sdists with ``pip download --no-deps --no-binary NAME`` into
``--cache`` (default ``~/.cache/keyguard-bench/sdists``; only the package itself is built from
source, its build backend comes as a wheel), unpacked, and scanned by keyguard, gitleaks and
(when installed) kingfisher and betterleaks, in the same run on the same tree. Nothing in that
code is a real leak except by accident, so every finding is noise unless ``REVIEWED`` lists it
as a reviewed true positive. Findings go to ``WORK/noise-findings.jsonl`` for review.

The tables are printed and appended to the "accuracy" section of ``bench/RESULTS.md`` with the
command line, the machine and its load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_plus, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))  # peers.py, also when loaded by path
import peers as peer_argv  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------------------------------------
# (a) rule examples in many syntaxes
# --------------------------------------------------------------------------------------------

_ASSIGN = re.compile(
    r"""^\s*(?:export\s+|set\s+|const\s+|let\s+|var\s+)?["']?(?P<name>[A-Za-z_][\w.-]{0,80})["']?"""
    r"""\s*(?::=|=>|=|:)\s*(?P<q>["'`]?)(?P<value>.*?)(?P=q)\s*[;,]?\s*$"""
)
EMBED_NAME = "snippet"


@dataclass(frozen=True)
class Case:
    """One example to render: its rule, whether it is positive, its text and secret."""

    rule_id: str
    index: int
    positive: bool
    text: str
    secret: str | None = None

    @property
    def key(self) -> str:
        return f"{'p' if self.positive else 'n'}{self.index}"


def parse_assignment(text: str, secret: str | None = None) -> tuple[str, str] | None:
    """``(name, value)`` when ``text`` is one assignment line (``KEY=v``, ``key: "v"``,
    ``export KEY='v'``, ``"key": "v",``); for a positive the value must be its secret."""
    if "\n" in text.strip("\n"):
        return None
    m = _ASSIGN.match(text.strip("\n"))
    if m is None:
        return None
    name, value, quote_char = m.group("name"), m.group("value"), m.group("q")
    if not value or (not quote_char and re.search(r"\s", value)):
        return None
    if quote_char and quote_char in value:
        return None
    if secret is not None and value != secret:
        return None
    return name, value


def _ident(name: str) -> str:
    """``name`` as a programming-language identifier (``settings.KEY`` → ``settings_KEY``)."""
    out = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return out if not out[0].isdigit() else "_" + out


def _env_name(name: str) -> str:
    return _ident(name)


def _kebab(name: str) -> str:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name)
    return re.sub(r"[^A-Za-z0-9]+", "-", spaced).strip("-").lower()


def _dq(value: str) -> str:
    """A double-quoted string with JSON escapes (valid JSON, JS, Go, TOML basic, Python)."""
    return json.dumps(value)


def _sq_shell(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def _escape_nl(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


def r_env(name: str, value: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_./+=:@%~-]*", value):
        return f"{_env_name(name)}={value}\n"
    return f"{_env_name(name)}={_dq(value)}\n"


def r_json(name: str, value: str) -> str:
    return json.dumps({"service": "billing", name: value, "retries": 3}, indent=2) + "\n"


def r_yaml(name: str, value: str) -> str:
    if "\n" in value:
        body = "\n".join("    " + line for line in value.split("\n"))
        return f"app:\n  region: eu-west-1\n  {name}: |\n{body}\n"
    return f"app:\n  region: eu-west-1\n  {name}: {_dq(value)}\n"


def r_python(name: str, value: str) -> str:
    lit = f'"""{value}"""' if "\n" in value and '"""' not in value else repr(value)
    if _ident(name) == name:
        return f"import os\n\n{name} = {lit}\n"
    return f"SETTINGS = {{\n    {name!r}: {lit},\n}}\n"


def _js_lit(value: str) -> str:
    """A template literal for multi-line values, else a double-quoted string."""
    if "\n" not in value:
        return _dq(value)
    return "`" + value.replace("`", "\\`").replace("${", "\\${") + "`"


def r_js(name: str, value: str) -> str:
    lit = _js_lit(value)
    if _ident(name) == name:
        return f"export const {name} = {lit};\n"
    return f"export const config = {{\n  {_dq(name)}: {lit},\n}};\n"


def r_ts(name: str, value: str) -> str:
    """TypeScript with a type annotation on the declaration (``const KEY: string = "..."``)."""
    lit = _js_lit(value)
    if _ident(name) == name:
        return f"export const {name}: string = {lit};\n"
    return f"export const config: Record<string, string> = {{\n  {_dq(name)}: {lit},\n}};\n"


def r_go(name: str, value: str) -> str:
    lit = "`" + value + "`" if "\n" in value and "`" not in value else _dq(value)
    return f"package config\n\nvar Settings = map[string]string{{\n\t{_dq(name)}: {lit},\n}}\n"


def r_properties(name: str, value: str) -> str:
    """Hand-written style: only newlines escaped in the value (``Properties.store`` would also
    escape ``:`` and ``=``)."""
    key = name.replace(":", "\\:").replace("=", "\\=")
    return f"# application settings\n{key}={_escape_nl(value)}\n"


def r_xml(name: str, value: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<configuration>\n'
        f'  <property name="{html.escape(name)}" value="{html.escape(value)}"/>\n'
        f'  <add key="{html.escape(name)}">{html.escape(value, quote=False)}</add>\n'
        "</configuration>\n"
    )


def r_ini(name: str, value: str) -> str:
    body = value.replace("\n", "\n    ")
    return f"[service]\nregion = eu-west-1\n{name} = {body}\n"


def r_toml(name: str, value: str) -> str:
    key = name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else _dq(name)
    return f'[service]\nregion = "eu-west-1"\n{key} = {_dq(value)}\n'


def r_shell(name: str, value: str) -> str:
    return f"#!/bin/sh\nexport {_env_name(name)}={_sq_shell(value)}\n"


def r_docker(name: str, value: str) -> str:
    return f'FROM python:3.12-slim\nENV {_env_name(name)}={_dq(_escape_nl(value))}\nCMD ["app"]\n'


def r_k8s(name: str, value: str) -> str:
    if "\n" in value:
        body = "\n".join("                  " + line for line in value.split("\n"))
        val = "|\n" + body
    else:
        val = _dq(value)
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: billing\nspec:\n"
        "  template:\n    spec:\n      containers:\n        - name: app\n"
        "          image: billing:1.4\n          env:\n"
        f"            - name: {_env_name(name)}\n              value: {val}\n"
    )


def r_cli(name: str, value: str) -> str:
    return f"#!/bin/sh\nexec billing-worker --{_kebab(name)} {_sq_shell(value)} --verbose\n"


def r_http(name: str, value: str) -> str:
    header = "X-" + "-".join(p.capitalize() for p in _kebab(name).split("-") if p)
    return (
        "POST https://api.service.invalid/v1/jobs HTTP/1.1\nContent-Type: application/json\n"
        f"{header}: {_escape_nl(value)}\n\n{{}}\n"
    )


def r_url(name: str, value: str) -> str:
    query = urlencode({"region": "eu", name: value})
    return f"GET https://api.service.invalid/v1/jobs?{query}\n"


def r_notebook(name: str, value: str) -> str:
    source = r_python(name, value).splitlines(keepends=True)
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 1,
                "metadata": {},
                "outputs": [],
                "source": source,
            }
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1) + "\n"


def r_log(name: str, value: str) -> str:
    return (
        "2026-11-28T10:00:00.123Z INFO  billing.worker[42]: starting\n"
        f"2026-11-28T10:00:00.125Z DEBUG billing.config[42]: loaded {name}={_escape_nl(value)}\n"
    )


Renderer = Callable[[str, str], str]
SYNTAXES: dict[str, tuple[str, Renderer]] = {
    "env": (".env", r_env),
    "json": ("config.json", r_json),
    "yaml": ("config.yaml", r_yaml),
    "python": ("settings.py", r_python),
    "js": ("config.js", r_js),
    "ts (typed)": ("config.ts", r_ts),
    "go": ("config.go", r_go),
    "properties": ("application.properties", r_properties),
    "xml": ("app.config.xml", r_xml),
    "ini": ("app.ini", r_ini),
    "toml": ("app.toml", r_toml),
    "shell export": ("env.sh", r_shell),
    "docker ENV": ("Dockerfile", r_docker),
    "k8s manifest": ("deployment.yaml", r_k8s),
    "cli flag": ("run.sh", r_cli),
    "http header": ("request.http", r_http),
    "url query": ("requests.txt", r_url),
    "notebook": ("analysis.ipynb", r_notebook),
    "log line": ("worker.log", r_log),
}


def render(syntax: str, case: Case) -> str:
    """``case`` in ``syntax``: its own assignment re-written, or its text embedded as a value."""
    _, fn = SYNTAXES[syntax]
    parsed = parse_assignment(case.text, case.secret if case.positive else None)
    if parsed is not None:
        return fn(*parsed)
    return fn(EMBED_NAME, case.text)


def secret_forms(secret: str) -> set[str]:
    """How a secret may appear once a syntax has escaped it."""
    forms = {secret, quote_plus(secret), quote(secret, safe=""), json.dumps(secret)[1:-1]}
    forms.add(html.escape(secret))
    forms.add(_escape_nl(secret))
    return {f for f in forms if f}


def is_hit(expected: str, found: Iterable[str]) -> bool:
    """A reported secret equals the expected one (in any escaped form) or one contains the
    other (a rule that captures a longer or shorter span still found it), 8+ characters."""
    forms = secret_forms(expected)
    for got in found:
        if got in forms:
            return True
        for form in forms:
            short, long_ = (got, form) if len(got) <= len(form) else (form, got)
            if len(short) >= min(8, len(form)) and short in long_:
                return True
    return False


@dataclass
class SyntaxScore:
    positives: int = 0
    found: int = 0
    found_by_rule: int = 0
    negatives: int = 0
    false_alarms: int = 0
    same_rule_alarms: int = 0
    misses: list[str] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)


def load_cases() -> list[Case]:
    """Every built-in rule's examples; a plain-string example's secret is what its rule
    alone extracts from it."""
    sys.path.insert(0, str(ROOT))
    from scanner.rulebook.check import scan_text, single_rule_matcher
    from scanner.rulebook.loader import builtin_rules_dir, load_specs

    cases: list[Case] = []
    for spec in load_specs([builtin_rules_dir()]):
        if spec.paths:
            continue  # a file format known by its path (userlist.txt) is not written in syntaxes
        matcher = None
        for i, ex in enumerate(spec.examples):
            secret = ex.secret
            if secret is None:
                matcher = matcher or single_rule_matcher(spec)
                got = [f.secret.reveal() for f in scan_text(matcher, ex.text)]
                if not got:
                    continue
                secret = got[0]
            cases.append(Case(spec.id, i, True, ex.text, secret))
        for i, text in enumerate(spec.negative_examples):
            cases.append(Case(spec.id, i, False, text))
    return cases


def write_cases(cases: list[Case], root: Path, syntaxes: Iterable[str]) -> dict[str, Case]:
    """One directory per (syntax, case) holding the rendered file; returns file → case."""
    index: dict[str, Case] = {}
    for s_i, syntax in enumerate(syntaxes):
        fname, _ = SYNTAXES[syntax]
        for c_i, case in enumerate(cases):
            d = root / f"s{s_i:02d}" / f"c{c_i:05d}"
            d.mkdir(parents=True, exist_ok=True)
            path = d / fname
            path.write_text(render(syntax, case), encoding="utf-8")
            index[str(path)] = case
    return index


def run_keyguard(target: Path, out: Path, jobs: int | None = None) -> tuple[list[dict], float]:
    cmd = [sys.executable, "-m", "scanner", "scan", str(target), "-f", "jsonl", "--show-secrets"]
    cmd += ["-q", "--no-ignore", "-o", str(out)]
    if jobs:
        cmd += ["-j", str(jobs)]
    start = time.perf_counter()
    # from the target itself: this project's .keyguard.toml (it excludes tests/ and docs/) must
    # not apply to the sdists the peers scan whole
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    subprocess.run(cmd, cwd=target, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    rows = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    return rows, wall


def score_examples(
    index: dict[str, Case], findings: list[dict], syntaxes: list[str]
) -> dict[str, SyntaxScore]:
    by_file: dict[str, list[dict]] = defaultdict(list)
    for f in findings:
        by_file[os.path.normpath(f["path"])].append(f)
    scores = {s: SyntaxScore() for s in syntaxes}
    for path, case in index.items():
        syntax = syntaxes[int(Path(path).parent.parent.name[1:])]
        sc = scores[syntax]
        got = by_file.get(os.path.normpath(path), [])
        label = f"{case.rule_id}#{case.key}"
        if case.positive:
            sc.positives += 1
            assert case.secret is not None
            if is_hit(case.secret, [f["secret"] for f in got]):
                sc.found += 1
                if is_hit(case.secret, [f["secret"] for f in got if f["rule_id"] == case.rule_id]):
                    sc.found_by_rule += 1
            else:
                sc.misses.append(label)
        else:
            sc.negatives += 1
            if got:
                sc.false_alarms += 1
                sc.alarms.append(label + " <- " + ",".join(sorted({f["rule_id"] for f in got})))
                if any(f["rule_id"] == case.rule_id for f in got):
                    sc.same_rule_alarms += 1
    return scores


def examples_table(scores: dict[str, SyntaxScore]) -> list[str]:
    lines = [
        "| syntax | positives | recall | recall by own rule | negatives | false alarms "
        "(any rule) | false alarms (own rule) |",
        "|---|---|---|---|---|---|---|",
    ]
    total = SyntaxScore()
    for name, sc in scores.items():
        lines.append(_examples_row(name, sc))
        for attr in ("positives", "found", "found_by_rule", "negatives", "false_alarms"):
            setattr(total, attr, getattr(total, attr) + getattr(sc, attr))
        total.same_rule_alarms += sc.same_rule_alarms
    lines.append(_examples_row("**all**", total))
    return lines


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "n/a"


def _examples_row(name: str, sc: SyntaxScore) -> str:
    return (
        f"| {name} | {sc.positives} | {_pct(sc.found, sc.positives)} ({sc.found}) | "
        f"{_pct(sc.found_by_rule, sc.positives)} | {sc.negatives} | "
        f"{_pct(sc.false_alarms, sc.negatives)} ({sc.false_alarms}) | "
        f"{_pct(sc.same_rule_alarms, sc.negatives)} ({sc.same_rule_alarms}) |"
    )


def worst_rules(scores: dict[str, SyntaxScore], attr: str, top: int = 12) -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    for sc in scores.values():
        for label in getattr(sc, attr):
            counts[label.split("#", 1)[0]] += 1
    return counts.most_common(top)


# --------------------------------------------------------------------------------------------
# (b) noise on real code
# --------------------------------------------------------------------------------------------

PINS = [
    "requests==2.34.2",
    "flask==3.1.3",
    "sqlalchemy==2.1.9",
    "celery==5.7.0",
    "kombu==5.7.0",
    "boto3==1.44.5",
    "paramiko==5.1.0",
    "ansible-core==2.19.14",
    "redis==8.1.0",
    "pymongo==4.20.0",
    "psycopg2==2.9.13",
    "docker==7.2.0",
    "urllib3==2.8.0",
    "aiohttp==3.14.5",
    "scrapy==2.19.0",
    "sentry-sdk==2.75.0",
    "tornado==6.6.1",
    "oauthlib==4.0.1",
    "pyjwt==2.15.1",
    "jwcrypto==1.6.1",
    "pyotp==2.12.0",
    "nats-py==2.16.0",
    "dropbox==12.2.4",
    "fabric==3.2.3",
    "httpx==0.28.1",
]
"""Exact sdists. Chosen for client, config and test code around credentials (HTTP auth, DB
URLs, JOSE/JWK test vectors, OTP, NATS, Dropbox); the JOSE/OTP ones hold RFC test vectors,
which count as noise: they are published, non-secret values."""

REVIEWED: dict[str, str] = {
    # "tool:rule:relative/path:line": "why this is a real credential, not noise",
}
"""Findings reviewed as true positives (real, working credentials) by fingerprint
``tool:rule:path:line`` (path relative to the unpacked tree). None so far: every finding in
these sdists that was reviewed is a test vector, documentation value or false match."""


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def cached_sdist(cache: Path, pin: str) -> Path | None:
    name, version = pin.split("==")
    want = f"{_norm(name)}-{version}"
    for p in cache.iterdir() if cache.is_dir() else []:
        for ext in (".tar.gz", ".zip", ".tar.bz2"):
            if (
                p.name.endswith(ext)
                and _norm(p.name[: -len(ext)].rsplit("-", 1)[0])
                + "-"
                + (p.name[: -len(ext)].rsplit("-", 1)[-1])
                == want
            ):
                return p
    return None


def fetch_sdists(cache: Path, pins: list[str]) -> list[Path]:
    cache.mkdir(parents=True, exist_ok=True)
    out = []
    for pin in pins:
        found = cached_sdist(cache, pin)
        if found is None:
            name = pin.split("==")[0]
            print(f"[accuracy] pip download {pin}", file=sys.stderr, flush=True)
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "-q",
                    "--no-deps",
                    "--no-binary",
                    name,
                    "-d",
                    str(cache),
                    pin,
                ],
                check=False,
                stdout=subprocess.DEVNULL,
            )
            found = cached_sdist(cache, pin)
        if found is None:
            print(f"[accuracy] could not fetch {pin}; left out", file=sys.stderr)
            continue
        out.append(found)
    return out


def unpack(archives: list[Path], tree: Path) -> None:
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(parents=True)
    for arc in archives:
        if arc.name.endswith(".zip"):
            with zipfile.ZipFile(arc) as zf:
                zf.extractall(tree)
        else:
            with tarfile.open(arc) as tf:
                tf.extractall(tree, filter="data")


def tree_size(tree: Path) -> tuple[int, int]:
    size = files = 0
    for p in tree.rglob("*"):
        if p.is_file() and not p.is_symlink():
            size += p.stat().st_size
            files += 1
    return size, files


@dataclass(frozen=True)
class Hit:
    tool: str
    rule: str
    path: str  # relative to the tree
    line: int
    secret: str = ""

    @property
    def fingerprint(self) -> str:
        return f"{self.tool}:{self.rule}:{self.path}:{self.line}"


def _rel(tree: Path, path: str) -> str:
    p = Path(path)
    try:
        return str(p.resolve().relative_to(tree.resolve()))
    except (ValueError, OSError):
        return str(path)


def peer_commands(peers: Path, tree: Path, work: Path) -> dict[str, tuple[list[str], Path]]:
    """The installed peers' command lines and report files, by tool."""
    out = {tool: work / f"{tool}.json" for tool in ("gitleaks", "kingfisher", "betterleaks")}
    argv = {
        "gitleaks": peer_argv.gitleaks(peers, "dir", tree, out["gitleaks"]),
        "kingfisher": peer_argv.kingfisher(
            peers, tree, out["kingfisher"], "--git-history", "none", "--no-dedup"
        ),
        "betterleaks": peer_argv.betterleaks(peers, tree, out["betterleaks"]),
    }
    return {tool: (cmd, out[tool]) for tool, cmd in argv.items() if (peers / tool).exists()}


def parse_peer(tool: str, out: Path, tree: Path) -> list[Hit]:
    if not out.exists():
        return []
    data = json.loads(out.read_text() or "[]")
    hits: list[Hit] = []
    if tool in ("gitleaks", "betterleaks"):
        items = data if isinstance(data, list) else data.get("findings", [])
        for f in items:
            hits.append(
                Hit(
                    tool,
                    str(f.get("RuleID") or f.get("rule_id") or f.get("ruleId") or "?"),
                    _rel(tree, f.get("File") or f.get("file") or f.get("path") or ""),
                    int(f.get("StartLine") or f.get("start_line") or f.get("line") or 0),
                    str(f.get("Secret") or f.get("secret") or ""),
                )
            )
    elif tool == "kingfisher":
        for item in data.get("findings", []):
            rule = item.get("rule", {})
            fin = item.get("finding", item)
            hits.append(
                Hit(
                    tool,
                    str(rule.get("id") or rule.get("name") or "?"),
                    _rel(tree, str(fin.get("path") or fin.get("file") or "")),
                    int(fin.get("line") or fin.get("line_num") or 0),
                    str(fin.get("snippet") or ""),
                )
            )
    return hits


def run_noise(args: argparse.Namespace, work: Path) -> tuple[list[str], dict]:
    archives = fetch_sdists(args.cache, PINS)
    tree = work / "sdists"
    unpack(archives, tree)
    size, files = tree_size(tree)
    per100 = 100e6 / size if size else 0.0
    results: dict[str, tuple[list[Hit], float]] = {}
    kg_rows, wall = run_keyguard(tree, work / "keyguard-noise.jsonl", args.jobs)
    results["keyguard"] = (
        [
            Hit("keyguard", r["rule_id"], _rel(tree, r["path"]), int(r["line"]), r["secret"])
            for r in kg_rows
        ],
        wall,
    )
    for tool, (cmd, out) in peer_commands(args.peers, tree, work).items():
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        results[tool] = (parse_peer(tool, out, tree), time.perf_counter() - start)
    with open(work / "noise-findings.jsonl", "w", encoding="utf-8") as fh:
        for hits, _ in results.values():
            for h in hits:
                row = {
                    "tool": h.tool,
                    "rule": h.rule,
                    "path": h.path,
                    "line": h.line,
                    "secret": h.secret[:200],
                    "fingerprint": h.fingerprint,
                    "reviewed_true_positive": REVIEWED.get(h.fingerprint),
                }
                fh.write(json.dumps(row) + "\n")
    lines = [
        f"Input: {len(archives)} sdists ({', '.join(a.name for a in archives)}), unpacked: "
        f"{size / 1e6:.1f} MB in {files} files.",
        "",
        "| tool | findings | reviewed true positives | noise | noise per 100 MB | wall |",
        "|---|---|---|---|---|---|",
    ]
    summary: dict[str, dict] = {}
    for tool, (hits, wall) in results.items():
        tp = sum(1 for h in hits if h.fingerprint in REVIEWED)
        noise = len(hits) - tp
        lines.append(
            f"| {tool} | {len(hits)} | {tp} | {noise} | {noise * per100:.1f} | {wall:.1f} s |"
        )
        summary[tool] = {"findings": len(hits), "noise": noise}
    for tool, (hits, _) in results.items():
        by_rule = Counter(h.rule for h in hits if h.fingerprint not in REVIEWED)
        if not by_rule:
            continue
        top = ", ".join(
            f"`{rule}` {n} ({n * per100:.1f})" for rule, n in by_rule.most_common(args.top_rules)
        )
        more = len(by_rule) - args.top_rules
        lines.append("")
        lines.append(
            f"- {tool} noise by rule (count, per 100 MB): {top}"
            + (f", and {more} more rules" if more > 0 else "")
        )
    return lines, summary


# --------------------------------------------------------------------------------------------


def machine_state() -> str:
    load = os.getloadavg()
    return (
        f"{platform.node() or 'host'} ({platform.system()} {platform.machine()}), "
        f"{os.cpu_count()} CPUs (nproc), load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
        f"Python {platform.python_version()}"
    )


def write_results(path: Path, text: str) -> None:
    results = path.read_text() if path.exists() else "# Benchmarks\n"
    if "\n## accuracy\n" not in results:
        results = results.rstrip("\n") + "\n\n## accuracy\n"
    head, _, tail = results.partition("\n## accuracy\n")
    nxt = tail.find("\n## ")
    section, rest = (tail, "") if nxt == -1 else (tail[:nxt], tail[nxt:])
    path.write_text(head + "\n## accuracy\n" + section.rstrip("\n") + "\n" + text + rest)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache/keyguard-bench/sdists")
    ap.add_argument("--work", type=Path, default=None, help="output directory (default: temp)")
    ap.add_argument("--peers", type=Path, default=Path("/opt/peers/bin"))
    ap.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md")
    ap.add_argument("--no-results", action="store_true", help="do not write RESULTS.md")
    ap.add_argument("--skip", action="append", default=[], choices=["examples", "noise"])
    ap.add_argument("--jobs", type=int, default=None, help="keyguard worker processes")
    ap.add_argument("--top-rules", type=int, default=8)
    ap.add_argument(
        "--syntax", action="append", choices=list(SYNTAXES), help="only these syntaxes (repeatable)"
    )
    args = ap.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="kg-accuracy-"))
    work.mkdir(parents=True, exist_ok=True)
    command = "python bench/accuracy.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    state_start = machine_state()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    out: list[str] = [
        "",
        f"### {stamp}: `{command.strip()}`",
        "",
        f"Machine at start: {state_start}.",
    ]

    if "examples" not in args.skip:
        cases = load_cases()
        syntaxes = args.syntax or list(SYNTAXES)
        root = work / "examples"
        if root.exists():
            shutil.rmtree(root)
        index = write_cases(cases, root, syntaxes)
        findings, wall = run_keyguard(root, work / "keyguard-examples.jsonl", args.jobs)
        scores = score_examples(index, findings, syntaxes)
        pos = sum(1 for c in cases if c.positive)
        neg = len(cases) - pos
        out += [
            "",
            f"**(a) Rule examples in {len(syntaxes)} syntaxes**: {pos} positive and {neg} "
            f"negative examples of {len({c.rule_id for c in cases})} rules, "
            f"{len(index)} files, one `keyguard scan` ({wall:.1f} s).",
            "",
            *examples_table(scores),
            "",
            "Most-missed rules (misses over all syntaxes): "
            + ", ".join(f"`{r}` {n}" for r, n in worst_rules(scores, "misses")),
            "",
            "Most false alarms on negatives (by the negative's rule): "
            + ", ".join(f"`{r}` {n}" for r, n in worst_rules(scores, "alarms")),
        ]
        with open(work / "examples-index.jsonl", "w", encoding="utf-8") as fh:
            for path, case in index.items():
                fh.write(json.dumps({"path": path, "rule": case.rule_id, "case": case.key}) + "\n")
        with open(work / "examples-misses.jsonl", "w", encoding="utf-8") as fh:
            for syntax, sc in scores.items():
                for label in sc.misses:
                    fh.write(json.dumps({"syntax": syntax, "miss": label}) + "\n")
                for label in sc.alarms:
                    fh.write(json.dumps({"syntax": syntax, "false_alarm": label}) + "\n")

    if "noise" not in args.skip:
        lines, _ = run_noise(args, work)
        out += [
            "",
            "**(b) Noise on real code** (PyPI sdists; every finding is noise unless "
            "reviewed as a true positive):",
            "",
            *lines,
        ]

    out += ["", f"Machine at end: {machine_state()}. Findings and misses: `{work}`."]
    text = "\n".join(out) + "\n"
    print(text)
    if not args.no_results:
        write_results(args.results, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Recall of the built-in rules' examples re-written the way real code in other languages
writes a credential: Go ``apiKey := "..."``, Java ``String key = "...";``, PHP ``'key' =>
'...'``, Ruby ``ENV['X'] ||= '...'``, an XML ``<add key= value=/>``, a Dockerfile ``ARG``, a
curl header, a URL query, a Python keyword argument...

Usage::

    python bench/syntax_recall.py [--form NAME]... [--misses N] [--json OUT]

For every positive example with an expected secret, the example's value (the literal around
the secret: the secret itself, or a URL or connection string holding it) and its setting name
(the last name before the value; prefixed with the word that holds one of the rule's keywords
when the name lacks it, so that a context-anchored rule keeps its context) are re-written in
each form of ``FORMS``. One in-process matcher with all the built-in rules scans each text;
a form finds the example when any finding's secret equals or overlaps the expected one (8+
characters), whichever rule reported it. Recall is printed per form and per rule family
(self-identifying tokens, context-anchored keys, generic rules), with the forms' top misses.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scanner.matcher import Matcher, MatchPolicy  # noqa: E402
from scanner.models import Chunk, Origin  # noqa: E402
from scanner.prefilter import default_cache_dir  # noqa: E402
from scanner.rulebook.compile import Ruleset  # noqa: E402
from scanner.rulebook.loader import builtin_rules_dir, load_specs  # noqa: E402
from scanner.rulebook.schema import RuleSpec  # noqa: E402

_CRED_WORDS = ("key", "token", "secret", "pass", "pwd", "auth", "credential", "cred", "pat", "sid")
_SKIP_NAMES = frozenset(
    [
        *("bearer", "basic", "token", "export", "const", "let", "var", "set", "env", "arg"),
        *("string", "val", "is", "http", "https", "the", "a", "an", "private", "public"),
        *("static", "final", "new", "def"),
    ]
)
_LEFT_STOP = set(" \t\r\n\"'`=(>,[{")
_RIGHT_STOP = set(" \t\r\n\"'`;,)<}]")


@dataclass(frozen=True)
class Case:
    rule_id: str
    family: str
    words: tuple[str, ...]  # the setting name, lower-case words: ("acme", "api", "key")
    provider: str  # the word holding a keyword of the rule (or the first word)
    value: str
    secret: str
    marked: tuple[str, str] | None = None  # (value, secret) as the example wrote them


_MARKER = re.compile(r"(?i)fake|keyguard")
# letters with no bigram twice, so that a swapped token shows no repeated run
_FILL = "MeWrPuIZwyVpbDOtdFPOjUzTYGTRtznkeSriyRPwHaEbUOlrGWImsTVPHQemEJXf"


def unmark(value: str) -> str:
    """``value`` with the examples' synthetic markers (``Fake``, ``KeyGuard``) replaced by
    letters of the same case class (all lower, all upper, or mixed), so that the generic
    rules' word checks see a random-looking token, as real keys are: a generic rule rightly
    turns down ``...FakeKeyGuard...`` as words. A case is found when either form is (the
    swap may break a checksum)."""

    def swap(m: re.Match[str]) -> str:
        word, at = m.group(0), (m.start() * 11) % (len(_FILL) - 8)
        fill = _FILL[at : at + len(word)]
        if word.islower():
            return fill.lower()
        if word.isupper():
            return fill.upper()
        return fill

    return _MARKER.sub(swap, value)


def _split_words(name: str, keywords: Iterable[str]) -> list[str]:
    """``name`` in lower-case words; a camelCase part is split unless it holds a keyword."""
    out: list[str] = []
    for part in re.split(r"[^A-Za-z0-9]+", name):
        if not part:
            continue
        if any(k in part.lower() for k in keywords):
            out.append(part.lower())
        else:
            out += [w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", part)]
    return [w for w in out if w]


def _value_span(text: str, pos: int, end: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, pos) + 1
    lo = pos
    while lo > line_start and text[lo - 1] not in _LEFT_STOP:
        if text[lo - 1] == ":" and text[lo : lo + 1] in (" ", ""):
            break
        lo -= 1
    hi = end
    while hi < len(text) and text[hi] not in _RIGHT_STOP:
        hi += 1
    return lo, hi


def _last_name(before: str) -> str:
    for m in reversed(list(re.finditer(r"[A-Za-z_$@][\w.$-]*", before))):
        clean = m.group(0).strip("$@.-")
        if clean and clean.lower() not in _SKIP_NAMES and not clean.isdigit():
            return clean
    return ""


def _keywords(spec: RuleSpec) -> list[str]:
    return [re.sub(r"[^a-z0-9]", "", k.lower()) for k in spec.keywords if k.strip()]


def family_of(spec: RuleSpec, secret: str) -> str:
    if spec.is_generic:
        return "generic"
    if any(k and k in secret.lower() for k in _keywords(spec)) or not spec.keywords:
        return "self-identifying"
    return "context-anchored"


def extract(spec: RuleSpec, text: str, secret: str, unmarked: bool = True) -> Case | None:
    """The example's setting name and value, or None when the secret spans lines."""
    pos = text.find(secret)
    if pos < 0 or "\n" in secret:
        return None
    lo, hi = _value_span(text, pos, pos + len(secret))
    value = text[lo:hi]
    if " " in value or "\n" in value:
        value = secret
    line_start = text.rfind("\n", 0, lo) + 1
    name = _last_name(text[line_start:lo]) or _last_name(text[:lo])
    kws = _keywords(spec)
    words = _split_words(name, kws)
    low_value = value.lower()
    if kws and not any(k in low_value for k in kws) and not any(k in "".join(words) for k in kws):
        # the keyword sits elsewhere: a section header, a comment, a call: keep that word
        low = text.lower()
        at = max((low.rfind(k) for k in kws if k), default=-1)
        if at >= 0:
            a = at
            while a > 0 and (text[a - 1].isalnum() or text[a - 1] == "_"):
                a -= 1
            b = at
            while b < len(text) and (text[b].isalnum() or text[b] == "_"):
                b += 1
            words = _split_words(text[a:b], kws) + [w for w in words if w not in text[a:b].lower()]
    if not words:
        words = ["api", "key"]
    if not any(c in w for w in words for c in _CRED_WORDS):
        words = [*words, "key"]
    provider = next((w for w in words if any(k and k in w for k in kws)), words[0])
    family = family_of(spec, secret)
    marked = None
    if unmarked and unmark(value) != value:
        marked, value, secret = (value, secret), unmark(value), unmark(secret)
    return Case(spec.id, family, tuple(words), provider, value, secret, marked)


# ---- names in each language's convention ----------------------------------------------------


def snake(c: Case) -> str:
    return "_".join(c.words)


def upper(c: Case) -> str:
    return snake(c).upper()


def camel(c: Case) -> str:
    return c.words[0] + "".join(w.capitalize() for w in c.words[1:])


def pascal(c: Case) -> str:
    return "".join(w.capitalize() for w in c.words)


def host(c: Case) -> str:
    return f"api.{re.sub(r'[^a-z0-9]', '', c.provider) or 'service'}.io"


def rest_words(c: Case) -> str:
    rest = [w for w in c.words if w != c.provider]
    return "_".join(rest) or "api_key"


Form = Callable[[Case], tuple[str, str]]  # -> (file name, text)

FORMS: dict[str, Form] = {
    "env (control)": lambda c: (".env", f"{upper(c)}={c.value}\n"),
    "go :=": lambda c: (
        "main.go",
        f'package main\n\nfunc main() {{\n\t{camel(c)} := "{c.value}"\n\tuse({camel(c)})\n}}\n',
    ),
    "java String": lambda c: (
        "Config.java",
        f'public class Config {{\n    private static final String {camel(c)} = "{c.value}";\n}}\n',
    ),
    "c# const": lambda c: (
        "Config.cs",
        f'public static class Config\n{{\n    public const string {pascal(c)} = "{c.value}";\n}}\n',
    ),
    "kotlin val": lambda c: (
        "Config.kt",
        f'object Config {{\n    val {camel(c)} = "{c.value}"\n}}\n',
    ),
    "ts typed": lambda c: ("config.ts", f'export const {camel(c)}: string = "{c.value}";\n'),
    "go var typed": lambda c: ("config.go", f'var {camel(c)} string = "{c.value}"\n'),
    "rust const": lambda c: ("src/config.rs", f'pub const {upper(c)}: &str = "{c.value}";\n'),
    "c #define": lambda c: ("config.h", f'#define {upper(c)} "{c.value}"\n'),
    "powershell $env": lambda c: ("setup.ps1", f'$env:{upper(c)} = "{c.value}"\n'),
    "php $var": lambda c: ("config.php", f"<?php\n${snake(c)} = '{c.value}';\n"),
    "php =>": lambda c: (
        "config.php",
        f"<?php\nreturn [\n    'debug' => false,\n    '{snake(c)}' => '{c.value}',\n];\n",
    ),
    "ruby key:": lambda c: (
        "config.rb",
        f"CONFIG = {{\n  region: 'eu-west-1',\n  {snake(c)}: '{c.value}',\n}}.freeze\n",
    ),
    "ruby ENV ||=": lambda c: ("config/boot.rb", f"ENV['{upper(c)}'] ||= '{c.value}'\n"),
    "js object": lambda c: (
        "config.js",
        f'module.exports = {{\n  region: "eu-west-1",\n  {camel(c)}: "{c.value}",\n}};\n',
    ),
    "js template": lambda c: ("client.js", f"const {camel(c)} = `{c.value}`;\n"),
    "toml": lambda c: (
        "settings.toml",
        f'[settings]\nregion = "eu-west-1"\n{snake(c)} = "{c.value}"\n',
    ),
    "hcl attr": lambda c: (
        "main.tf",
        f'resource "app_config" "main" {{\n  region = "eu"\n  {snake(c)} = "{c.value}"\n}}\n',
    ),
    "hcl variable": lambda c: (
        "variables.tf",
        f'variable "{snake(c)}" {{\n  type    = string\n  default = "{c.value}"\n}}\n',
    ),
    "ini": lambda c: ("app.ini", f"[service]\nregion=eu-west-1\n{snake(c)}={c.value}\n"),
    "xml add": lambda c: (
        "web.config",
        f'<configuration>\n  <appSettings>\n    <add key="{pascal(c)}" value="{c.value}" />\n'
        "  </appSettings>\n</configuration>\n",
    ),
    "xml element": lambda c: (
        "settings.xml",
        f"<settings>\n  <{camel(c)}>{c.value}</{camel(c)}>\n</settings>\n",
    ),
    "docker ENV": lambda c: ("Dockerfile", f"FROM alpine:3.20\nENV {upper(c)}={c.value}\n"),
    "docker ARG": lambda c: ("Dockerfile", f"FROM alpine:3.20\nARG {upper(c)}={c.value}\n"),
    "k8s stringData": lambda c: (
        "secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ntype: Opaque\nstringData:\n"
        f"  {upper(c)}: {c.value}\n",
    ),
    "k8s env": lambda c: (
        "deployment.yaml",
        "      containers:\n        - name: app\n          env:\n"
        f'            - name: {upper(c)}\n              value: "{c.value}"\n',
    ),
    "shell export": lambda c: ("env.sh", f"#!/bin/sh\nexport {upper(c)}='{c.value}'\n"),
    "curl bearer": lambda c: (
        "call.sh",
        f'curl -s -H "Authorization: Bearer {c.value}" https://{host(c)}/v1/items\n',
    ),
    "curl -u": lambda c: ("call.sh", f"curl -s -u user:{c.value} https://{host(c)}/v1/items\n"),
    "url query": lambda c: (
        "README.md",
        f"GET https://{host(c)}/v1/items?{snake(c)}={c.value}&format=json\n",
    ),
    "py kwargs": lambda c: (
        "client.py",
        f'client = {c.provider.capitalize()}Client({rest_words(c)}="{c.value}", timeout=10)\n',
    ),
}


def is_hit(expected: str, found: Iterable[str]) -> bool:
    for got in found:
        short, long_ = (got, expected) if len(got) <= len(expected) else (expected, got)
        if short == long_ or (len(short) >= min(8, len(expected)) and short in long_):
            return True
    return False


def load_cases(specs: list[RuleSpec], unmarked: bool = True) -> tuple[list[Case], int]:
    cases, skipped = [], 0
    for spec in specs:
        for example in spec.examples:
            if example.secret is None or example.path is not None:
                continue  # no expected secret, or a file format known by its path
            case = extract(spec, example.text, example.secret, unmarked)
            if case is None:
                skipped += 1
            else:
                cases.append(case)
    return cases, skipped


def found_secrets(matcher: Matcher, path: str, text: str) -> set[str]:
    chunk = Chunk(text=text, origin=Origin(path=path), path_for_rules=path)
    return {f.secret.reveal() for f in matcher.scan(chunk)}


def measure(
    matcher: Matcher, cases: list[Case], forms: list[str]
) -> dict[str, dict[str, list[Case]]]:
    """Per form: the cases found (``hit``) and missed (``miss``)."""
    out: dict[str, dict[str, list[Case]]] = {}
    for form in forms:
        render = FORMS[form]
        hit: list[Case] = []
        miss: list[Case] = []
        for case in cases:
            path, text = render(case)
            ok = is_hit(case.secret, found_secrets(matcher, path, text))
            if not ok and case.marked is not None:  # a checksum the unmarking broke
                value, secret = case.marked
                path, text = render(replace(case, value=value, secret=secret))
                ok = is_hit(secret, found_secrets(matcher, path, text))
            (hit if ok else miss).append(case)
        out[form] = {"hit": hit, "miss": miss}
    return out


def report(result: dict[str, dict[str, list[Case]]], top: int) -> list[str]:
    lines = [
        "| form | recall | self-identifying | context-anchored | generic |",
        "|---|---|---|---|---|",
    ]
    for form, parts in result.items():
        total = len(parts["hit"]) + len(parts["miss"])
        by: dict[str, Counter[str]] = defaultdict(Counter)
        for key in ("hit", "miss"):
            for c in parts[key]:
                by[c.family][key] += 1
        cells = []
        for fam in ("self-identifying", "context-anchored", "generic"):
            h, m = by[fam]["hit"], by[fam]["miss"]
            cells.append(f"{h}/{h + m}" if h + m else "-")
        lines.append(
            f"| {form} | {len(parts['hit'])}/{total} = {len(parts['hit']) / total:.1%} | "
            + " | ".join(cells)
            + " |"
        )
    if top:
        lines.append("")
        for form, parts in result.items():
            if parts["miss"]:
                shown = ", ".join(sorted({c.rule_id for c in parts["miss"]})[:top])
                lines.append(f"- {form}: {len(parts['miss'])} missed: {shown}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--form", action="append", choices=list(FORMS), help="only these forms")
    parser.add_argument("--misses", type=int, default=12, help="rule ids shown per form")
    parser.add_argument(
        "--keep-markers", action="store_true", help="keep Fake/KeyGuard in the example tokens"
    )
    parser.add_argument("--json", type=Path, help="write the misses as JSON here")
    args = parser.parse_args(argv)
    specs = load_specs([builtin_rules_dir()])
    cases, skipped = load_cases(specs, not args.keep_markers)
    ruleset = Ruleset.from_specs(specs)
    matcher = Matcher.build(ruleset, MatchPolicy(), "auto", cache_dir=default_cache_dir())
    result = measure(matcher, cases, args.form or list(FORMS))
    print(f"{len(cases)} examples ({skipped} multi-line secrets skipped), {len(specs)} rules")
    print("\n".join(report(result, args.misses)))
    if args.json:
        misses = {
            form: [
                {"rule": c.rule_id, "name": snake(c), "value": c.value, "secret": c.secret}
                for c in parts["miss"]
            ]
            for form, parts in result.items()
        }
        args.json.write_text(json.dumps(misses, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

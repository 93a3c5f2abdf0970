"""Pure parts of the matcher."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import pytest

from scanner.confirm import _is_code_reference
from scanner.matcher import Matcher
from scanner.models import Chunk, Origin
from scanner.prefilter import hyperscan_available
from scanner.rulebook.loader import load_ruleset
from testing.scan import build, scan_text, secrets_of

VALUE = "AcmeKeyGuardFakeValue"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Your Acme API key is {VALUE}. Keep it safe.", False),  # the end of a sentence
        (f"the key: {VALUE}.\n", False),
        (f"key = {VALUE}.attribute", True),  # attribute access
        (f"key = {VALUE}._private", True),
        (f"key = {VALUE}(1)", True),  # a call
        (f"key = {VALUE}[0]", True),  # an index
        (f"key = models.{VALUE}", True),  # an attribute of something
    ],
)
def test_code_references_and_sentence_ends(text: str, expected: bool) -> None:
    start = text.index(VALUE)
    assert _is_code_reference(text, start, start + len(VALUE), VALUE) is expected


def test_a_percent_encoded_secret_is_reported_once(auto_matcher: Matcher) -> None:
    matcher = auto_matcher
    text = "DATABASE_URL=postgres://app:Kq7%21vTz2%23mPw9xKg@db.internal:5432/app\n"
    found = matcher.scan(Chunk(text=text, origin=Origin(path=".env")))
    assert [(f.rule_id, f.secret.reveal()) for f in found] == [
        ("postgres.url-password", "Kq7%21vTz2%23mPw9xKg")
    ]


def _fake_rsa_body() -> str:
    import base64
    import random

    rng = random.Random(7)
    body = base64.b64encode(bytes(rng.randrange(256) for _ in range(600))).decode()
    return "\n".join(body[i : i + 64] for i in range(0, len(body), 64))


@pytest.mark.parametrize("escaped", [False, True])
def test_a_private_key_is_shown_at_its_begin_line(escaped: bool, auto_matcher: Matcher) -> None:
    """The secret is the key body; the finding's place is the ``-----BEGIN`` line (where a
    reader, a line-labelled data set and other scanners put it), also in an escaped string."""
    body = _fake_rsa_body()
    block = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
    if escaped:
        text = 'x = 1\n{"key": "' + block.replace("\n", "\\n") + '"}\n'
    else:
        text = f'x = 1\nKEY = """\n{block}\n"""\n'
    matcher = auto_matcher
    found = [
        f
        for f in matcher.scan(Chunk(text=text, origin=Origin(path="k.py")))
        if f.rule_id == "privatekey.rsa"
    ]
    assert len(found) == 1
    begin_line = 2 if escaped else 3
    assert found[0].position.line == begin_line
    assert found[0].position.column == text.splitlines()[begin_line - 1].index("-----BEGIN") + 1
    assert found[0].secret.reveal().startswith(body[:40])
    assert found[0].position.end_line >= begin_line


def test_an_allow_marker_on_the_begin_line_suppresses_a_private_key(
    auto_matcher: Matcher,
) -> None:
    body = _fake_rsa_body()
    text = (
        f"-----BEGIN RSA PRIVATE KEY----- # keyguard:allow\n{body}\n-----END RSA PRIVATE KEY-----\n"
    )
    matcher = auto_matcher
    assert not [
        f
        for f in matcher.scan(Chunk(text=text, origin=Origin(path="k.pem")))
        if f.rule_id.startswith("privatekey.")
    ]


@pytest.mark.skipif(not hyperscan_available(), reason="the locator is Hyperscan's")
def test_a_minified_bundle_is_not_located_for_rules_that_skip_it(
    session_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Generic assignment rules find nothing in lock files and bundles: the locator, which only
    serves them, does not run there (and the findings are those of a scan that located)."""
    matcher = build(load_ruleset(only=["generic.api-key"]), "hyperscan", session_cache)
    calls: list[str] = []
    real = matcher.prefilter.locate

    def counting(
        text: str, rules: Collection[int] | None = None
    ) -> dict[int, list[tuple[int, int]]] | None:
        calls.append(text)
        return real(text, rules)

    monkeypatch.setattr(matcher.prefilter, "locate", counting)
    text = 'config = {"service_api_key": "Qm7Rt2Vx9Lp4Wz8Nk3Hs6Jd"}\n'
    assert scan_text(matcher, text, "static/app.min.js") == []
    assert calls == []
    assert secrets_of(scan_text(matcher, text, "app/config.py")) == {"Qm7Rt2Vx9Lp4Wz8Nk3Hs6Jd"}
    assert calls == [text]


@pytest.mark.skipif(not hyperscan_available(), reason="the locator is Hyperscan's")
def test_warm_loads_the_locator_before_workers_fork(session_cache: Path) -> None:
    matcher = build(load_ruleset(only=["generic.api-key"]), "hyperscan", session_cache)
    assert matcher.prefilter.located
    matcher.warm()
    assert matcher.prefilter._loc is not None  # type: ignore[attr-defined]


@pytest.mark.parametrize("engine", ["hyperscan", "aho-corasick"])
def test_a_matcher_without_rules_finds_nothing_on_either_engine(engine: str) -> None:
    # Hyperscan refused to compile an empty database ("elements is zero")
    if engine == "hyperscan" and not hyperscan_available():
        pytest.skip("hyperscan is not installed")
    matcher = Matcher.build(load_ruleset([], builtin=False), engine=engine)
    assert matcher.scan(Chunk(text="GITHUB_TOKEN=ghp_x", origin=Origin("a.env"))) == []


@pytest.mark.parametrize("after", ["(", "[0]", ".attr", ")"])
def test_a_token_with_a_valid_checksum_is_no_code_reference(
    auto_matcher: Matcher, after: str
) -> None:
    # "ghp_...(" read as a call and was dropped: a checksummed token hid behind one character
    from testing.tokens import github_token

    token = github_token()
    for text in (f"token = {token}{after}\n", f"x = cfg.{token}\n"):
        found = auto_matcher.scan(Chunk(text=text, origin=Origin(path="a.txt")))
        assert [f.secret.reveal() for f in found] == [token], text

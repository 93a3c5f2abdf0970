"""The on-disk cache: no pickles, validated entries, private files, planted files ignored."""

from __future__ import annotations

import json
import os
import pickle
import stat
from pathlib import Path

import pytest

from scanner.cache import Cache, cache_key
from scanner.prefilter import hyperscan_available
from scanner.rulebook.loader import SPEC_CACHE_KIND, load_ruleset, spec_from_record, spec_record
from testing.gitrepo import write_test_rules


class Planted:
    """Unpickling this runs a command that leaves a marker."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def plant_everywhere(cache_dir: Path, marker: Path) -> None:
    """A malicious pickle under every name a cache file has had or has."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    payload = pickle.dumps(Planted(marker))
    for entry in os.listdir(cache_dir):
        (cache_dir / entry).write_bytes(payload)
    for name in ("rules-000000000000000000000000.pickle", "triggers-0.txt", "hs-0.full"):
        (cache_dir / name).write_bytes(payload)


def test_planted_pickle_is_never_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("KEYGUARD_CACHE_DIR", str(cache_dir))
    builtin = tmp_path / "builtin"
    builtin.mkdir()
    write_test_rules(builtin)
    monkeypatch.setattr("scanner.rulebook.loader.builtin_rules_dir", lambda: builtin)
    marker = tmp_path / "PWNED"
    first = load_ruleset()  # fills the cache
    assert any(p.name.startswith(SPEC_CACHE_KIND) for p in cache_dir.iterdir())
    plant_everywhere(cache_dir, marker)
    again = load_ruleset()
    assert not marker.exists()
    assert [r.id for r in again] == [r.id for r in first]
    from scanner.matcher import Matcher

    Matcher.build(again, cache_dir=cache_dir)
    Matcher.build(again, engine="aho-corasick", cache_dir=cache_dir)
    assert not marker.exists()


def test_cache_sources_hold_no_pickle_load() -> None:
    root = Path(__file__).resolve().parent.parent / "scanner"
    for name in ("cache.py", "prefilter.py", "matcher.py", "rulebook/loader.py"):
        text = (root / name).read_text(encoding="utf-8")
        assert "pickle.load" not in text and "import pickle" not in text, name


def test_entries_roundtrip_private_and_atomic(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    key = cache_key("x")
    cache.store_parts("hyperscan", key, [b"abc", b"", b"\x00\xff"])
    assert cache.load_bytes("hyperscan", key, 3) == (b"abc", b"", b"\x00\xff")
    assert cache.load_bytes("hyperscan", key, 4) is None
    cache.store_json("triggers", key, ["a", "b"])
    assert cache.load_json("triggers", key) == ["a", "b"]
    assert stat.S_IMODE((tmp_path / "c").stat().st_mode) == 0o700
    for entry in (tmp_path / "c").iterdir():
        assert stat.S_IMODE(entry.stat().st_mode) == 0o600
        assert not entry.name.endswith(".tmp")


def test_damage_in_any_part_is_detected(tmp_path: Path) -> None:
    """Parts are read and checked one by one: a changed byte in a later part, or parts whose
    sizes moved while the total stayed, are caught."""
    cache = Cache(tmp_path)
    key = cache_key("parts")
    cache.store_parts("hyperscan", key, [b"first-part", b"second-part"])
    path = _entry(tmp_path, "hyperscan", key)
    good = path.read_bytes()
    path.write_bytes(good.replace(b"second-part", b"second-parT"))
    assert cache.load_bytes("hyperscan", key, 2) is None
    header, _, payload = good.partition(b"\n")
    doc = json.loads(header)
    doc["parts"] = [9, 12]
    path.write_bytes(json.dumps(doc).encode() + b"\n" + payload)
    assert cache.load_bytes("hyperscan", key, 2) is None
    path.write_bytes(good)
    assert cache.load_bytes("hyperscan", key, 2) == (b"first-part", b"second-part")


def _entry(cache_dir: Path, kind: str, key: str) -> Path:
    return cache_dir / f"{kind}-{key}.kgc"


@pytest.mark.parametrize(
    "damage",
    [
        "flip-payload",
        "truncate",
        "append",
        "other-version",
        "other-tool",
        "other-key",
        "not-json",
        "empty",
        "bad-sizes",
    ],
)
def test_bad_entries_are_ignored(tmp_path: Path, damage: str) -> None:
    cache = Cache(tmp_path)
    key = cache_key("y")
    cache.store_json("triggers", key, ["kgtest_"])
    path = _entry(tmp_path, "triggers", key)
    header, _, payload = path.read_bytes().partition(b"\n")
    doc = json.loads(header)
    if damage == "flip-payload":
        payload = payload.replace(b"kgtest", b"kgtesT")
    elif damage == "truncate":
        payload = payload[:-2]
    elif damage == "append":
        payload += b"x"
    elif damage == "bad-sizes":
        doc["parts"] = [-1, len(payload) + 1]
    elif damage == "other-version":
        doc["version"] = 999
    elif damage == "other-tool":
        doc["tool"] = "0.0.0-planted"
    elif damage == "other-key":
        doc["key"] = cache_key("z")
    elif damage == "not-json":
        header = b"\x80\x04planted"
    if damage == "empty":
        path.write_bytes(b"")
    elif damage != "not-json" or header.startswith(b"\x80"):
        new_header = header if damage == "not-json" else json.dumps(doc).encode()
        path.write_bytes(new_header + b"\n" + payload)
    assert cache.load_json("triggers", key) is None


def test_foreign_or_shared_cache_dir_is_not_used(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "shared")
    key = cache_key("w")
    cache.store_json("triggers", key, ["a"])
    os.chmod(tmp_path / "shared", 0o777)
    assert cache.load_json("triggers", key) is None
    os.chmod(tmp_path / "shared", 0o700)
    os.chmod(_entry(tmp_path / "shared", "triggers", key), 0o666)
    assert cache.load_json("triggers", key) is None


def test_symlinked_entry_is_not_followed(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    key = cache_key("s")
    cache.store_json("triggers", key, ["a"])
    real = _entry(tmp_path / "c", "triggers", key)
    moved = tmp_path / "elsewhere.kgc"
    real.rename(moved)
    real.symlink_to(moved)
    assert cache.load_json("triggers", key) is None


def test_invalid_spec_records_rebuild(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A well-formed entry whose records are not rule specs is ignored and rebuilt."""
    from scanner.rulebook import loader

    cache_dir = tmp_path / "cache"
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    write_test_rules(rules_dir)
    specs = loader._load_dir(rules_dir, cache_dir)
    key = loader._dir_key(loader.rule_files(rules_dir))
    Cache(cache_dir).store_json(SPEC_CACHE_KIND, key, [{"id": 1}])
    assert loader._load_dir(rules_dir, cache_dir) == specs
    assert [spec_from_record(spec_record(s)) for s in specs] == specs
    with pytest.raises((TypeError, ValueError, KeyError)):
        spec_from_record({"id": "x"})


def test_spec_key_follows_the_macro_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cached specs hold expanded patterns: a changed macro module must change the key, even
    when no rule file changed."""
    from scanner.rulebook import loader

    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    write_test_rules(rules_dir)
    fake_macros = tmp_path / "macros.py"
    fake_macros.write_text("A = 1\n")
    monkeypatch.setattr(loader, "_SPEC_CODE", (str(fake_macros),))
    before = loader._dir_key(loader.rule_files(rules_dir))
    assert loader._dir_key(loader.rule_files(rules_dir)) == before
    fake_macros.write_text("A = 22\n")
    assert loader._dir_key(loader.rule_files(rules_dir)) != before


@pytest.mark.skipif(not hyperscan_available(), reason="the `fast` extra is not installed")
def test_a_prefilter_entry_that_passes_its_checksum_but_does_not_load_is_compiled_anew(
    tmp_path: Path,
) -> None:
    """The cache verifies what it stored, not that it makes sense: a damaged id list (or
    database) behind a valid header and CRC must cost a compile, never the scan."""
    from scanner.prefilter import HyperscanPrefilter
    from scanner.rulebook.compile import Ruleset
    from scanner.rulebook.loader import load_specs
    from testing.rules import token_rule

    rules = tmp_path / "kg.toml"
    rules.write_text(token_rule("kgc.token", "kgc_", "[a-z0-9]{20}", "kgc_" + "q7" * 10))
    ruleset = Ruleset.from_specs(load_specs([rules]))
    cache = tmp_path / "cache"
    first = HyperscanPrefilter(ruleset, (), cache)
    (entry,) = cache.glob("hyperscan-*.kgc")
    key = entry.name.removeprefix("hyperscan-").removesuffix(".kgc")
    store = Cache(cache)
    parts = store.load_parts("hyperscan", key, (0,))
    assert parts is not None
    store.store_parts("hyperscan", key, [parts[0], b"not,a,number", *parts[2:]], (0,))
    again = HyperscanPrefilter(ruleset, (), cache)
    assert again.located == first.located
    assert again.candidates("x kgc_" + "q7" * 10) == first.candidates("x kgc_" + "q7" * 10)
    store.store_parts("hyperscan", key, [b"not a database", *parts[1:]], (0,))
    assert HyperscanPrefilter(ruleset, (), cache).candidates("kgc_" + "q7" * 10)


def test_parts_their_reader_checks_are_left_out_of_the_crc(tmp_path: Path) -> None:
    """Only when the caller says so on both sides: the same entry read with another
    ``reader_checked`` is not valid, and the other parts and every size are still checked."""
    cache = Cache(tmp_path)
    key = cache_key("reader")
    cache.store_parts("hyperscan", key, [b"database", b"1,2"], (0,))
    assert cache.load_bytes("hyperscan", key, 2, (0,)) == (b"database", b"1,2")
    assert cache.load_bytes("hyperscan", key, 2) is None
    assert cache.load_bytes("hyperscan", key, 2, (1,)) is None
    path = _entry(tmp_path, "hyperscan", key)
    good = path.read_bytes()
    path.write_bytes(good.replace(b"database", b"dataBASE"))
    assert cache.load_bytes("hyperscan", key, 2, (0,)) == (b"dataBASE", b"1,2")  # its reader's
    path.write_bytes(good.replace(b"1,2", b"1,3"))
    assert cache.load_bytes("hyperscan", key, 2, (0,)) is None
    path.write_bytes(good.replace(b"database1,2", b"databas1,23"))  # a boundary moved
    assert cache.load_bytes("hyperscan", key, 2, (0,)) is None


@pytest.mark.skipif(not hyperscan_available(), reason="the `fast` extra is not installed")
def test_a_damaged_hyperscan_database_is_compiled_anew(tmp_path: Path) -> None:
    """The cache leaves the databases to Hyperscan's own CRC-32C: a flipped byte in either
    (the full database, the locator) fails to load and is compiled again."""
    from scanner.prefilter import HyperscanPrefilter
    from scanner.rulebook.compile import Ruleset
    from scanner.rulebook.loader import load_specs
    from testing.rules import token_rule

    rules = tmp_path / "kg.toml"
    # anchored on its keyword: it gets a start-of-match (locator) database of its own
    rule = token_rule("kgc.token", "kgc_", "[a-z0-9]{20}", "kgc_" + "q7" * 10, anchor="keyword")
    rules.write_text(rule)
    ruleset = Ruleset.from_specs(load_specs([rules]))
    cache = tmp_path / "cache"
    text = "x kgc_" + "q7" * 10
    first = HyperscanPrefilter(ruleset, (), cache)
    (full,) = cache.glob("hyperscan-*.kgc")
    (locator,) = cache.glob("hs-locators-*.kgc")
    for entry in (full, locator):
        damaged = _flip_middle(entry)
        again = HyperscanPrefilter(ruleset, (), cache)
        assert again.candidates(text) == first.candidates(text) == {0}
        assert again._locators() is not None  # the locators: read from their entry on first use
        assert entry.read_bytes() != damaged  # compiled and stored again


def _flip_middle(entry: Path) -> bytes:
    """``entry`` with one byte of its payload (the middle one) flipped; the bytes written."""
    data = bytearray(entry.read_bytes())
    start = data.index(b"\n") + 1
    data[start + (len(data) - start) // 2] ^= 0xFF
    entry.write_bytes(bytes(data))
    return bytes(data)

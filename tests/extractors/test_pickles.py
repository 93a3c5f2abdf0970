"""Pickles are walked, never loaded: constants are scanned and unsafe imports reported."""

from __future__ import annotations

import io
import pickle
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from scanner.extractors import Limits, picklemachine, picklewalk
from scanner.extractors.pickleglobals import is_dangerous_global, is_safe_global, reported_globals
from scanner.extractors.picklewalk import walk_pickles
from testing.artifacts import (
    RunsSystem,
    by_secret,
    fake_key,
    joblib_file,
    malicious_pickle,
    npy_object,
    npz_archive,
    plain_pickle,
    scan_api,
    scan_json,
    scan_problems,
    secrets_of,
    torch_checkpoint,
    torch_legacy,
    torch_tar_legacy,
)
from testing.damage import damaged_copies, first_half

UNSAFE = "model.unsafe-pickle"


def _unsafe(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule_id"] == UNSAFE]


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_plain_pickle_constants_scanned_with_key(
    tmp_path: Path, rules: Path, protocol: int
) -> None:
    path = tmp_path / f"state-{protocol}.pkl"
    key = plain_pickle(path, protocol)
    code, report = scan_json("--rules", rules, "--show-secrets", path)
    assert code == 1
    finding = by_secret(report, key)
    assert finding["provenance"]["key"] == "api_key"
    assert int(finding["provenance"]["constant"]) == finding["line"]
    assert _unsafe(report) == []


def test_malicious_pickle_reported_and_never_executed(tmp_path: Path, rules: Path) -> None:
    target = tmp_path / "pwned.txt"
    evil = tmp_path / "model.pkl"
    malicious_pickle(evil, target)
    code, report = scan_json("--rules", rules, "--show-secrets", evil)
    assert not target.exists()
    assert code == 1
    (finding,) = _unsafe(report)
    assert finding["secret"] == "builtins.exec"
    assert finding["provenance"]["unsafe_global"] == "builtins.exec"
    assert finding["severity"] == "high"
    # the payload's code string is a constant and is visible to rules as well
    assert report["problems"] == []


def test_unsafe_global_masked_without_show_secrets(tmp_path: Path, rules: Path) -> None:
    evil = tmp_path / "model.pkl"
    malicious_pickle(evil, tmp_path / "never.txt", protocol=2)
    _, report = scan_json("--rules", rules, evil)
    (finding,) = _unsafe(report)
    assert finding["secret"] != "builtins.exec"
    assert finding["provenance"]["opcode"] == "GLOBAL"


def test_malicious_torch_checkpoint_member_named(tmp_path: Path, rules: Path) -> None:
    import torch

    target = tmp_path / "touched"
    path = tmp_path / "evil.pt"
    torch.save({"w": torch.zeros(2), "hook": RunsSystem(target)}, str(path))
    _, report = scan_json("--rules", rules, "--show-secrets", path)
    assert not target.exists()
    (finding,) = _unsafe(report)
    assert finding["secret"].endswith(".system")
    assert finding["location"] == f"{path}!evil/data.pkl"


def test_torch_zip_checkpoint_key_and_member(tmp_path: Path, rules: Path) -> None:
    path = tmp_path / "ckpt.pt"
    key = torch_checkpoint(path)
    _, report = scan_json("--rules", rules, "--show-secrets", path)
    finding = by_secret(report, key)
    assert finding["location"] == f"{path}!ckpt/data.pkl"
    assert finding["member"] == "ckpt/data.pkl"
    assert finding["provenance"]["key"] == "hub_token"
    assert _unsafe(report) == []  # real torch tensors only use allowlisted rebuild helpers
    assert report["problems"] == []


def test_torch_storages_are_never_read(tmp_path: Path, rules: Path) -> None:
    import torch

    path = tmp_path / "big.pt"
    torch.save({"w": torch.zeros(600_000), "cfg": {"t": "x" * 10}}, str(path))
    with zipfile.ZipFile(path) as zf:
        assert max(i.file_size for i in zf.infolist()) > 2_000_000
    result = scan_api(path, rules, Limits(max_member_size=1_000_000))
    assert result.problems == []  # the 2.4 MB storage was skipped, not refused for size


def test_legacy_torch_and_tar_checkpoints(tmp_path: Path, rules: Path) -> None:
    legacy = tmp_path / "legacy.pth"
    tarred = tmp_path / "old.ckpt"
    keys = {torch_legacy(legacy), torch_tar_legacy(tarred)}
    _, report = scan_json("--rules", rules, "--show-secrets", tmp_path)
    assert secrets_of(report) == keys
    assert by_secret(report, torch_tar_legacy(tmp_path / "again.ckpt"))
    assert _unsafe(report) == []


@pytest.mark.parametrize(
    "compress", [0, 3, ("zlib", 1), ("gzip", 3), ("lzma", 3), ("xz", 3), ("bz2", 3)]
)
def test_joblib_plain_and_compressed(
    tmp_path: Path, rules: Path, compress: int | tuple[str, int]
) -> None:
    path = tmp_path / "model.joblib"
    key = joblib_file(path, compress)
    _, report = scan_json("--rules", rules, "--show-secrets", path)
    finding = by_secret(report, key)  # stored after raw array data: the walk resumed
    assert finding["provenance"]["key"] == "service_key"
    assert _unsafe(report) == []
    assert report["problems"] == []


def test_numpy_object_arrays(tmp_path: Path, rules: Path) -> None:
    keys = {npy_object(tmp_path / "objs.npy")} | set(npz_archive(tmp_path / "arrays.npz").values())
    _, report = scan_json("--rules", rules, "--show-secrets", tmp_path)
    assert secrets_of(report) == keys
    members = {f["member"] for f in report["findings"] if f["member"]}
    assert members == {"objs.npy", "names.npy"}


def test_memo_and_stack_bombs_are_bounded(
    tmp_path: Path, rules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(picklewalk, "MAX_OPS", 100_000)
    monkeypatch.setattr(picklemachine, "MAX_STACK", 20_000)
    (tmp_path / "marks.pkl").write_bytes(b"\x80\x02" + b"(" * 50_000 + b".")
    (tmp_path / "nested.pkl").write_bytes(b"\x80\x02" + b"]" * 50_000 + b".")
    memo = b"\x80\x02]q\x00" + b"h\x00h\x00\x86q\x000" * 60_000 + b"."
    (tmp_path / "memo.pkl").write_bytes(memo)
    claims = b"\x80\x04\x8e" + (2**60).to_bytes(8, "little") + b"abc"
    (tmp_path / "claims.pkl").write_bytes(claims)
    started = time.monotonic()
    code, report = scan_json("--rules", rules, tmp_path)
    assert time.monotonic() - started < 20
    assert code == 0
    problems = dict(p.split(": ", 1) for p in report["problems"])
    assert "marks deeper than the limit" in problems[str(tmp_path / "marks.pkl")]
    assert "stack deeper than the limit" in problems[str(tmp_path / "nested.pkl")]
    assert "opcodes than the limit" in problems[str(tmp_path / "memo.pkl")]
    assert "truncated or invalid pickle" in problems[str(tmp_path / "claims.pkl")]


def test_truncated_and_corrupted_pickles_warn(tmp_path: Path, rules: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    plain_pickle(src / "a.pkl", 4)
    torch_checkpoint(src / "b.pt")
    torch_legacy(src / "c.pt")
    joblib_file(src / "d.joblib", 3)
    joblib_file(src / "e.joblib", 0)
    npy_object(src / "f.npy")
    bad = tmp_path / "bad"
    written = damaged_copies(src, bad, {"half": first_half, "flip": _flip})
    (bad / "empty.pkl").write_bytes(b"")
    problems = scan_problems("--rules", rules, bad)
    for name in written:
        if name.startswith("half-"):
            assert name in problems


def _flip(data: bytes) -> bytes:
    """Four bytes a third of the way in replaced."""
    third = len(data) // 3
    return data[:third] + b"\xfe\xfd\xfc\xfb" + data[third + 4 :]


def test_walk_reads_nothing_past_the_limit() -> None:
    data = pickle.dumps({"k": "v" * 100}, protocol=4)
    scan = walk_pickles(io.BytesIO(data), limit=40)
    assert scan.problems and "limit" in scan.problems[0]


def test_allowlist() -> None:
    assert is_safe_global("torch._utils._rebuild_tensor_v2")
    assert is_safe_global("collections.OrderedDict")
    assert is_safe_global("torch.FloatStorage")
    assert is_safe_global("numpy.core.multiarray._reconstruct")
    for name in (
        "os.system",
        "posix.system",
        "subprocess.Popen",
        "builtins.eval",
        "builtins.getattr",
        "torch.load",
        "numpy.load",
        "__main__.Model",
        "docutils.nodes.section",  # only a Sphinx doctree's own classes are spared
    ):
        assert not is_safe_global(name)
    for name in (
        "numpy.matrixlib.defmatrix.matrix",
        "__torch__.m.TestModule",
        "__builtin__.xrange",
    ):
        assert is_safe_global(name)
    assert is_dangerous_global("posix.system") and is_dangerous_global("builtins.eval")
    assert not is_dangerous_global("sklearn.linear_model.LogisticRegression")


def _calls(*names: str) -> bytes:
    """A protocol 2 pickle: a list of ``name()`` results, one ``GLOBAL`` + ``REDUCE`` each."""
    body = b"".join(b"c%s\n%s\n)R" % tuple(n.encode().rsplit(b".", 1)) for n in names)
    return b"\x80\x02](" + body + b"e."


_DOCTREE = ("sphinx.addnodes.document", "docutils.nodes.section", "docutils.nodes.Text")
_DOCTREE += ("sphinx.addnodes.desc_signature", "docutils.frontend.Values")


def test_sphinx_doctrees_are_build_artifacts_not_models(tmp_path: Path, rules: Path) -> None:
    """Sphinx pickles its doctrees (docs/.doctrees/*.doctree, environment.pickle); their
    docutils/Sphinx classes are not reported, a code-running global in the same file is."""
    trees = tmp_path / "docs" / ".doctrees"
    trees.mkdir(parents=True)
    (trees / "index.doctree").write_bytes(_calls(*_DOCTREE))
    env = ("sphinx.environment.BuildEnvironment", "sphinx.config.Config", "sphinx.project.Project")
    (trees / "environment.pickle").write_bytes(_calls(*env, "sphinx.util._pathlib._StrPath"))
    (trees / "api.doctree").write_bytes(_calls(*_DOCTREE, "posix.system"))
    (tmp_path / "model.pkl").write_bytes(_calls("docutils.nodes.section", "__main__.Net"))
    _, report = scan_json("--rules", rules, "--show-secrets", tmp_path)
    found = {(Path(f["path"]).name, f["secret"]) for f in _unsafe(report)}
    assert found == {
        ("api.doctree", "posix.system"),
        ("model.pkl", "docutils.nodes.section"),  # no document root: not a doctree
        ("model.pkl", "__main__.Net"),
    }
    assert reported_globals(["sphinx.addnodes.document", "sphinx.addnodes.setup"]) == [
        "sphinx.addnodes.setup"
    ]


def test_a_librarys_own_data_pickles_are_not_models(tmp_path: Path, rules: Path) -> None:
    """babel/locale-data/*.dat, networkx/.../tests/*.gpickle: a package pickling its own classes
    inside its own tree; the same pickle elsewhere, or a code-running global, is reported."""
    own = tmp_path / "site-packages" / "kgfakelib" / "locale-data"
    own.mkdir(parents=True)
    data = _calls("kgfakelib.dates.DateTimePattern", "kgfakelib.plural.PluralRule")
    (own / "en.dat").write_bytes(data)
    (own / "evil.dat").write_bytes(_calls("kgfakelib.dates.DateTimePattern", "os.system"))
    with zipfile.ZipFile(tmp_path / "kgfakelib-1.0-py3-none-any.whl", "w") as whl:
        whl.writestr("kgfakelib/locale-data/fr.dat", data)
    (tmp_path / "model.pkl").write_bytes(data)
    _, report = scan_json("--rules", rules, "--show-secrets", tmp_path)
    found = {(Path(f["path"]).name, f["secret"]) for f in _unsafe(report)}
    assert found == {
        ("evil.dat", "os.system"),
        ("model.pkl", "kgfakelib.dates.DateTimePattern"),
        ("model.pkl", "kgfakelib.plural.PluralRule"),
    }


def test_code_running_global_reported_past_the_cap_on_names() -> None:
    harmless = [f"pkg.mod.Class{i}" for i in range(picklemachine.MAX_UNSAFE + 10)]
    scan = walk_pickles(io.BytesIO(_calls(*harmless, *harmless[:5], "os.system")), 1 << 20)
    names = [u.name for u in scan.unsafe]
    assert len(names) == len(set(names)) == picklemachine.MAX_UNSAFE + 1  # each name once
    assert names[-1] == "os.system"


def test_bin_files_zip_and_legacy_and_mislabelled_text(tmp_path: Path, rules: Path) -> None:
    zipped = tmp_path / "hf" / "pytorch_model.bin"
    legacy = tmp_path / "old" / "pytorch_model.bin"
    zipped.parent.mkdir()
    legacy.parent.mkdir()
    keys = {torch_checkpoint(zipped), torch_legacy(legacy)}
    text_key = fake_key("text-named-pkl")
    (tmp_path / "notes.pkl").write_text(f"not a pickle\nkey = {text_key}\n")
    _, report = scan_json("--rules", rules, "--show-secrets", tmp_path)
    assert secrets_of(report) == keys | {text_key}
    assert any("notes.pkl" in p and "invalid pickle" in p for p in report["problems"])


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_numpy_string_arrays_inside_pickles_and_joblib(
    tmp_path: Path, rules: Path, protocol: int
) -> None:
    import joblib  # type: ignore[import-untyped,unused-ignore]
    import numpy as np

    pickled = fake_key(f"np-unicode-{protocol}")
    (tmp_path / "arr.pkl").write_bytes(
        pickle.dumps({"names": np.array(["ab", pickled])}, protocol=protocol)
    )
    unicode_key, bytes_key = fake_key("joblib-unicode"), fake_key("joblib-bytes")
    joblib.dump(
        {"u": np.array(["ab", unicode_key]), "s": np.array([b"x", bytes_key.encode()]), "t": "end"},
        str(tmp_path / "arr.joblib"),
    )
    _, report = scan_json("--rules", rules, "--show-secrets", tmp_path)
    assert secrets_of(report) == {pickled, unicode_key, bytes_key}
    assert report["problems"] == []

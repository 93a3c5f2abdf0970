"""AWS keys: a SigV4-signed sts:GetCallerIdentity against a real moto server (IAM
authentication on, over TLS through the test-only route), pairing the key id and the secret key
found in the same file."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from scanner.cli import main
from tests.verify.conftest import Moto

pytestmark = pytest.mark.slow

FAKE_ID = "AKIAKGFAKEQ7W3E4R5TY"
FAKE_SECRET = "kgFake9Qz/3xVb7+Lm2Np5Rt8Wy1Hc4Jd6Fs0GkT"


@pytest.fixture(autouse=True)
def _aws_rules_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, root: Path) -> None:
    """The built-in AWS rules alone (a copy: the rest of ``rules/`` is not what this is about),
    trusted as the built-in pack; this test's own cache and working directory."""
    pack = tmp_path / "builtin"
    pack.mkdir()
    shutil.copy(root / "rules" / "aws.toml", pack / "aws.toml")
    monkeypatch.setattr("scanner.rulebook.loader.builtin_rules_dir", lambda: pack)
    monkeypatch.setenv("KEYGUARD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def sts(moto_sts: Moto, route: Callable[[dict[str, str]], None]) -> Moto:
    route({"sts.amazonaws.com": moto_sts.address})
    return moto_sts


def scan(path: Path, *extra: str) -> Result:
    args = ["scan", str(path), "--verify", "-f", "json", "--no-color", "-j", "1", *extra]
    return CliRunner().invoke(main, args)


def write(tmp_path: Path, text: str) -> Path:
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "settings.py").write_text(text, encoding="utf-8")
    return src


def verifications(result: Result) -> dict[str, dict[str, str]]:
    assert result.exit_code in (0, 1), (result.output, result.exception)
    doc = json.loads(result.stdout)
    return {f["rule_id"]: f["verification"] for f in doc["findings"]}


def test_live_key_pair(sts: Moto, tmp_path: Path) -> None:
    src = write(
        tmp_path,
        f'AWS_ACCESS_KEY_ID = "{sts.key_id}"\nAWS_SECRET_ACCESS_KEY = "{sts.secret}"\n',
    )
    result = scan(src)
    found = verifications(result)
    assert set(found) == {"aws.access-key-id", "aws.secret-access-key"}
    for v in found.values():
        assert v["status"] == "live"
        assert v["verifier"] == "aws.sts-get-caller-identity"
        assert "123456789012" in v["detail"]  # moto's account
    assert sts.secret not in result.stdout and sts.key_id not in result.stdout
    assert CliRunner().invoke(main, ["scan", str(src), "--verify", "--fail-on-verified",
                                     "-f", "json", "-j", "1"]).exit_code == 1  # fmt: skip


def test_unknown_key_is_invalid(sts: Moto, tmp_path: Path) -> None:
    src = write(
        tmp_path, f'AWS_ACCESS_KEY_ID = "{FAKE_ID}"\nAWS_SECRET_ACCESS_KEY = "{FAKE_SECRET}"\n'
    )
    found = verifications(scan(src, "--fail-on-verified"))
    assert {v["status"] for v in found.values()} == {"invalid"}
    assert all("InvalidClientTokenId" in v["detail"] for v in found.values())


def test_wrong_secret_is_invalid(sts: Moto, tmp_path: Path) -> None:
    src = write(
        tmp_path, f'AWS_ACCESS_KEY_ID = "{sts.key_id}"\nAWS_SECRET_ACCESS_KEY = "{FAKE_SECRET}"\n'
    )
    found = verifications(scan(src))
    assert {v["status"] for v in found.values()} == {"invalid"}
    assert all("SignatureDoesNotMatch" in v["detail"] for v in found.values())


def test_a_key_id_alone_is_unknown(sts: Moto, tmp_path: Path) -> None:
    src = write(tmp_path, f'AWS_ACCESS_KEY_ID = "{sts.key_id}"\n')
    found = verifications(scan(src))
    assert found["aws.access-key-id"]["status"] == "unknown"
    assert "no secret access key" in found["aws.access-key-id"]["detail"]


def test_sts_unreachable_is_an_error(
    route: Callable[[dict[str, str]], None], tmp_path: Path
) -> None:
    from testing.servers import free_port

    route({"sts.amazonaws.com": f"127.0.0.1:{free_port()}"})  # nothing listens there
    src = write(
        tmp_path, f'AWS_ACCESS_KEY_ID = "{FAKE_ID}"\nAWS_SECRET_ACCESS_KEY = "{FAKE_SECRET}"\n'
    )
    found = verifications(scan(src))
    assert {v["status"] for v in found.values()} == {"error"}

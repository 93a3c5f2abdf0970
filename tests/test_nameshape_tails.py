"""Provider rules anchored on a nearby provider word do not take ids, hashes and versions."""

from __future__ import annotations

import json
import secrets
import uuid

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.nameshape import names_non_secret


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        ('stripe_request_id = "', True),
        ("ACME_COMMIT: ", True),
        ("# acme release ", True),
        ('"acme_project_id": "', True),
        ("acme_checksum=", True),
        ("acme_build_hash: ", True),
        ("ACME_API_KEY=", False),
        ('acme_key: "', False),
        ("x-api-key: ", False),
        ("VAULT_SECRET_ID=", False),  # a secret id is a credential
        ("TELEGRAM_API_HASH=", False),  # so is an API hash
        ("https://build:", False),  # a user name in a URL, not a setting name
        # the algorithm a key is for, after a key or user option: not a digest's name
        ("ntp authentication-key 1 md5 ", False),
        ("snmp-server user monitor MONGRP v3 auth sha ", False),
        ('createUser pollster SHA "', False),
        ("file md5 ", True),  # a file's checksum
        # a command's file argument before the value: no setting's name
        ("state.pkg /tmp/salt_state.tgz ", True),
        ("./salt-ssh-copy-id.sh ", True),
        ("acme_config.json = ", False),  # a setting named after a file, with its operator
        ("acme release md5 ", True),
        ("", False),
        # prose giving an example of the named thing: the name is the word before the connector
        ("Opsgenie alert ids (e.g. `", True),
        ("acme request ids, such as ", True),
        ("Acme API key (e.g. `", False),
        ("e.g. ", False),
    ],
)
def test_names_non_secret(before: str, expected: bool) -> None:
    assert names_non_secret(before) is expected


def test_provider_rule_skips_ids_and_hashes_but_finds_the_key(tmp_path: object) -> None:
    from pathlib import Path

    root = Path(str(tmp_path))
    hexkey = "".join(secrets.choice("0123456789abcdef") for _ in range(32))
    (root / "noise.py").write_text(
        f'walkscore_request_id = "{uuid.uuid4()}"\n'
        f'walkscore_checksum = "{secrets.token_hex(16)}"\n'
        f"# walkscore release {secrets.token_hex(20)}\n"
    )
    (root / "real.env").write_text(f"WALKSCORE_API_KEY={hexkey}\n")
    result = CliRunner().invoke(
        main,
        [
            "scan",
            str(root),
            "-f",
            "json",
            "-j",
            "1",
            "--show-secrets",
            "--only-rule",
            "walkscore.*",
        ],
    )

    findings = json.loads(result.stdout)["findings"]
    assert [(f["location"].rsplit("/", 1)[-1], f["secret"]) for f in findings] == [
        ("real.env", hexkey)
    ]

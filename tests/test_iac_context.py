"""Generic rules on infrastructure as code (``scanner.assignment``): Ansible modules, Puppet
manifests and Hiera, PowerShell, Pacemaker's CIB. What such files write beside a credential
word without holding a credential stays silent; a literal in a module's EXAMPLES is reported."""

from __future__ import annotations

import pytest

from scanner.matcher import Matcher
from scanner.models import Finding
from testing.scan import scan_text

FINGERPRINT = "9F4AC71E3B5D2E8F6A0C4B7D1E9F3A5C7B2D8E6F"  # made up: 40 hex digits
PASSWORD = "oedu2eGhKg7"
Q3 = "'" * 3


def generic(found: list[Finding]) -> set[str]:
    return {f.secret.reveal() for f in found if f.rule_id.startswith("generic.")}


SILENT = [
    # a cluster manager's ids of an operation and of a state transition
    (
        "spec/fixtures/cib.xml",
        '<lrm_rsc_op id="p_kg_monitor_0" operation_key="7c2e9a41-5b3d-4f8e-a1c6-2d9b4e7f0a35"/>',
    ),
    (
        "spec/fixtures/cib.xml",
        '<lrm_rsc_op id="p_kg_monitor_0" '
        'transition-key="14:94:7:7c2e9a41-5b3d-4f8e-a1c6-2d9b4e7f0a35"/>',
    ),
    # a package repository's signing key: an OpenPGP fingerprint, beside the key server
    (
        "manifests/repo.pp",
        f"  $apt_kgfake_repo_key = '{FINGERPRINT}',\n"
        "  $apt_kgfake_repo_key_server = 'keyserver.ubuntu.com',\n",
    ),
    (
        "README.md",
        "apt::source { 'kgfake':\n  location => 'http://deb.example.org/kgfake',\n"
        f"  key      => '{FINGERPRINT}',\n  repos    => 'main',\n}}\n",
    ),
    # a Puppet data type, a registry key, a variable's member, a template's slot
    ("types/settings.pp", "  Optional['PassUserInfoAs'] => Pattern[/^((claims|json)\\s?)+$/],"),
    ("module_utils/core.py", "        settings[key] = AnsibleK8SModule.default_settings[key]"),
    (
        "win_snmp.ps1",
        '$Managers_reg_key = "HKLM:\\System\\CurrentControlSet\\services\\SNMP\\Parameters\\Kg"',
    ),
    ("win_dsc.ps1", '$password = $Params."$($property_name)_password"'),
    ("config/cloud-config.ini.template", "[default]\nkgfake_password: @PASSWORD\n"),
    ("spec/classes/redis_spec.rb", "  :requirepass => '_VALUE_'"),
    # a form's label in base64, numbered stand-ins, a value typed along the keyboard
    ("playbooks/portal.yml", "- key: ui_login_password\n  value: UGFzc3dvcmQ6\n"),
    ("iscsi.yml", "inbound_password: password_1\noutbound_password: password_2\n"),
    ("backend_spec.rb", "  :pure_api_token => 'abc123def456ghi789'"),
    # an option spec in a module's code: a call, not a passphrase
    ("plugins/modules/kg_ssid.py", '        psk=dict(type="str", no_log=True),'),
]


@pytest.mark.parametrize(("path", "text"), SILENT)
def test_iac_shapes_that_hold_no_credential_are_silent(
    engine_matcher: Matcher, path: str, text: str
) -> None:
    assert scan_text(engine_matcher, text, path) == [], text


def test_a_key_of_forty_hex_digits_without_a_repository_around_is_reported(
    engine_matcher: Matcher,
) -> None:
    text = f"class {{ 'kg':\n  name => 'x',\n  key      => '{FINGERPRINT}',\n}}\n"
    assert FINGERPRINT in generic(scan_text(engine_matcher, text, "manifests/init.pp"))


def test_a_key_of_forty_hex_digits_beside_a_repository_alone_is_reported(
    engine_matcher: Matcher,
) -> None:
    """A CI job's deploy key stands beside its repository too: only a key server, a package
    manager, OpenPGP or a keyring nearby make a 40-digit key a fingerprint."""
    text = f"deploy:\n  repository: kg/webapp\n  key: {FINGERPRINT.lower()}\n"
    assert FINGERPRINT.lower() in generic(scan_text(engine_matcher, text, "ci/deploy.yml"))


def test_a_key_id_beside_a_key_server_is_still_a_secret_under_a_secret_name(
    engine_matcher: Matcher,
) -> None:
    """Only a plain ``key`` is taken for a fingerprint: an ``api_key`` stays a credential."""
    text = f"api_key = '{FINGERPRINT.lower()}'\nkey_server = 'keyserver.ubuntu.com'\n"
    assert FINGERPRINT.lower() in generic(scan_text(engine_matcher, text, "deploy/app.ini"))


MODULE = (
    f"DOCUMENTATION = r{Q3}\nmodule: kg_fake_user\n{Q3}\n\n"
    f"EXAMPLES = {Q3}\n- name: Add a user\n  kg.fake.user:\n    name: alex\n"
    f"    password: {PASSWORD}\n{Q3}\n\n"
    "def run(password: KgSecretType) -> None:\n    token: KgTokenType = load()\n"
)


def test_a_literal_in_a_modules_examples_is_reported_and_its_code_is_not(
    engine_matcher: Matcher,
) -> None:
    """The YAML in ``EXAMPLES = '''...'''`` holds values, not type annotations; the code
    after the string still reads ``password: KgSecretType`` as one."""
    found = generic(scan_text(engine_matcher, MODULE, "plugins/modules/kg_fake_user.py"))
    assert found == {PASSWORD}

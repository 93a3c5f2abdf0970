"""Value and name predicates of the generic rules (``scanner.valueshape``, ``valuekinds``,
``valuemeasure``)."""

from __future__ import annotations

import pytest

from scanner.nameshape import Kind, name_info, split_name
from scanner.valuekinds import (
    is_code_reference,
    is_data_literal,
    is_hash,
    is_identifier_like,
    is_nullish,
    is_path_or_url,
    is_placeholder_value,
    is_template,
    is_uuid,
    is_weak_value,
)
from scanner.valuemeasure import (
    camel_words,
    counting_share,
    is_interleaved,
    is_random_part,
    word_coverage,
)
from scanner.valueshape import is_described_password, reject_reason
from testing.cases import Cases, Predicate, predicate_cases


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("MISTRAL_API_KEY", ["mistral", "api", "key"]),
        ("newRelicKey", ["new", "relic", "key"]),
        ("--db-password", ["db", "password"]),
        ("HTTPSProxyPassword", ["https", "proxy", "password"]),
        ("spring.datasource.password", ["spring", "datasource", "password"]),
    ],
)
def test_split_name(name: str, tokens: list[str]) -> None:
    assert split_name(name) == tokens


NAME_KINDS = {
    Kind.PASSWORD: [
        "password",
        "db_password",
        "DBPASSWORD",
        "mysql_pwd",
        "smtp_pass",
        "passphrase",
        "ldap_bind_password",
        "keystorePassword",
        "password2",  # rclone's crypt remote: a numbered second password
        "WS-DB-PASS",  # a COBOL data item
    ],
    Kind.SECRET: [
        "client_secret",
        "SECRET_KEY",
        "api_key",
        "apiKey",
        "private_key",
        "auth_token",
        "config.secret",  # a settings object's member (Kemal's session config)
    ],
    Kind.TOKEN: ["access_token", "refreshToken", "token_2"],
    Kind.KEY: ["encryption_key", "license_key", "file_encryption_key"],
    Kind.AUTH: ["credentials"],
}


@pytest.mark.parametrize(
    ("name", "kind"), [(name, kind) for kind, names in NAME_KINDS.items() for name in names]
)
def test_name_kinds(name: str, kind: Kind) -> None:
    info = name_info(name)
    assert info.kind is kind and not info.reason, info


def describes_something_else(name: str) -> bool:
    info = name_info(name)
    return bool(info.reason) or info.kind is Kind.NONE


def code_or_rejected(value: str) -> bool:
    return is_code_reference(value) or bool(reject_reason(value, Kind.PASSWORD, False, True))


PREDICATES = {
    is_described_password: Cases(
        yes=[
            "admin_password_42",
            "Secret#2023",
            "MyTestPassw0rd!",
            "t3stp4ss",
            "wrong-token-9",
            "NewStrongPassword1",
            "passwdpasswd",
            "hello_world_7",
            "S3kr1t",
            "some-kind-of-secret",
            "prompt1_password",
            "vault_secret_2",
            "secondTestPassword",
        ],
        no=[
            "Kq7#vTz2!mPw9x",
            "Summer2024!",
            "Tr0ub4dor&3",
            "pass9f3kq2",
            "MyCompanyPass1",
            "passage77",
            "keyboard42",
            "testimony1",
            "my_new_home_7",
            "ключ-пароль-1",
            "one2three",
            "Zk8mP2vLq9Tx",
        ],
    ),
    describes_something_else: Cases(
        yes=[
            "GPG_SIGNING_KEY",  # a GPG key's id, not the key
            "InstrumentationKey",  # Application Insights: sent by every browser
            "password_hash",
            "hashed_password",
            "password_min_length",
            "PasswordLastUsed",
            "token_type_ids",
            "pad_token_id",
            "api_key_id",
            "secret_name",
            "token_url",
            "cache_key",
            "config_key",  # a key into configuration
            "sort_key",
            "primary_key",
            "public_key",
            "next_page_token",
            "csrf_token",
            "session_key",
            "KeyFingerprint",
            "forgot_password",
            "password_reset_url",
            "result_key",
            "keyword",
            "keyboard",
            "tokenizer",
            "bypass",
            "passfile",
            "passed",
            "monkey",
            "author",
            "sha256",  # a digest's name, with or without its number
            "md5",
            "keyword2",
            "public_key2",
            "WS-PASS-PROMPT",  # a COBOL data item holding the prompt's text
            "auth_tag",  # an AEAD cipher's tag beside the ciphertext (Chef data bags)
            "file-key",  # a Figma file's id
            "s3_object_key",  # an object's path in a bucket
        ]
    ),
    is_hash: Cases(
        yes=[
            "pbkdf2_sha256$600000$Kq7vTz2mPw9x$Zm9vYmFyYmF6cXV4cXV1eA=",
            "sha1$6efc0$f93efe9fd7542f25a7be94871ea45aa95de57161",
            "md5$salt$5f4dcc3b5aa765d61d8327deb882cf99",
            "$2b$12$Kq7vTz2mPw9xFk3gQ9zLm2pWqRtZkPmVbXnAbCdEfGhIjKlMnOpQr",
            "$argon2id$v=19$m=102400,t=2,p=8$c2FsdHNhbHQ$aGFzaGhhc2g",
            "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA",
            "bcrypt_sha256$$2b$12$Kq7vTz2mPw9xFk3gQ9zLm2",
            "{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=",
            "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d08f00a08",
            "sha512-Zm9vYmFyYmF6cXV4cXV1eGZvb2JhcmJhenF1eHF1dXg=",
            "$6$rounds=5000$saltsalt$Kq7vTz2mPw9x",
            "md50d6dee96633d2c0eab6e3b0d6b89cdd9",  # PostgreSQL md5(password || user)
            "SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy",
            "pbkdf2:sha256:50000$KgFake1z$0de171a4f4dac32e3364c7ddc7c14f3e2fa61f2d17574483f7ffbb",
            "scrypt:32768:8:1$KgFakeSalt$5f4dcc3b5aa765d61d8327deb882cf995f4dcc3b5aa765d6",
        ],
        no=[
            "Kq7#vTz2!mPw9x",
            "$ilv3rw1ll0w!",
            "s3cr3t$value",
            "abc$def",
            "pbkdf2:sha256:Kgfake$pw",  # the method's words, but no salt and digest
        ],
    ),
    is_template: Cases(
        yes=[
            "{{ db_password }}",
            "${DB_PASSWORD}",
            "%s",
            "%(password)s",
            "{}",
            "{0}",
            "{password}",
            "$PASSWORD",
            "$db_pass",
            "<your-password>",
            "@DB_PASS@",
            "#{secret}",
            ":password",
            "$HOME/.pgpass",
            "__PASSWORD__",
            "%DB_PASSWORD%",
            "@PASSWORD",  # a config template's slot (ansible-test's cloud-config templates)
            "_VALUE_",
            "$Params.",  # PowerShell $Params."$($name)_password", cut at the quote
            "$config->",
            "%s/2.0/repositories/{workspace}/{repo_slug}/deploy-keys/{key_id}",
        ],
        no=[
            "$ilv3rw1ll0w!",
            "$Marble41",
            "G@l@xy7&6",
            "Kq7#vTz2!mPw9x",
            "@Kg7fake",
            "@ABC",
            "_Kg7fake_",
            "$Kg7.fake",
            "Kq7{ab}x!Z#v%T2m&P9w^Lx4",  # one brace pair in a generated password: soup
        ],
    ),
    code_or_rejected: Cases(
        yes=[
            "self.password",
            "settings.SECRET_KEY",
            "AxisOrder.AUTHORITY",
            "get_password()",
            "config.get(",
            "os.environ[",
            "this.props.token",
            "$this->password",
        ]
    ),
    # dotted key material is not code
    is_code_reference: Cases(
        # a Rust path read up to its generic arguments (``Vec::<u8>``, ``read_i32::<BigEndian>``)
        yes=["Vec::", "buf.read_i32::", "kg_fake::Codec::"],
        no=[
            "j2WqJlIT.Mh57CEnSlMwMpTZfIF5nsyrG",
            "GT8oUDfa.RLEHcuvXX6uEOTKW5sWK34He",
            "::",
            "Kq7#v::",
        ],
    ),
    is_path_or_url: Cases(
        yes=[
            "~/.custompgpass",
            "/run/secrets/db_password",
            "./certs/server.key",
            "C:\\keys\\a.pem",
            "HKLM:\\System\\CurrentControlSet\\services\\SNMP\\Parameters",  # a registry key
            "HKEY_LOCAL_MACHINE\\SOFTWARE\\KgFake",
            "Registry::HKEY_USERS\\S-1-5-18",
            "config/credentials.json",
            "https://auth.example.org/oauth2/token",
            "file:///etc/x",
            "my-app/5026-stage-150723_224258.war",
            "id_rsa.pub",
            # test data files named after the keys they hold
            "kgfake-alice-bob-nistp256.pgp",
            "7kq2zr-kgrsa.pgp",
            "kg-fake-release.sig",
        ],
        no=[
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzKeyGuard1",
            "/bosrGJqEuSRCEfy+VwY8/A5XMDp71IOlmtC/xh6",
            "https://user:Kq7vTz2m@db.internal/",
            "Kq7#vTz2!mPw9x",
            "HKLM7Kq#vTz2",  # the hive's letters without ":\\" start no registry key
        ],
    ),
    is_data_literal: Cases(
        yes=[
            "2016-09-08T21:47:36Z",
            "1.2.3",
            "10.0.0.1:5432",
            "12px",
            "#fff",
            "3600",
            # a dependency's version range (npm, Cargo): ``"minipass": "^4.0.0"``
            "^4.0.0",
            "~1.2.3",
            ">=2.1.0",
            "<3.0.0-rc.1",
        ],
        no=["^Kq7vTz2", "~kgfake1.2", "^4.0.0x!"],
    ),
    is_nullish: Cases(
        yes=[
            "None",
            "null",
            "True",
            "str",
            "SecretStr",
            "Optional[str]",
            "Sequence[GrantLoadKey]",
            "utf-8",
        ]
    ),
    is_identifier_like: Cases(
        yes=[
            "reset_password_confirm",
            "auth.password.invalid",
            "current-password",
            "refreshTokenExpiresIn",
            "X-MLflow-Guardrail-Bypass",
            "SECRET_KEY_SETTING",
            "form-control",
        ]
    ),
    is_placeholder_value: Cases(
        yes=[
            "YourPassword",
            "changeme",
            "your-api-key-here",
            "xxxxxxxx",
            "<password>",
            "mypassword",
            "пароль",  # "password", in another language
            "Passwort",
            # capital words naming the credential they stand for
            "MYSUPERSECRETKEY",
            "VERYLONGSECRETSTRINGTHATNOONEKNOWS",
            "THISISMYAPIKEY",
            "SUPERSECRETJWTSIGNINGKEY",
        ],
        # weak, but real values: not placeholders
        no=[
            "admin",
            "changeit",
            "P@ssw0rd",
            "root",
            "Tr0ub4dor&3",
            # capitals that do not name a credential, or are drawn (few vowels, digits)
            "MONKEYBUSINESS",
            "QWXZKVBNMSECRETRTY",
            "JBSWY3DPEHPK3PXP",
            "MYSUPERSECRETKEY2",
        ],
    ),
    is_weak_value: Cases(yes=["admin", "changeit", "P@ssw0rd", "root"]),
    is_uuid: Cases(yes=["5c1f9a2e-8b7d-4e3a-9f06-2d4b8c7e1a93"], no=["5c1f9a2e-8b7d-4e3a-9f06"]),
}


@pytest.mark.parametrize(("predicate", "value", "expected"), predicate_cases(PREDICATES))
def test_predicates(predicate: Predicate, value: str, expected: bool) -> None:
    assert bool(predicate(value)) is expected


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("ServerlessV2PlatformVersions", 3),
        ("V1SecretVolumeSource", 3),
        ("Ipv6CidrAssociations", 3),
        ("BlueFalcon77", 2),
        ("Mh57CEnSlMwMpTZfIF5nsyrG", 0),
        ("Summer2024", 0),
        ("hruJbvG8ajxEgMpyQoqd", 0),
        ("ZWbkmADcjHyh", 0),  # stray capitals between vowel-less runs: random letters
        ("XmlHttpRequest", 3),  # vowel-less acronym words, but no stray letters: a name
        ("AvgPool2d", 2),
    ],
)
def test_camel_words(value: str, words: int) -> None:
    assert camel_words(value) == words


@pytest.mark.parametrize(
    ("value", "kind", "quoted", "code", "reason"),
    [
        ("Summer2024!", Kind.PASSWORD, True, True, ""),
        ("Tr0ub4dor&3", Kind.PASSWORD, False, False, ""),
        ("Shadow_Sunset1", Kind.PASSWORD, True, True, ""),
        ("5c1f9a2e-8b7d-4e3a-9f06-2d4b8c7e1a93", Kind.SECRET, True, True, ""),
        ("self.password", Kind.PASSWORD, False, True, "lookup"),
        ("db_password", Kind.PASSWORD, False, True, "identifier"),
        ("None", Kind.PASSWORD, False, True, "nullish"),
        ("${X}", Kind.PASSWORD, True, False, "template"),
        ("sha1$ab$cdef0123456789", Kind.PASSWORD, True, False, "hash"),
        ("~/.pgpass", Kind.PASSWORD, True, False, "path"),
        ("@jupyterlab/apputils:IThemeManager", Kind.TOKEN, True, True, "identifier"),
        ("aws:ResourceTag/backup", Kind.KEY, True, False, "identifier"),
        ("1f:51:ae:28:bf:89:e9:d8:1f:25", Kind.KEY, True, False, "identifier"),
        ("CorrectHorseStaple", Kind.PASSWORD, True, True, "identifier"),
        ("recursively", Kind.PASSWORD, False, False, "word"),
        ("+t),t.slice(0,-1)+", Kind.KEY, False, True, "expression"),
        ("12", Kind.PASSWORD, False, True, "data"),
        # forms of real code (tests/test_real_code_shapes.py)
        ("arn:aws:iam::aws:policy/KeyGuardFake", Kind.PASSWORD, True, True, "identifier"),
        ("application/vnd.keyguard+json", Kind.AUTH, True, True, "mime-type"),
        ("StrictKeyGuardChecking=no", Kind.KEY, True, True, "option"),
        ("0x00800000", Kind.PASSWORD, False, True, "number"),
        ("debug3:", Kind.PASSWORD, False, False, "label"),
        ("Get-KeyGuardParam", Kind.PASSWORD, False, False, "expression"),
        ("$input-", Kind.PASSWORD, False, True, "expression"),
        ("$auth[0]:$auth[1]", Kind.PASSWORD, True, True, "template"),
        ("@ESXI_KEYGUARD_PASSWORD", Kind.PASSWORD, False, False, "template"),
        ("KEYGUARD-FAKE-COOKIE-2", Kind.AUTH, True, True, "identifier"),
        ("2YotnFZFEjr1zCsicMWpAA", Kind.TOKEN, True, True, "documentation"),
        ("A3ddj3w", Kind.PASSWORD, True, True, "documentation"),
        ("h480djs93hd8", Kind.TOKEN, True, True, "documentation"),
        ("android", Kind.PASSWORD, True, False, "documentation"),
        ("keyguardKeySha256", Kind.KEY, True, True, "identifier"),
        # forms measured on a fresh real-code set (sdists of cloud, auth and ORM libraries)
        ("py:class:", Kind.PASSWORD, False, False, "label"),
        ("1*SAFE", Kind.PASSWORD, False, False, "grammar"),
        ("__regenerate__", Kind.PASSWORD, True, True, "sentinel"),
        ("NetworkAdapter.2.", Kind.KEY, True, True, "identifier"),
        (
            "key-kg.host.FakeAdapter-0a1b2c3d4e5f60718293a4b5c6d7e8f9",
            Kind.KEY,
            True,
            False,
            "identifier",
        ),
        ("kgBackup.key-kg.host.FakeNic-vmk3", Kind.KEY, True, False, "identifier"),
        ("kgBridge3.kgSlotNumber", Kind.KEY, True, False, "identifier"),
        ("KGFS3.UseKGForHBOnKGFS5", Kind.KEY, True, False, "identifier"),
        ("T-KG-2019-FAKEIMG-64-2-4-50", Kind.KEY, True, False, "identifier"),
        ("password-for-6380", Kind.PASSWORD, True, False, "placeholder"),
        ("da39a3ee5e6b4b0d3255bfef95601890afd80709", Kind.TOKEN, True, True, "digest"),
        ("D41D8CD98F00B204E9800998ECF8427E", Kind.SECRET, True, True, "digest"),
        # still credentials
        ("0x4c0883a69102937d6231471b5dbb6204", Kind.SECRET, True, True, ""),
        ("Pa$word77x", Kind.PASSWORD, True, True, ""),
        ("Summer-Time7", Kind.PASSWORD, False, False, ""),
        ("WillowLotus=2348", Kind.PASSWORD, True, False, ""),  # an option's shape, a password
        ("freya.Horse56", Kind.PASSWORD, True, True, ""),  # a word, a dot, a word and digits
        ("StrictHostKeyChecking=no", Kind.SECRET, True, False, "option"),
        # keyword settings: ASP.NET <machineKey validationKey="AutoGenerate,IsolateApps">
        ("AutoGenerate,IsolateApps", Kind.KEY, True, False, "list"),
        ("AutoGenerate, IsolateByAppId", Kind.KEY, True, False, "list"),
        ("Kq7vTz2mPw9x,Rk8Pn3Bc6Hj1", Kind.KEY, True, False, ""),  # two keys, not names
        ("AB12-CD34-EF56", Kind.KEY, True, False, ""),
        ("A-1234-5678", Kind.KEY, True, False, ""),
        ("Kq7.Wm8Kq2Lx7Tz4Rb9Vn3HcQp", Kind.SECRET, True, True, ""),
        ("__Kq7vTz2mPw9x", Kind.PASSWORD, True, True, ""),
        ("2*Fast", Kind.PASSWORD, False, False, ""),
        # base64 of "0123456789abcdef", of {"foo": "bar"} (a cursor)
        ("MDEyMzQ1Njc4OWFiY2RlZg==", Kind.SECRET, True, True, "encoded-word"),
        ("eyJmb28iOiAiYmFyIn0=", Kind.SECRET, True, True, "encoded-word"),
        # base32 of "abcdefghijklmnopqrst" (an OTP test seed) and of random bytes (a real one)
        ("MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U", Kind.SECRET, True, True, "encoded-word"),
        ("mfrggzdfmztwq2lknnwg23tpobyxe43u", Kind.SECRET, True, True, "encoded-word"),
        ("PI7ZDRHIWJOQN4NJYPT3FVHWBCQ4K===", Kind.SECRET, True, True, ""),
        ("keyguard@fake.invalid", Kind.SECRET, True, True, "email"),
        ("grant_type=password&username=kg&password=x9", Kind.SECRET, True, True, "query"),
        ("3306:3306", Kind.SECRET, True, True, "ports"),
        ("eyJhbGciOiJub25lIn0.e30.", Kind.SECRET, True, True, "jwt"),
        ("access_key%2F20170322%2Fus-west-2%2Fsts%2F", Kind.SECRET, True, True, "path"),
        # keys their provider hands to clients: a PaymentIntent's client secret, RevenueCat
        ("pi_3KgFakeQ7vLm2Xw9Tz_secret_Rk8Pn3Bc6Hj1Vy5Sd", Kind.SECRET, True, True, "public-key"),
        ("appl_Kq7Lm2Xv9Tz4Rk8Wp3Nb6Hj1Vy", Kind.KEY, True, True, "public-key"),
        # an age recipient (a public key), also a plugin's
        (
            "age1fakekeyguardntagyawnkmguz8y9psgkhrnhu3jsns5g8v39gl0460h02f",
            Kind.KEY,
            False,
            False,
            "public-key",
        ),
        (
            "age1yubikey1qfakekeyguardhcucfhv7ntl7muzy328eaa7t4vs5cazn5nm8x4wvpaztlw",
            Kind.KEY,
            True,
            False,
            "public-key",
        ),
        # random, though it spells a few words
        ("jF7HW0PnylKgGtmZdonOicGfTIFw", Kind.SECRET, True, True, ""),
        ("d8ZJUhe2xp+U3TnFoLuTW2k+L74Brz8HyxxRBPApO0w=", Kind.SECRET, True, True, ""),
        # typed along the keyboard: counting runs all through a key, not a password
        ("abcdef123456", Kind.KEY, True, True, "placeholder"),
        ("1234abcd-1234-abcd-1234-abcd1234adcd", Kind.SECRET, True, True, "placeholder"),
        ("cltoken-1234-5678-9012-345678901234", Kind.TOKEN, True, True, "placeholder"),
        ("abcdef12-1234-9876-0000-abcdef098765", Kind.KEY, True, True, "placeholder"),
        ("Admin12345", Kind.PASSWORD, True, True, ""),
        # the name of what goes there: an environment variable, a substitution marker
        ("KG_FAKE_DB_PASSWORD", Kind.PASSWORD, False, False, "placeholder"),
        ("_KGC_DBPASS_", Kind.PASSWORD, True, False, "placeholder"),
        ("XXX_FAKEPASSWORD_XXX2", Kind.PASSWORD, True, False, "placeholder"),
        ("KG_FAKE_API_KEY", Kind.SECRET, True, False, "placeholder"),
        ("FAKE_2024_RELEASE", Kind.PASSWORD, True, False, ""),  # names no credential
        # a command-line option's name
        ("--password", Kind.PASSWORD, True, True, "cli-option"),
        ("--passphrase-fd", Kind.PASSWORD, True, True, "cli-option"),
        ("--privproto=", Kind.PASSWORD, True, True, "cli-option"),
        ("--Kq7vFake2mLp", Kind.PASSWORD, True, True, ""),
        # Zabbix macros, FreeRADIUS and Ruby expansions
        ("{$KG.FAKE.PASSWORD}", Kind.PASSWORD, True, False, "template"),
        ("kgjmx[{#FAKEOBJ},Count]", Kind.KEY, True, False, "template"),
        ("%{Stripped-User-Name}", Kind.KEY, True, False, "template"),
        ("kgacct_%{Fake-Session-Id}", Kind.KEY, True, False, "template"),
        # a monitoring item key or metric name of dotted lower-case words
        ("kgvendor.5300.fan.discovery", Kind.KEY, False, False, "identifier"),
        ("kgfake.3500_24s.net.uptime", Kind.KEY, False, False, "identifier"),
        ("kq7v.2mlp.9xz4", Kind.KEY, False, False, ""),  # one word: no name
        ("6337ff461c94fd3fa32ba3b1ff4125", Kind.TOKEN, True, True, ""),
        # package.json: a dependency whose name holds "pass" (minipass, getpass)
        ("^4.0.0", Kind.PASSWORD, True, False, "data"),
        # Rust: a path cut at its turbofish (``let p: Password = Vec::<u8>::arbitrary(..)``)
        ("Vec::", Kind.PASSWORD, False, True, "identifier"),
        ("kgfake-alice-bob-nistp256.pgp", Kind.KEY, True, True, "path"),
    ],
)
def test_reject_reason(value: str, kind: Kind, quoted: bool, code: bool, reason: str) -> None:
    assert reject_reason(value, kind, quoted, code) == reason


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ("pciBridge0", False),  # words and a trailing digit: a setting name
        ("UseKGForHBOnKGFS5", False),
        ("Mh57CEnSlMwMpTZ", True),
        ("hruJbvG8ajxEgMpyQoqd", True),  # word-like runs, but digits inside: key material
    ],
)
def test_is_random_part(part: str, expected: bool) -> None:
    assert is_random_part(part) is expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("Mapl3.r0cket5", ""),  # words with digits inside, joined by a dot: a password
        ("p4ss.w0rd", ""),
        ("form.password2", "identifier"),  # a dotted name: its parts are words
        ("extensions.v1beta1.Ingress", "identifier"),
    ],
)
def test_a_dotted_password_is_not_a_code_reference(value: str, reason: str) -> None:
    assert reject_reason(value, Kind.PASSWORD, True, True) == reason


@pytest.mark.parametrize("value", ["String!", "[String!]!", "ID!"])
def test_a_graphql_type_is_not_a_password(value: str) -> None:
    assert reject_reason(value, Kind.PASSWORD, False, False, True) == "type"


@pytest.mark.parametrize(
    ("value", "kind", "quoted", "reason"),
    [
        ("Hornet.Lake42", Kind.SECRET, True, ""),  # FreeRADIUS ``secret = "Hornet.Lake42"``
        ("Quartz.Mill77", Kind.PASSWORD, False, ""),  # a bare value in a config file
        ("Maple.Orbit.Tide9", Kind.PASSWORD, False, ""),  # three capitalised words, digits
        ("Settings.MqttPassword", Kind.PASSWORD, False, "identifier"),
        ("Crypto.Cipher.AES", Kind.SECRET, False, "identifier"),
        ("Hornet.Lake42", Kind.TOKEN, True, "identifier"),  # only passwords and secrets
    ],
)
def test_a_dotted_password_in_a_config_file(
    value: str, kind: Kind, quoted: bool, reason: str
) -> None:
    assert reject_reason(value, kind, quoted, False, True) == reason


@pytest.mark.parametrize(
    ("value", "interleaved"),
    [
        ("zjmopd1gfzjcg3macocnv6csav0b2ch2", True),  # random base 36
        ("k3j9x2m5n8q1w4e7r0t6y3u9i2o5p8a1", True),
        ("cachedvol112233", False),  # a name and a number
        ("release_2024_01", False),
        ("user1profile2settings3", False),  # three digit runs
        ("abcdefghijklmnop1q2r3s4", False),  # a 16-letter run: words, not a key
        ("a1b2", False),  # too short to count four digit runs among enough changes
    ],
)
def test_is_interleaved(value: str, interleaved: bool) -> None:
    assert is_interleaved(value) is interleaved


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("HSIH5=!vC_F_kJUXKgfake", ""),  # a password holding '=' after a digit
        ("gI3nk5pbKgfakeQ0-", ""),  # a password that ends in '-'
        ("FILTER=x", "assignment"),  # the next setting after an empty value
        ("DB_HOST2=db", "assignment"),
        ("$input-", "expression"),  # $input->getArgument(...) cut at '>'
        ("AQAAANCMnd8BFdERjHoAwE/Cl+sBAAAAKgFakeKgFakeKgFake", "encrypted"),  # DPAPI data
        ("minioadmin", "documentation"),
    ],
)
def test_password_value_forms(value: str, reason: str) -> None:
    assert reject_reason(value, Kind.PASSWORD, quoted=False, code=False, config=True) == reason


@pytest.mark.parametrize("name", ["authDomain", "AUTH0_DOMAIN", "token_host", "secret_hostname"])
def test_host_and_domain_names_are_not_credentials(name: str) -> None:
    assert name_info(name).reason


@pytest.mark.parametrize(
    ("value", "share"),
    [
        ("abcdef123456", 1.0),
        ("9012", 1.0),  # digits wrap
        ("9876-0000", 1.0),  # down, and the same
        ("AABCDEFG", 7 / 8),  # a run changes direction: the next one starts over
        ("Admin12345", 0.5),
        ("abc123", 0.0),  # runs shorter than four
        ("aBcD", 0.0),  # letters count within one case
        ("Q3AM3UQ867SPQQA43P2F", 0.0),
        ("", 0.0),
    ],
)
def test_counting_share(value: str, share: float) -> None:
    assert counting_share(value) == pytest.approx(share)


@pytest.mark.parametrize(
    ("value", "share"),
    [
        ("Summer2024!", 6 / 11),
        ("MY_SECRET_KEY_NAME", 15 / 18),
        ("StrengthsFinder", 1.0),  # five consonants in a row still spell a word
        ("getHTTPSConnection", 1.0),
        # six consonants in a row spell none: the letter runs of drawn upper-case keys
        ("YQEN5H2W2OTKQZWZMYER", 4 / 20),
        ("VKIAJBRHKH6EVTTNXDHA", 0.0),
    ],
)
def test_word_coverage(value: str, share: float) -> None:
    assert word_coverage(value) == pytest.approx(share)

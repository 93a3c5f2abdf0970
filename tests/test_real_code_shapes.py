"""Shapes of real code that merely *look* like credential assignments (measured on published
packages in Python, JS, Go, PHP, PowerShell and YAML), and the real credentials next to them
that must still be found. Lines are synthetic, written for these tests."""

from __future__ import annotations

import pytest

from scanner.matcher import Matcher
from scanner.models import Finding
from scanner.nameshape import Kind, name_info
from scanner.valueforms import is_encoded_word
from testing.cases import unmark
from testing.scan import scan_text


def _secrets(found: list[Finding]) -> set[str]:
    return {f.secret.reveal() for f in found}


NOISE = [
    # docstring fields that document a credential parameter
    ("lib/api.py", "    :param str vault_password: Base-64 text read from the prompt.\n"),
    ("lib/api.py", "    :type signing_key: ~fakepkg.models.SigningKeyInfo\n"),
    # ARNs of managed policies, MIME types, option strings
    (
        "lib/enums.py",
        'KEYGUARD_ROTATE_PASSWORD = "arn:aws:iam::aws:policy/KeyGuardRotatePassword"\n',
    ),
    ("lib/media.go", 'mediaTypeOAuthFakePreview = "application/vnd.keyguard.fake-preview+json"\n'),
    ("lib/ssh.py", 'host_key = "StrictKeyGuardChecking=no"\n'),
    # constants named after a credential that hold something else
    ("lib/x11.py", 'auth_protocol = "KEYGUARD-FAKE-COOKIE-2"\n'),
    ("lib/fmt.py", 'KEYGUARD_AUTH_MAGIC = b"keyguard-key-v7\\x00"\n'),
    ("lib/flags.js", "exports.KEYGUARD_EXPIRED_PASSWORDS = 0x00800000;\n"),
    ("lib/cfg.js", "if (opts.keyguardPasswordPolicyState !== 'REQUIRE') {\n"),
    ("spec/kms.json", '{"privateKey": "a2V5R3VhcmRGYWtlCg=="}\n'),
    # a message that mentions a password
    ("spec/uri.json", '{"description": "a colon in the password: pw-colon-after-2"}\n'),
    # a docstring sentence, a log line label
    ("lib/json.py", '    """Then pass :paramref:`.engine.fake_serializer` to it."""\n'),
    ("tests/test_conn.py", "    b'[become] password: debug3: read packet type 7'\n"),
    # PowerShell cmdlets, PHP member calls and interpolation, Go struct tags and concatenation
    ("m/user.ps1", '$password = Get-KeyGuardParam -obj $params -name "password"\n'),
    ("m/user.ps1", "$certPassword = ConvertTo-SecureString -String $pw -AsPlainText\n"),
    ("src/Cmd.php", "        $password = $input->getOption('password');\n"),
    ("src/Client.php", '$opts[\\CURLOPT_USERPWD] = "$auth[0]:$auth[1]";\n'),
    ("pkg/x.pb.go", 'M map[string]string `protobuf_key:"bytes,1,opt,name=key,proto3" json:"m"`\n'),
    ("pkg/x.pb.go", 's = append(s, "Token: "+fmt.Sprintf("%#v", this.Token)+",\\n")\n'),
    ("pkg/ldap.go", "\tLDAPPassword: ldapPassword,\n"),
    # a template value, the next command-line option
    ("ci/cloud.ini.template", "esxi_password: @ESXI_KEYGUARD_PASSWORD\n"),
    ("docs/users.sh", "adduser --system --disabled-password --no-create-home keyguard\n"),
    # published standard examples (RFC 6749 / RFC 5849)
    ("lib/oauth2.py", '    "access_token":"2YotnFZFEjr1zCsicMWpAA",\n'),
    ("lib/oauth1.py", '    oauth_consumer_key="dpf43f3p2l4k3l03",\n'),
    # entry points and doc roles, namespaced fields, header names, YAML tags, keyring calls
    ("pyproject.toml", 'password = "fakepkg.loading.identity.generic:KeyGuardPassword"\n'),
    ("docs/plugins.rst", "- v3password: :py:class:`fakepkg.identity.v3.Password`\n"),
    ("sdk/server.py", 'ud_key = "KG-EXT-SRV-ATTR:user_data"\n'),
    ("sdk/cloud.py", "_KG_OBJECT_SHA256_KEY = 'x-object-meta-x-keyguard-sha256'\n"),
    ("zuul.d/jobs.yaml", "      password: !encrypted/pkcs1-oaep\n"),
    ("sdk/region.py", "keyring.set_password('fakesdk', cache_id, state)\n"),
    (
        "rules/openstack.py",
        "        self.application_credential_secret = application_credential_secret\n",
    ),
    ("lib/provider.js", 'const bigIntKeys = "chainId,gasLimit,gasPrice,keyGuardFee".split(/,/);\n'),
    (
        "docs/certs.ts",
        ' *  printf "[EXT]\\nkeyUsage=digitalSignature\\nextendedKeyUsage=serverAuth"\n',
    ),
    ("lib/cmd.js", "`fake appcheck:set --key-id KG12FAKE34 --private-key @KeyGuardKey.p8`\n"),
    ("lib/constants.js", 'Constants.KEYGUARD_AUTH = "fakekeyguardauth.googleapis.com";\n'),
    ("src/Form.java", 'fields.put("password_field", "passwordInput");\n'),
    ("src/q.ts", "const q = `password=${pw}&user=${user}`;\n"),
    ("tasks/sql.ps1", "    SqlCredential = $keyguardSqlCredential\n"),
    ("tasks/run.ps1", '    "PassThru" = $True\n'),
    ("answers.conf", "OVESETUP_KG_DB/password=none:None\n"),
    ("vars/main.yml", "kg_SSLPassPhraseDialog: exec:/usr/libexec/keyguard-pass-dialog\n"),
    ("vars/main.yml", "pwd: 'U2FsdGVkX19KeyGuardFakeOpenSSLSaltedBlob0='\n"),
    ("plugins/nxos.py", 'tablekey = "TABLE_keyguard_users"\n'),
    ("docs/x.md", "authtoken = f23blad6-5965-4537-bf69-5b5a545blabla88\n"),
    ("gen/discovery.ts", '    "clientSecret": "my_clientSecret",\n'),
    (
        "inventory.yaml",
        "password: __encrypt__KeyGuardFakeIv0Q==:KeyGuardFakeCipherText0Q0Q0Q0Q0Q=\n",
    ),
    ("application.properties", "db.password=ENC(KeyGuardFakeJasyptCipherText0)\n"),
    ("secrets.enc.yaml", "password: ENC[AES256_GCM,data:KeyGuardFake,iv:Zm9v,type:str]\n"),
    ("tests/test_proxy.py", "    self.proxy._IMAGE_SHA256_KEY: '" + "b5d54c39e6" * 6 + "abcd',\n"),
    ("docs/api.html", "prompt_or_password = rf&#34;({root_prompt}\n"),
    ("ecs/utils.py", 'env_key = f"KEYGUARD__{CONFIG_GROUP_NAME}__{AllKgKeys.RUN_TASK}".upper()\n'),
    ("tests/test_scrub.py", '    "token=%5BFiltered%5D&theme=dark&session=%5BFiltered%5D",\n'),
    # provider words inside other words, identifiers next to a provider word
    ("lib/a.php", "'fake\\\\db2keywords' => '/Platforms/Keywords/DB2KeyGuardWords.php',\n"),
    ("lib/s3.js", 'parseUrl(u); [{ [aw]: "UseS3KeyGuardFakeEndpoint" }]\n'),
    ("lib/gr.py", "from fake.gumroad.views import FakeKeyGuardOAuth2Adapter\n"),
    # measured on 48 PyPI sdists and 21 npm tarballs: an ARN segment, a header name, the
    # textbook UUID, the verb "pass", a protocol GUID, base64 of a counting sequence, a URL's
    # userinfo (the URL rules judge it), an encoded path, an e-mail,
    # a port mapping, an unsigned JWS
    ("apis/sm.examples.json", '"ARN": "&region-arn;:us-west-2:&Acct;:secret:KgFake1-a1b2c3",\n'),
    ("lib/s3.js", "  SSECustomerKey: 'x-amz-server-side-encryption-customer-key-MD5',\n"),
    ("schemas/us-east-1.json", ' "AWS::KeyGuard::ApiKey": "b899a0d240b53d9d",\n'),
    ("apis/sc.examples.json", '"clientToken": "550e8400-e29b-41d4-a716-446655440000"\n'),
    ("src/compiler.py", 'if pass_arg == "environment":\n'),
    ("lib/ws.py", 'WS_KEY: Final[bytes] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"\n'),
    ("lib/cpk.py", 'CPK_KEY_VALUE = "MDEyMzQ1NjcwMTIzNDU2NzAxMjM0NTY3MDEyMzQ1Njc="\n'),
    ("lib/req.py", "x = parse('git+https://kg+deploy-token-1:KeyGuardFake9x@git.invalid/a/b')\n"),
    ("lib/sts.py", "'X-Amz-Credential=access_key%2F20170322%2Fus-west-2%2Fsts%2F'\n"),
    ("lib/url.py", '# user: "me", password: "keyguard@fake.invalid"\n'),
    ("docs/db.sh", "docker run -e MYSQL_DATABASE=kg -d -p 3306:3306 mysql:8.0\n"),
    ("lib/jwt.py", 'token = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.e30."\n'),
    ("src/Cfg.h", '#define TOKEN_HEADER "X-KeyGuard-Token"\n'),
    ("db/init.sql", "CREATE USER app IDENTIFIED BY '${DB_PASSWORD}';\n"),
    ("app/Dockerfile", "ENV GPG_KEY 7169605F62C751356D054A26A821E680E5FA6305\n"),
    ("app/Dockerfile", "ENV DB_PASSWORD_FILE /run/secrets/db_password\n"),
    # a tokenizer's vocabulary, a test suite's result log, a documented placeholder
    ("docs/dialects.py", 'conn = "DRIVER={ODBC Driver 18};UID=scott;PWD=pass+word;"\n'),
    (
        "data/tekken.json",
        '{"rank": 7, "token_bytes": "IGtleWd1YXJkZmFrZQ==", "token_str": null}\n',
    ),
    ("testsuite/check.log", "PASS: gdb.base/break-keyguard.exp: run until main\n"),
    # measured on a fresh set (36 PyPI sdists, 16 npm tarballs): a negated member, the next
    # variable of a command line, a field size, an algorithm name, a tag URI, a URL with a long
    # scheme, a private constant's name, a docstring type, a variable named after the password,
    # a base class or argument after an LDAP name, LDAP schema keywords
    ("docs/guide.md", "if (mod.type !== 'keyguardpassword' || !mod.vals || !mod.vals.length)\n"),
    ("Readme.md", "$ KG_HOST=localhost KG_PASSWORD= FILTER=integration npm test\n"),
    ("lib/payload.js", "  // cchKeyGuardPassword: 2-byte\n"),
    ("tests/test_conn.py", "await con.execute(\"SET password_encryption = 'scram-sha-256';\")\n"),
    ("vendor/yaml/constructor.py", "if key_node.tag == 'tag:yaml.org,2002:merge':\n"),
    (
        "tests/test_queues.py",
        "URL_CREDS = 'keyguardstoragequeues://KeyGuardFakeIdentity@https://kg.invalid/'\n",
    ),
    ("lib/service_account.py", "_PKCS12_KEY = '_private_key_pkcs12'\n"),
    ("lib/crypt.py", "        private_key_password: String. Password for the PKCS#12 key.\n"),
    ("EXAMPLES.md", '    "password": kg300_pass,\n'),
    ("examples/changepasswd.py", "class LdapPassword(KeyGuardHandler):\n"),
    ("examples/changepasswd.py", "encoded = self.encodeLdapPassword(newPassword)\n"),
    (
        "schemas/ds.py",
        "\"( 2.16.840.1.999.1 NAME 'kgBindPassword' DESC 'Fake attribute' SYNTAX 1.3.6.1 )\"\n",
    ),
    # measured on a fresh set (cloud SDK helpers, auth and mail clients, ORMs, vSphere)
    ("docs/send.rst", "Pass :py:class:`keyguard.fake.Message` objects to the client.\n"),
    ("lib/sasl.py", "# passwd    = 1*KGSAFE ; MUST accept a long value\n"),
    ("lib/driver.py", '        password = "__kg_generate__"\n'),
    ("lib/driver.py", '        prefix_key = "KeyGuardAdapter.1."\n'),
    ("lib/hdr.py", "    It sends the 'Authorization: Basic KeyGuardEncoded==' header\n"),
    (
        "fx/list.json",
        '  "nextLink": "https://kg.invalid/vms?api-version=2024-01-01&$skiptoken=1!/Subs/'
        '0000/Groups/FAKE/VMs/KG-01"\n',
    ),
    ("fx/image.xml", "    <osImageKey>T-KG-2019-FAKEIMG-64-2-4-50</osImageKey>\n"),
    ("tests/test_proto.py", '        "auth_data": b"Kq7!vTz2&mPw9@xLr4N",\n'),
    ("tests/test_sql.py", "    f\"CREATE USER '{self.user}' IDENTIFIED BY '{self.kg_pw}'\"\n"),
    ("README.md", '  { port: 6380, password: "password-for-6380" },\n'),
    (
        "test/grant.js",
        "grant.access_token.signature = 'da39a3ee5e6b4b0d3255bfef95601890afd80709'\n",
    ),
    (
        "app/web.config",
        '<assemblyIdentity name="KeyGuard.Fake" publicKeyToken="0a1b2c3d4e5f6071" />\n',
    ),
    (
        "tests/PublicKey.py",
        '    PublicKey(key_id="1234567", key="Kq7vTz2mPw9xLr4NWm8Kq2Lx7Tz4Rb9Vn3HcQpE=")\n',
    ),
    (
        "tests/replay.txt",
        "GET\n/repos/kg/fake/actions/secrets/public-key\n200\n[('Server', 'kg')]\n"
        '{"key_id":"1234567","key":"Kq7vTz2mPw9xLr4NWm8Kq2Lx7Tz4Rb9Vn3HcQpE="}\n',
    ),
    (
        "tests/host.json",
        '{"key": "key-kg.host.FakeAdapter-0a1b2c3d4e5f6071",'
        ' "lun": "kgNfc.key-kg.host.Nic-vmk1"}\n',
    ),
    ("tests/vm.yaml", "<extraConfig><key>kgBridge3.kgSlotNumber</key><value>17</value>\n"),
    (
        "tests/session.yaml",
        "<returnval><key>52bdb99d-0a1b-2c3d-4e5f-60718293a4b5</key><userName>kg\n",
    ),
    # a password spelled from the words that describe one, in a test or a tutorial
    ("tests/test_pool.py", '    pool = Pool(host="db", password="admin_password_42")\n'),
    ("docs/setup.rst", '    DATABASES["default"]["PASSWORD"] = "NewStr0ngPassw0rd!"\n'),
    ("tests/fixtures/users.json", '{"name": "kg", "password": "T3st-Secret#9"}\n'),
]


@pytest.mark.parametrize(("path", "text"), NOISE)
def test_real_code_noise_is_not_reported(engine_matcher: Matcher, path: str, text: str) -> None:
    found = scan_text(engine_matcher, text, path)
    assert not found, [(f.rule_id, f.secret.reveal()) for f in found]


# (path, text with the credential between << and >>)
KEPT = [
    ("deploy/app.yaml", "password: <<Summer-Time7>>\n"),
    ("src/db.php", '$password = "<<Kq7$vTz2!mPw>>";\n'),
    ("src/cfg.ps1", "$password = '<<Tr0ub4dor&3x>>'\n"),
    ("deploy/app.env", "DB_PASSWORD=<<!Kq7vTz2mPw9x>>\n"),
    ("src/cfg.py", 'SECRET = "<<aB3{Kq7}vTz2mPw9x>>"\n'),
    ("src/cfg.py", 'password = "<<Kq7%21vTz2mPw9x>>"\n'),
    ("deploy/app.env", "DB_PASSWORD=<<tulip-kayak-ember-velvet7>>\n"),
    ("src/auth.py", 'client.set_password("<<Kq7vTz2!mPw9x>>")\n'),
    ("src/Mail.java", 'props.put("mail.smtp.password", "<<Kq7vTz2mPw9x>>");\n'),
    (
        "src/Api.cs",
        'http.DefaultRequestHeaders.Add("X-Api-Key", "<<kq8Fz2LmX9pT4vW7nB3cR6yH>>");\n',
    ),
    ("src/api.ts", "await fetch(`https://svc.invalid/v1?token=<<kq8Fz2LmX9pT4vW7nB3cR6yH>>`)\n"),
    ("deploy/clouds.yaml", "      application_credential_secret: <<Kgi0vQ2mZx7Lp4Tn8Rb>>\n"),
    (
        "src/eth.py",
        "PRIVATE_KEY = <<0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318>>\n",
    ),
    ("pkg/cfg.go", '\tClientSecret: "<<Wm8Kq2Lx7Tz4Rb9Vn3HcQp>>",\n'),
    ("deploy/ldap.env", "LDAP_BIND_PASSWORD=<<Fk9xKeyGuard2pw>>\n"),
    ("run.sh", "tool login --token <<Pz7Lq2Wx9Km4Tb8Rn3Vc6Hs>>\n"),
    ("spec/kms.json", '{"key": "<<q8Vw2Lk9Tz4Rb7Nn3HcXp6Md1Sf5Gj0Ye+Ua/Wo2Ki8Pl==>>"}\n'),
    # planted into real files: defaults of environment lookups, typed Rust constants,
    # macros and Gradle settings without '=', SQL user statements, SecureStrings
    ("src/cfg.py", 'PASSWORD = os.getenv("DB_PASSWORD", "<<Orbit@4132Kg>>")\n'),
    (
        "src/cfg.py",
        'API_TOKEN = os.environ.get("API_TOKEN", "<<esqD0jctZMZA3KgiqG7BxHCQ8IwRah>>")\n',
    ),
    (
        "lib/app.js",
        "const secret = process.env.APP_SECRET || '<<xYUXwRXegEKg4rKM9zuDiIZLR4Cs>>';\n",
    ),
    ("src/main.rs", 'const API_KEY: &str = "<<GVHkiW39x0Kg7Yi8wTmJD03Z9OYQJl>>";\n'),
    ("src/cfg.h", '#define API_KEY "<<4UnWAtWUOnKgjJRMDXEkcwJ0nZv5hU>>"\n'),
    ("app/build.gradle", "        storePassword '<<Velvet@3959Kg>>'\n"),
    ("db/init.sql", "CREATE USER app IDENTIFIED BY '<<Quartz@6101Kg>>';\n"),
    ("db/init.sql", "ALTER USER app WITH PASSWORD '<<Kayak&497Kg>>';\n"),
    ("ops/run.ps1", '$pw = ConvertTo-SecureString "<<Orbit#7490Kg>>" -AsPlainText -Force\n'),
    ("lua/cfg.lua", 'local secret = "<<jF7HW0PnylKgGtmZdonOicGfTIFw>>"\n'),
    ("src/Mail.cs", 'var c = new NetworkCredential("svc", "<<Tulip#2357Kg>>");\n'),
    ("app/Dockerfile", "ENV DB_PASSWORD <<Falcon&5844Kg>>\n"),
    ("conf.fish", "set -x DB_PASSWORD <<Falcon&5844Kg>>\n"),
    ("src/db.php", "$db = mysqli_connect('localhost', 'app', '<<Ember&6104Kg>>');\n"),
    ("ops/map.bat", "net use Z: \\\\files\\share /user:CORP\\svc <<Maple@734Kg>>\r\n"),
    ("deploy/app.env", "PASS=<<Kq7vTz2!mPw9x>>\n"),
    ("src/keys.py", 'secret_bytes = b"<<Wm8Kq2Lx7Tz4Rb9Vn3HcQp>>"\n'),
    # a session token or secret is a credential (only a session *key* is a session id)
    ("deploy/creds.yaml", 'session_token: "<<Wq4Zr8Lm2Tx7Kb9Vn3Hc5PqRs6Yt>>"\n'),
    ("src/app.py", 'SESSION_SECRET = "<<Kq7vTz2mPw9xLr4NWm8Kq2>>"\n'),
    # a bare key that is not a public key or an id, a key with a UUID under its own name
    (
        "spec/kms.json",
        '{"key_id": "1234567", "key": "<<q8Vw2Lk9Tz4Rb7Nn3HcXp6Md1Sf5Gj0Ye+Ua/Wo2Ki8Pl==>>"}\n',
    ),
    ("src/cfg.py", 'license_key = "<<5c1f9a2e-8b7d-4e3a-9f06-2d4b8c7e1a93>>"\n'),
    # the same spelling outside tests is a weak but real password; a chosen one in a test too
    ("deploy/app.env", "DB_PASSWORD=<<admin_password_42>>\n"),
    ("src/settings.py", 'PASSWORD = "<<NewStr0ngPassw0rd!>>"\n'),
    ("tests/test_pool.py", 'pool = Pool(host="db", password="<<Kq7$vTz2!mPw>>")\n'),
]


@pytest.mark.parametrize(("path", "marked"), KEPT)
def test_real_credentials_next_to_them_are_kept(
    engine_matcher: Matcher, path: str, marked: str
) -> None:
    text, start, end = unmark(marked)
    assert text[start:end] in _secrets(scan_text(engine_matcher, text, path))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("cHJpdmF0ZUtleQo=", True),  # "privateKey\n"
        ("a2V5R3VhcmRGYWtlCg==", True),  # "keyGuardFake\n"
        ("q8Vw2Lk9Tz4Rb7Nn3HcXp6Md", False),  # random bytes
        ("dXNlcjpQYXNzMTIz", False),  # "user:Pass123": a credential, not a word
        ("UGFzc3dvcmQ6", True),  # "Password:": a form's label (Cisco ISE portal settings)
        ("SW52YWxpZCBVc2VybmFtZSBQb2xpY3ku", True),  # "Invalid Username Policy."
        ("czNjcjN0ITo=", False),  # "s3cr3t!:": no word
    ],
)
def test_is_encoded_word(value: str, expected: bool) -> None:
    assert is_encoded_word(value) is expected


@pytest.mark.parametrize(
    "name",
    [
        "auth_protocol",
        "OPENSSH_AUTH_MAGIC",
        "TOKEN_RESOURCE",
        "protobuf_key",
        "password_match",
        "pass_arg",
        "pass_through",
        "$skiptoken",
        "nextPageToken",
        "auth_data",
        "grant.access_token.signature",
        "publicKeyToken",
        "session_key",
        "sessionkey",
        # ciphertext or a digest of a credential, not the credential
        "JWE_Encrypted_Key_5_7_3",
        "encryptedKey",
        "wrapped_key",
        "hashed_token",
        "encrypted_secret",
    ],
)
def test_names_about_something_else(name: str) -> None:
    assert name_info(name).reason


@pytest.mark.parametrize("name", ["pass_phrase", "DB_PASS_PROD", "admin_pass", "smtpPass"])
def test_pass_names_that_stay_passwords(name: str) -> None:
    info = name_info(name)
    assert info.kind is Kind.PASSWORD and not info.reason


# names near the new negative words that must keep their credential kind
STAY_CREDENTIALS = {
    "aws_session_token": Kind.TOKEN,
    "session_secret": Kind.SECRET,
    "authkey": Kind.KEY,
    "bottoken": Kind.TOKEN,
    "encryption_key": Kind.KEY,  # the key that encrypts, not an encrypted one
    "ENCRYPT_KEY": Kind.KEY,
    "wrapping_key": Kind.KEY,
}


@pytest.mark.parametrize(("name", "kind"), STAY_CREDENTIALS.items())
def test_names_that_stay_credentials(name: str, kind: Kind) -> None:
    info = name_info(name)
    assert info.kind is kind and not info.reason

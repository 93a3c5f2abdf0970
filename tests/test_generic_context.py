"""Generic rules in context: assignment syntaxes across languages and formats, the noise they
must not report, and the per-finding confidence (``scanner.assignment``)."""

from __future__ import annotations

import pytest

from scanner.assignment import assess
from scanner.filekind import FileContext, file_context
from scanner.matcher import Matcher
from scanner.models import Confidence, Finding
from scanner.nameshape import Kind
from testing.scan import scan_text


def generic(found: list[Finding]) -> dict[str, Finding]:
    return {f.secret.reveal(): f for f in found if f.rule_id.startswith("generic.")}


# ---------------------------------------------------------------------------------------------
# file context


FILE_CONTEXTS = {
    # a name that only holds "test" is no test file: Latest.java, Contest.cs, attest.py
    FileContext("code", False, False): [
        "src/db.py",
        "src/Latest.java",
        "src/Contest.cs",
        "pkg/attest.py",
        "pkg/testament.py",
        "src/testing.py",
        "client/models/v1_pod_spec.py",  # an API model named after a spec, no RSpec file
    ],
    FileContext("config", False, False): [
        "deploy/app.yaml",
        ".env.production",
        "application.properties",
    ],
    FileContext("shell", False, False): ["scripts/deploy.sh", "Dockerfile"],
    FileContext("markup", True, False): ["docs/install.md"],
    FileContext("code", True, False): [
        "tests/test_auth.py",
        "src/auth.test.ts",
        "pkg/auth_test.go",
        "pkg/tests.py",  # a bare test module, as Django apps name it
        "pkg/test.py",
        "tests.py",
        "lib/test_helper.rb",
        "lib/user_spec.rb",
        "src/UserTest.java",
        "src/UserTests.cs",
    ],
    # lock files, message catalogues, minified or hashed bundles: not judged
    FileContext("code", False, True): [
        "yarn.lock",
        "package-lock.json",
        "static/js/main.00d66947.js",
        "lib/jquery.min.js",
        "static/79.504725712e8f37cb.js",
    ],
    FileContext("config", False, True): [
        "locale/de/LC_MESSAGES/django.po",
        # message catalogs named by their locale: the word for "password" in each language
        "config/locales/pt-BR.yml",
        "lib/plugins/authkg/lang/zh-tw/settings.php",
        "program/localization/fy_NL/labels.inc",
        "translations/messages.fr.yml",
        "resources/lang/sr@latin/auth.php",
    ],
    # a language's sources, a folder that is no locale, a file outside a translations folder
    FileContext("code", False, False): ["src/lang/go/main.go", "lang/src/config.php"],
    FileContext("config", False, False): ["locales/api.yml", "config/de.yml"],
    FileContext("unknown", False, False): [""],
}


@pytest.mark.parametrize(
    ("path", "context"), [(path, fc) for fc, paths in FILE_CONTEXTS.items() for path in paths]
)
def test_file_context(path: str, context: FileContext) -> None:
    assert file_context(path) == context


# ---------------------------------------------------------------------------------------------
# syntaxes: each holds the password Tr0ub4dor&3x (or the key below) and must report it

PASSWORD = "Tr0ub4dor&3x"
KEY = "Zr4Kq9Wm2Lx7Tb3Vn8Hc5Pd1"
UUID_KEY = "5c1f9a2e-8b7d-4e3a-9f06-2d4b8c7e1a93"

PASSWORD_CASES = [
    ("settings.py", f'DATABASE_PASSWORD = "{PASSWORD}"'),
    ("db.py", f'engine = connect(host="db", user="app", password="{PASSWORD}")'),
    ("conf.py", f"CONFIG = {{'db_password': '{PASSWORD}'}}"),
    ("config.js", f'const dbPassword = "{PASSWORD}";'),
    ("env.ts", f"export const config = {{ password: '{PASSWORD}' }};"),
    ("main.go", f'\tpassword := "{PASSWORD}"'),
    ("App.java", f'    private String password = "{PASSWORD}";'),
    ("UserTest.java", f'        user.setPassword("{PASSWORD}");'),
    ("Program.cs", f'        var adminPassword = "{PASSWORD}";'),
    ("app.rb", f"  password: '{PASSWORD}',"),
    ("client.rb", f'  :password => "{PASSWORD}",'),
    ("config.php", f"$db_password = '{PASSWORD}';"),
    ("database.php", f"    'password' => '{PASSWORD}',"),
    ("deploy.sh", f"export DB_PASSWORD={PASSWORD}"),
    ("run.sh", f'MYSQL_PWD="{PASSWORD}" mysql -u app'),
    ("app.yaml", f"database:\n  password: {PASSWORD}\n"),
    ("values.yml", f'smtp:\n  password: "{PASSWORD}"\n'),
    ("config.json", f'{{"user": "app", "password": "{PASSWORD}"}}'),
    ("settings.ini", f"[db]\npassword = {PASSWORD}\n"),
    ("setup.cfg", f"[server]\npasswd={PASSWORD}\n"),
    (".env", f"POSTGRES_PASSWORD={PASSWORD}\n"),
    ("application.properties", f"spring.datasource.password={PASSWORD}\n"),
    ("config.toml", f'[db]\npassword = "{PASSWORD}"\n'),
    ("app.xml", f"<config><password>{PASSWORD}</password></config>"),
    ("web.xml", f'<connection host="db" password="{PASSWORD}" />'),
    ("App.config", f'<add key="DbPassword" value="{PASSWORD}" />'),
    ("Makefile", f"\tmytool deploy --db-password {PASSWORD} --verbose"),
    ("README.md", f"mytool deploy --password={PASSWORD}"),
    ("docker-compose.yml", f"    environment:\n      - DB_PASSWORD={PASSWORD}\n"),
    ("db.py", f'dsn = "host=db port=5432 user=app password={PASSWORD} dbname=x"'),
    ("restore.sh", f"mysql -h db -u root -p{PASSWORD} appdb < dump.sql"),
    (".netrc", f"machine git.internal\n  login deploy\n  password {PASSWORD}\n"),
    ("wp-config.php", f"define( 'DB_PASSWORD', '{PASSWORD}' );"),
    ("Dockerfile", f"ENV DB_PASSWORD={PASSWORD}"),
    ("tests/test_views.py", f'self.client.login(username="admin", password="{PASSWORD}")'),
]


KEY_CASES = [
    ("settings.py", f'STRIPE_LIKE_API_KEY_VALUE = "{KEY}"'.replace("STRIPE_LIKE_", "ACME_")),
    ("config.js", f'const apiKey = "{KEY}";'),
    ("app.yaml", f"service:\n  auth_token: {KEY}\n"),
    ("config.json", f'{{"clientSecret": "{KEY}"}}'),
    (".env", f"APP_SECRET={KEY}\n"),
    ("run.sh", f'curl -H "X-Api-Key: {KEY}" https://api.internal/v1'),
    ("c.py", f'URL = "https://api.internal/v2?api_key={KEY}&page=1"'),
    ("app.xml", f"<apiKey>{KEY}</apiKey>"),
    ("deploy.sh", f"tool login --auth-token {KEY}"),
    ("Client.java", f'client.setApiKey("{KEY}");'),
]


# formats with a rule of their own, found by it rather than by a generic rule
FORMAT_RULES = {".netrc": "netrc."}


@pytest.mark.parametrize(
    ("path", "text", "secret"),
    [(path, text, PASSWORD) for path, text in PASSWORD_CASES]
    + [(path, text, KEY) for path, text in KEY_CASES],
)
def test_syntaxes(engine_matcher: Matcher, path: str, text: str, secret: str) -> None:
    """Found by a generic rule, or by the rule for that format (``FORMAT_RULES``)."""
    found = {(f.secret.reveal(), f.rule_id) for f in scan_text(engine_matcher, text, path)}
    rule = FORMAT_RULES.get(path, "generic.")
    assert any(s == secret and r.startswith(rule) for s, r in found), (text, found)


@pytest.mark.parametrize(
    ("name", "is_key"),
    [(name, True) for name in ("api_key", "client_secret", "auth_token", "subscription_key")]
    + [(name, False) for name in ("request_id", "client_id", "tenant_id", "uuid", "token_id")],
)
def test_uuid_is_a_key_under_a_secret_name_only(
    engine_matcher: Matcher, name: str, is_key: bool
) -> None:
    found = generic(scan_text(engine_matcher, f'{name} = "{UUID_KEY}"', "app.py"))
    assert set(found) == ({UUID_KEY} if is_key else set()), found


# ---------------------------------------------------------------------------------------------
# noise: nothing generic may be reported

NOISE = [
    # password hashes in fixtures and tests (Django, passlib, crypt)
    ("fixtures/users.json", '"password": "pbkdf2_sha256$260000$Kq7vTz2mPw9x$Zm9vYmFyYmF6cXV4="'),
    ("tests/test_hashers.py", 'encoded = "sha1$6efc0$f93efe9fd7542f25a7be94871ea45aa95de57161"'),
    ("tests/test_hashers.py", "password = 'md5$seasalt$f5531bef9f3687d0ccf0f617f0e25573'"),
    ("tests/test_hashers.py", 'password="bcrypt$$2b$12$Kq7vTz2mPw9xFk3gQ9zLm2pWqRtZkPmVbXnAb"'),
    ("tests/test_hashers.py", 'password = "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA"'),
    ("auth.py", 'password_hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d08f0"'),
    # command-line flags, paths, enum members, placeholders
    ("makemessages.py", '"--keyword=gettext_noop", "--keyword=pgettext_lazy:1c,2",'),
    ("base.py", "'passfile': '~/.custompgpass',"),
    ("gis.py", "wgs84_auth = SpatialReference(4326, axis_order=AxisOrder.AUTHORITY)"),
    ("bedrock.py", "self._auth = BedrockAwsAuth(region=region)"),
    ("docs/ref/databases.txt", "password:YourPassword"),
    ("docs/topics/http/sessions.txt", "session_key = '2b1189a188b44ad18c35e113ac6ceead'"),
    ("docs/topics/auth.txt", "    sessionid=mqpbf4o7s9dzrs9khvxz0tr8j8mrdfmh"),
    # identifiers, lookups, templates, types
    ("app.py", "password = self.password"),
    ("app.py", "SECRET_KEY = os.environ['SECRET_KEY']"),
    ("app.py", "api_key = settings.ACME_API_KEY"),
    ("app.py", 'password = "%(password)s" % params'),
    ("app.yaml", 'password: "{{ vault_db_password }}"'),
    ("app.yaml", "password: ${DB_PASSWORD}"),
    ("models.py", "password: str = Field(default=None)"),
    ("types.ts", "  password?: string;"),
    ("views.py", 'template_name = "registration/password_reset_form.html"'),
    (
        "urls.py",
        'path("password_reset/", views.PasswordResetView.as_view(), name="password_reset")',
    ),
    (
        "forms.py",
        'error_messages = {"password_mismatch": _("The two password fields didn’t match.")}',
    ),
    ("site.css", ".password-field { color: #333; }"),
    ("index.html", '<input type="password" name="password" autocomplete="current-password">'),
    ("Web.config", '<add key="DbPassword" value="&lt;password&gt;" />'),  # XML-escaped <password>
    ("pom.xml", '<property name="db.password" value="&lt;your-password-here&gt;"/>'),
    ("model.py", "token_type_ids = torch.zeros(input_shape, dtype=torch.long)"),
    ("model.py", "past_key_values = DynamicCache(config=self.config)"),
    ("k8s.py", "'secret': 'V1SecretVolumeSource',"),
    ("paginators.json", '"result_key": "ServerlessV2PlatformVersions"'),
    (
        "examples.json",
        '"KeyFingerprint": "1f:51:ae:28:bf:89:e9:d8:1f:25:5d:37:2d:7d:b8:ca:9f:f5:f1:6f"',
    ),
    ("crypto.py", 'key = password.encode("utf-8")'),
    ("plugin.js", 'const IHelpers = new Token("@jupyterlab/galata-extension:IGalataHelpers");'),
    ("README.md", "Pass the token to the client; the password must be 8 characters."),
    ("utils.py", '"""Single-pass: recursively build a JSON-native context."""'),
    ("group_vars/all.yml", "ansible_become_password: !vault |"),
    ("i18n.js", "t('password', 'Kq7#vTz2!mPw9x')"),
    ("v1_volume.py", "secret = V1SecretVolumeSource.from_dict(obj)"),
    ("model.py", "self.pool = nn.AvgPool2d(kernel_size=2)"),
    ("auth.py", "auth = _sdk_client.SyncX509WorkloadIdentityAuth(config)"),
    ("data.json", '{"key": 0.25, "token": 12, "secret": -1}'),
    # generated files: lock files, message catalogues, minified code
    *(
        (path, f'password = "{PASSWORD}"')
        for path in (
            "yarn.lock",
            "package-lock.json",
            "locale/fr/LC_MESSAGES/django.po",
            "dist/app.min.js",
        )
    ),
]


@pytest.mark.parametrize(("path", "text"), NOISE)
def test_noise_is_not_reported(engine_matcher: Matcher, path: str, text: str) -> None:
    assert not generic(scan_text(engine_matcher, text, path)), text


# ---------------------------------------------------------------------------------------------
# confidence


def _confidence(engine_matcher: Matcher, text: str, path: str) -> Confidence:
    found = generic(scan_text(engine_matcher, text, path))
    assert len(found) == 1, found
    return next(iter(found.values())).confidence


def test_confidence_orders_names_values_and_paths(engine_matcher: Matcher) -> None:
    strong = _confidence(engine_matcher, f'db_password = "{PASSWORD}"', "app/settings.py")
    in_test = _confidence(engine_matcher, f'db_password = "{PASSWORD}"', "tests/test_settings.py")
    weak = _confidence(engine_matcher, 'db_password = "admin123"', "app/settings.py")
    assert strong >= in_test
    assert strong > weak
    assert weak == Confidence.LOW


def test_assess_scores_password_names_above_key_names() -> None:
    value = "Zr4Kq9Wm2Lx7Tb3V"
    pw = assess(f'password = "{value}"', 0, 12, "app.py")
    key = assess(f'encryption_key = "{value}"', 11, 18, "app.py")
    assert pw is not None and key is not None
    assert pw.kind is Kind.PASSWORD and key.kind is Kind.KEY
    assert pw.score > key.score


def test_min_confidence_filters_low_findings(engine_matcher: Matcher) -> None:
    text = f'db_password = "admin123"\napi_token = "{KEY}"\n'
    found = [
        f for f in scan_text(engine_matcher, text, "app.py") if f.rule_id.startswith("generic.")
    ]
    assert {f.confidence for f in found} >= {Confidence.LOW}
    kept = [f for f in found if f.confidence >= Confidence.MEDIUM]
    assert {f.secret.reveal() for f in kept} == {KEY}


def test_provider_named_password_is_still_reported(engine_matcher: Matcher) -> None:
    """Passwords have no provider format to defer to: ``MYSQL_PASSWORD`` is reported even
    though ``mysql`` names a provider with rules of its own."""
    found = generic(scan_text(engine_matcher, f"MYSQL_PASSWORD={PASSWORD}\n", ".env"))
    assert PASSWORD in found


@pytest.mark.parametrize(
    "form",
    [
        "{name}={value}\n",
        '<add key="{name}" value="{value}" />\n',
        '<property name="{name}">\n  <value>{value}</value>\n</property>\n',
        "exec worker --{name} '{value}' --verbose\n",
    ],
)
def test_a_provider_named_setting_defers_to_the_provider_rules_in_every_syntax(
    engine_matcher: Matcher, form: str
) -> None:
    """A key under a setting named after a provider with rules of its own is theirs to judge
    (its format decides), written as an environment line or an XML setting alike; the same
    value under a neutral name, or a password under the provider's name, is reported."""
    value = "215f6987cf8551c6e2f2944f2963412e496f9c5331b536efe9c05"
    assert not generic(
        scan_text(engine_matcher, form.format(name="ABUSEIPDB_API_KEY", value=value))
    )
    assert value in generic(
        scan_text(engine_matcher, form.format(name="SERVICE_API_KEY", value=value))
    )
    found = generic(scan_text(engine_matcher, form.format(name="MYSQL_PASSWORD", value=PASSWORD)))
    assert PASSWORD in found


# ---------------------------------------------------------------------------------------------
# a credential named by a keyword argument of a call whose own name holds a credential word:
# the callee's name is turned down, but it must not hide the argument from the generic rule


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("src/client.py", 'client = AuthClient(token="{v}", timeout=10)'),
        ("src/client.py", 'vault = SecretClient(api_key="{v}")'),
        ("src/client.js", 'const c = new TokenAuth({{ secret: "{v}" }});'),
        ("src/client.rb", "c = KeyStore.new(auth_token='{v}')"),
    ],
)
def test_keyword_argument_after_a_credential_named_callee_is_found(
    engine_matcher: Matcher, path: str, line: str
) -> None:
    value = "Rq5Wz8Lm3Tx7Kv2Pn9Bc"
    assert value in generic(scan_text(engine_matcher, line.format(v=value), path))


@pytest.mark.parametrize(
    "line",
    [
        'client = AuthClient(timeout="Rq5Wz8Lm3Tx7Kv2Pn9Bc")',  # not a credential argument
        'client = AuthClient(token="${AUTH_TOKEN}")',
        'client = AuthClient(token="your_token_here")',
        "client = AuthClient(token=settings.AUTH_TOKEN)",
    ],
)
def test_keyword_argument_after_a_credential_named_callee_stays_silent(
    engine_matcher: Matcher, line: str
) -> None:
    assert generic(scan_text(engine_matcher, line, "src/client.py")) == {}


@pytest.mark.parametrize("value", ["P@ssw0rd-for-tests", "Test123!kg", "Fake#Pass99"])
def test_a_test_files_password_that_says_it_is_a_test_value_is_not_reported(
    engine_matcher: Matcher, value: str
) -> None:
    """In a test a password spelled with test, fake, demo, mock... is a stand-in; the same
    line in application code is reported."""
    line = f'password = "{value}"\n'
    assert not generic(scan_text(engine_matcher, line, "tests/test_login.py"))
    assert value in generic(scan_text(engine_matcher, line, "app/settings.py"))


@pytest.mark.parametrize(
    "line",
    [
        "Use `Authorization: Bearer k8s-aws-v1.token-N` on every request.",  # a shortened EKS token
        "curl -H 'Authorization: Bearer k8s-aws-v1.REDACTEDTOKENBODY' https://kg.example/api",
        'token = "k8s-aws-v1.token-2"',
    ],
)
def test_a_value_with_a_providers_token_prefix_is_left_to_that_provider_by_every_generic_rule(
    engine_matcher: Matcher, line: str
) -> None:
    """The EKS rule knows what follows ``k8s-aws-v1.`` (the base64url of an STS URL); a body it
    rejects is documentation, and no generic rule (the bearer header rule included) reports it."""
    assert scan_text(engine_matcher, line, "docs/eks.md") == []


def test_a_bearer_token_without_a_provider_prefix_is_still_reported(
    engine_matcher: Matcher,
) -> None:
    line = "curl -H 'Authorization: Bearer Rq5Wz8Lm3Tx7Kv2Pn9BcKgFake' https://kg.example/api"
    assert "Rq5Wz8Lm3Tx7Kv2Pn9BcKgFake" in generic(scan_text(engine_matcher, line, "ops/call.sh"))

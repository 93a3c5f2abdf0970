"""Synthetic credential material for measuring the generic rules: realistic passwords, keys,
tokens and UUID keys assigned in many languages and file formats, and near-miss negatives
(hashes, identifiers, templates, paths, ids, placeholders) in the same syntaxes.

Everything here is generated from a seed; no value comes from a real repository, another
scanner's test data or a labelled benchmark. ``samples()`` is deterministic for a given seed.
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sample:
    """One file: ``secret`` is the credential it holds (None for a negative)."""

    text: str
    path: str
    secret: str | None
    category: str  # password | secret | token | key | uuid-key | neg-<kind>
    syntax: str


# ---------------------------------------------------------------------------------------------
# values

_WORDS = [
    "summer",
    "winter",
    "autumn",
    "spring",
    "falcon",
    "dragon",
    "tiger",
    "river",
    "forest",
    "harbor",
    "castle",
    "rocket",
    "sunset",
    "thunder",
    "marble",
    "silver",
    "copper",
    "orange",
    "purple",
    "violet",
    "maple",
    "cedar",
    "willow",
    "canyon",
    "meadow",
    "island",
    "comet",
    "galaxy",
    "planet",
    "nebula",
    "shadow",
    "crystal",
    "phoenix",
    "garden",
    "bridge",
    "lantern",
    "monday",
    "friday",
    "october",
    "december",
    "coffee",
    "mango",
    "banana",
    "cherry",
    "pepper",
    "ginger",
    "hockey",
    "soccer",
]
_SYMBOLS = "!@#$%^&*?-_+=~."
_LEET = {"a": "@", "e": "3", "o": "0", "s": "$", "i": "1", "t": "7"}


def _word_password(rng: random.Random) -> str:
    word = rng.choice(_WORDS).capitalize()
    tail = rng.choice([str(rng.randint(1, 99)), str(rng.randint(1990, 2026)), ""])
    sym = rng.choice(_SYMBOLS)
    shape = rng.randrange(4)
    if shape == 0:
        return word + (tail or "7") + sym
    if shape == 1:
        return sym + word + (tail or str(rng.randint(10, 99)))
    if shape == 2:
        return rng.choice(_WORDS).capitalize() + sym + word + (tail or "1")
    return word + sym + (tail or str(rng.randint(100, 999)))


def _leet_password(rng: random.Random) -> str:
    word = rng.choice(_WORDS) + rng.choice(_WORDS)
    out = "".join(_LEET.get(c, c) if rng.random() < 0.5 else c for c in word)
    out = out[0].upper() + out[1:]
    if not any(c.isdigit() for c in out):
        out += str(rng.randint(0, 9))
    return out + rng.choice(["", "&" + str(rng.randint(1, 9)), "!", "#"])


def _random_password(rng: random.Random, lo: int = 6, hi: int = 24) -> str:
    n = rng.randint(lo, hi)
    pools = [string.ascii_lowercase, string.ascii_uppercase, string.digits, "!@#$%^&*_-+=?"]
    chars = [rng.choice(p) for p in pools[: rng.choice((3, 4))]]
    alphabet = "".join(pools)
    chars += [rng.choice(alphabet) for _ in range(n - len(chars))]
    rng.shuffle(chars)
    return "".join(chars)


def password(rng: random.Random) -> str:
    """A realistic password: word-based, leetspeak or random, 6-24 characters."""
    kind = rng.randrange(3)
    if kind == 0:
        return _word_password(rng)
    if kind == 1:
        return _leet_password(rng)
    return _random_password(rng)


def _b62(rng: random.Random, n: int) -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        out = "".join(rng.choice(alphabet) for _ in range(n))
        if any(c.isdigit() for c in out) and any(c.isupper() for c in out):
            return out


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _b64(rng: random.Random, n: int) -> str:
    alphabet = string.ascii_letters + string.digits + "+/"
    return "".join(rng.choice(alphabet) for _ in range(n))


def key_value(rng: random.Random) -> str:
    """An API key, token or secret without a provider prefix."""
    shape = rng.randrange(5)
    if shape == 0:
        return _hex(rng, rng.choice((32, 40, 64)))
    if shape == 1:
        return _b62(rng, rng.randint(20, 48))
    if shape == 2:
        return _b64(rng, 40)
    if shape == 3:
        return _b62(rng, 8) + rng.choice("-_.") + _b62(rng, 24)
    return _hex(rng, 8).upper() + _b62(rng, 16)


def uuid_value(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


# ---------------------------------------------------------------------------------------------
# names

NAMES: dict[str, tuple[str, ...]] = {
    "password": (
        "password",
        "db_password",
        "DB_PASSWORD",
        "dbPassword",
        "adminPassword",
        "passwd",
        "pwd",
        "mysql_password",
        "smtp_pass",
        "PASSWORD",
        "user_pass",
        "root_password",
        "redis_password",
        "ldap_bind_password",
        "keystore_password",
        "passphrase",
        "Password",
        "new_password",
        "EMAIL_HOST_PASSWORD",
        "postgres_password",
    ),
    "secret": (
        "client_secret",
        "app_secret",
        "SECRET_KEY",
        "jwt_secret",
        "webhook_secret",
        "secret",
        "consumer_secret",
        "signing_secret",
        "clientSecret",
        "APP_SECRET",
    ),
    "token": (
        "access_token",
        "auth_token",
        "api_token",
        "refresh_token",
        "bot_token",
        "TOKEN",
        "accessToken",
        "authToken",
        "GH_TOKEN_VALUE",
        "deploy_token",
    ),
    "key": (
        "api_key",
        "apiKey",
        "API_KEY",
        "access_key",
        "encryption_key",
        "license_key",
        "subscription_key",
        "master_key",
        "app_key",
        "consumer_key",
        "private_key",
        "secret_key",
    ),
}
NAMES["uuid-key"] = ("api_key", "apiKey", "secret", "client_secret", "auth_token", "license_key")


def _camel(name: str) -> str:
    parts = name.replace("-", "_").split("_")
    return parts[0].lower() + "".join(p.capitalize() for p in parts[1:])


def _pascal(name: str) -> str:
    c = _camel(name)
    return c[0].upper() + c[1:]


def _snake(name: str) -> str:
    out = ""
    for i, ch in enumerate(name):
        if ch.isupper() and i and (name[i - 1].islower()):
            out += "_"
        out += ch.lower()
    return out


def _upper(name: str) -> str:
    return _snake(name).upper()


def _kebab(name: str) -> str:
    return _snake(name).replace("_", "-")


# ---------------------------------------------------------------------------------------------
# syntaxes: (name, value) → (text, path)

Syntax = Callable[[str, str], tuple[str, str]]


def _s(template: str, path: str, transform: Callable[[str], str] = lambda n: n) -> Syntax:
    def render(name: str, value: str) -> tuple[str, str]:
        return template.format(name=transform(name), value=value), path

    return render


SYNTAXES: dict[str, Syntax] = {
    "python": _s('import os\n\n{name} = "{value}"\n', "app/settings.py", _snake),
    "python-single": _s("{name} = '{value}'\n", "service/config.py", _snake),
    "python-kwarg": _s(
        'conn = connect(host="db.internal", {name}="{value}")\n', "app/db.py", _snake
    ),
    "python-dict": _s('CONFIG = {{\n    "{name}": "{value}",\n}}\n', "app/conf.py", _snake),
    "js": _s('const {name} = "{value}";\n', "src/config.js", _camel),
    "ts-object": _s("export default {{\n  {name}: '{value}',\n}};\n", "src/env.ts", _camel),
    "go": _s('\t{name} := "{value}"\n', "cmd/main.go", _camel),
    "go-struct": _s('\tcfg := Config{{\n\t\t{name}: "{value}",\n\t}}\n', "pkg/cfg.go", _pascal),
    "java": _s('    private static final String {name} = "{value}";\n', "src/App.java", _upper),
    "csharp": _s('        var {name} = "{value}";\n', "src/Program.cs", _camel),
    "ruby": _s("  {name}: '{value}',\n", "config/app.rb", _snake),
    "ruby-rocket": _s('  :{name} => "{value}",\n', "lib/client.rb", _snake),
    "php": _s("$${name} = '{value}';\n", "config.php", _camel),
    "php-array": _s("    '{name}' => '{value}',\n", "config/database.php", _snake),
    "shell": _s("export {name}={value}\n", "scripts/deploy.sh", _upper),
    "shell-quoted": _s('{name}="{value}"\n', "scripts/run.sh", _upper),
    "yaml": _s("database:\n  host: db.internal\n  {name}: {value}\n", "config/app.yaml", _snake),
    "yaml-quoted": _s('service:\n  {name}: "{value}"\n', "deploy/values.yml", _snake),
    "json": _s('{{\n  "host": "db.internal",\n  "{name}": "{value}"\n}}\n', "config.json", _camel),
    "ini": _s("[database]\nhost = db\n{name} = {value}\n", "settings.ini", _snake),
    "cfg": _s("[server]\n{name}={value}\n", "setup.cfg", _snake),
    "env": _s("APP_ENV=production\n{name}={value}\n", ".env", _upper),
    "properties": _s("spring.datasource.{name}={value}\n", "application.properties", _camel),
    "toml": _s('[db]\n{name} = "{value}"\n', "config.toml", _snake),
    "xml-element": _s("<config>\n  <{name}>{value}</{name}>\n</config>\n", "app.xml", _camel),
    "xml-attr": _s('<connection host="db" {name}="{value}" />\n', "web.xml", _camel),
    "xml-appsettings": _s(
        '<appSettings>\n  <add key="{name}" value="{value}" />\n</appSettings>\n',
        "App.config",
        _pascal,
    ),
    "cli-flag": _s("mytool deploy --{name} {value} --verbose\n", "Makefile", _kebab),
    "cli-flag-eq": _s("mytool deploy --{name}={value}\n", "README.md", _kebab),
    "compose-list": _s(
        "services:\n  db:\n    environment:\n      - {name}={value}\n",
        "docker-compose.yml",
        _upper,
    ),
}
PASSWORD_SYNTAXES: dict[str, Syntax] = {
    "libpq": lambda n, v: (f'dsn = "host=db port=5432 user=app password={v} dbname=x"\n', "db.py"),
    "odbc": lambda n, v: (
        f'conn = "Server=sql01;Database=app;User Id=app;Password={v};"\n',
        "Data/Db.cs",
    ),
    "mysql-cli": lambda n, v: (f"mysql -h db -u root -p{v} appdb < dump.sql\n", "restore.sh"),
    "setter": lambda n, v: (f'user.setPassword("{v}");\n', "src/UserTest.java"),
    "netrc": lambda n, v: (f"machine git.internal\n  login deploy\n  password {v}\n", ".netrc"),
}
KEY_SYNTAXES: dict[str, Syntax] = {
    "header": lambda n, v: (f'curl -H "X-Api-Key: {v}" https://api.internal/v1\n', "run.sh"),
    "query": lambda n, v: (f'URL = "https://api.internal/v2?api_key={v}&page=1"\n', "c.py"),
}

# ---------------------------------------------------------------------------------------------
# negatives: (name, value) pairs that must not be reported, rendered in the same syntaxes

_HEX64 = "9f2c1d7e4b8a6c3f0e5d2a1b7c9e8f4d6a3b2c1e0f9d8c7b6a5e4d3c2b1a0f9e"


def negatives(rng: random.Random) -> Iterator[tuple[str, str, str]]:
    """(category, name, value) near misses."""
    salt = _b62(rng, 12)
    yield "neg-hash", "password", f"pbkdf2_sha256$600000${salt}${_b64(rng, 43)}="
    yield "neg-hash", "password", f"sha1${salt[:5]}${_hex(rng, 40)}"
    yield "neg-hash", "password", f"md5${salt[:5]}${_hex(rng, 32)}"
    yield "neg-hash", "password", "$2b$12$" + _b62(rng, 53)
    yield "neg-hash", "password", f"argon2$argon2id$v=19$m=102400,t=2,p=8${_b64(rng, 22)}"
    yield "neg-hash", "password_hash", _hex(rng, 64)
    yield "neg-hash", "checksum", _hex(rng, 40)
    yield "neg-hash", "sha256", _HEX64
    yield "neg-hash", "userPassword", "{SSHA}" + _b64(rng, 32)
    yield "neg-ident", "password", "self.password"
    yield "neg-ident", "secret_key", "settings.SECRET_KEY"
    yield "neg-ident", "auth", "AxisOrder.AUTHORITY"
    yield "neg-ident", "password", "get_password()"
    yield "neg-ident", "api_key", 'os.environ["API_KEY"]'
    yield "neg-ident", "token", "process.env.TOKEN"
    yield "neg-template", "password", "{{ db_password }}"
    yield "neg-template", "password", "${DB_PASSWORD}"
    yield "neg-template", "password", "%(password)s"
    yield "neg-template", "api_key", "<your-api-key>"
    yield "neg-template", "secret", "$APP_SECRET"
    yield "neg-template", "password", "{0}"
    yield "neg-null", "password", "None"
    yield "neg-null", "token", "null"
    yield "neg-type", "password", "str"
    yield "neg-i18n", "password_label", "auth.password.label"
    yield "neg-i18n", "password", "password_too_short"
    yield "neg-path", "password_file", "/run/secrets/db_password"
    yield "neg-path", "key", "~/.ssh/id_ed25519"
    yield "neg-path", "passfile", "~/.custompgpass"
    yield "neg-url", "token_url", "https://auth.internal/oauth2/token"
    yield "neg-id", "request_id", uuid_value(rng)
    yield "neg-id", "client_id", uuid_value(rng)
    yield "neg-id", "key_id", _hex(rng, 16).upper()
    yield "neg-id", "token_id", uuid_value(rng)
    yield "neg-placeholder", "password", "YourPassword"
    yield "neg-placeholder", "api_key", "your-api-key-here"
    yield "neg-placeholder", "password", "changeme"
    yield "neg-placeholder", "secret", "xxxxxxxxxxxxxxxx"
    yield "neg-placeholder", "password", "********"
    yield "neg-number", "password_min_length", "12"
    yield "neg-number", "token_expiry", "3600"
    yield "neg-word", "cache_key", "user_profile_cache_v2"
    yield "neg-word", "sort_key", "created_at"
    yield "neg-word", "keyword", "gettext_noop"
    yield "neg-word", "public_key", "ssh-ed25519"


def samples(seed: int = 0, per_syntax: int = 3) -> list[Sample]:
    """Positives for every category in every syntax (``per_syntax`` each), plus every
    negative in every syntax."""
    rng = random.Random(seed)
    out: list[Sample] = []
    for category, names in NAMES.items():
        syntaxes = dict(SYNTAXES)
        if category == "password":
            syntaxes.update(PASSWORD_SYNTAXES)
        if category in ("key", "uuid-key"):
            syntaxes.update(KEY_SYNTAXES)
        for syntax_name, render in syntaxes.items():
            for _ in range(per_syntax):
                name = rng.choice(names)
                if category == "password":
                    value = password(rng)
                elif category == "uuid-key":
                    value = uuid_value(rng)
                else:
                    value = key_value(rng)
                text, path = render(name, value)
                out.append(Sample(text, path, value, category, syntax_name))
    for syntax_name, render in SYNTAXES.items():
        for category, name, value in negatives(rng):
            text, path = render(name, value)
            out.append(Sample(text, path, None, category, syntax_name))
    return out


_PROSE = (
    "The password must be at least 12 characters long and contain a digit.\n",
    "Pass the token to the client; it refreshes the access token when needed.\n",
    "If you forgot your password, use the reset link on the login page.\n",
    "def check_password(self, raw_password):\n    return self.password == hash(raw_password)\n",
    "if password is None:\n    raise ValueError('password required')\n",
    '<input type="password" name="password" autocomplete="current-password">\n',
    ".password-field { color: #333; border: 1px solid #ccc; }\n",
    "python manage.py makemessages --keyword=gettext_noop --keyword=pgettext_lazy:1c,2\n",
    "token = tokenizer.tokenize(text)\nkeys = sorted(d.keys(), key=lambda k: k.lower())\n",
    "password: str = Field(default=None, description='the password')\n",
    "    password: string;\n    apiKey?: string;\n",
    'msgid "Password"\nmsgstr "Passwort"\n',
)


def prose_negatives() -> list[Sample]:
    """Code and documentation that talks about passwords and tokens without holding one."""
    paths = ("docs/guide.md", "app/models.py", "src/types.ts", "static/site.css", "README.rst")
    return [
        Sample(text, paths[i % len(paths)], None, "neg-prose", "prose")
        for i, text in enumerate(_PROSE)
    ]

"""What kind of file a path is, for judging a candidate secret: code, shell, config or markup;
test, documentation or translation paths; files not worth judging (lock files, minified or
hashed bundles)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CODE_EXT = frozenset(
    [
        "py",
        "pyi",
        "pyx",
        "js",
        "mjs",
        "cjs",
        "jsx",
        "ts",
        "tsx",
        "go",
        "java",
        "kt",
        "kts",
        "scala",
        "groovy",
        "cs",
        "vb",
        "fs",
        "rb",
        "php",
        "pl",
        "pm",
        "swift",
        "m",
        "mm",
        "c",
        "h",
        "cc",
        "cpp",
        "cxx",
        "hpp",
        "hh",
        "rs",
        "dart",
        "lua",
        "r",
        "jl",
        "ex",
        "exs",
        "erl",
        "clj",
        "cljs",
        "elm",
        "hs",
        "ml",
        "vue",
        "svelte",
        "coffee",
        "cr",
        "nim",
        "zig",
        "sol",
        "ipynb",
    ]
)


_SHELL_EXT = frozenset(
    [
        "sh",
        "bash",
        "zsh",
        "ksh",
        "fish",
        "ps1",
        "psm1",
        "bat",
        "cmd",
        "mk",
        "makefile",
        "dockerfile",
    ]
)


_SHELL_NAMES = frozenset({"dockerfile", "makefile", "jenkinsfile", "vagrantfile", "procfile"})


_CONFIG_EXT = frozenset(
    [
        "yaml",
        "yml",
        "json",
        "json5",
        "jsonc",
        "ini",
        "cfg",
        "conf",
        "config",
        "cnf",
        "env",
        "properties",
        "toml",
        "xml",
        "plist",
        "tf",
        "tfvars",
        "hcl",
        "tpl",
        "j2",
        "jinja",
        "erb",
        "gradle",
        "pom",
        "sbt",
        "npmrc",
        "pypirc",
        "netrc",
        "pgpass",
        "htpasswd",
        "service",
        "desktop",
        "settings",
        "props",
        "targets",
        "csproj",
        "vbproj",
        "nuspec",
        "xaml",
        "resx",
        "manifest",
        "lst",
    ]
)


_MARKUP_EXT = frozenset(
    [
        "md",
        "markdown",
        "rst",
        "txt",
        "adoc",
        "asciidoc",
        "html",
        "htm",
        "org",
        "tex",
        "rtf",
        "wiki",
        "text",
    ]
)


_SKIP_NAMES = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "poetry.lock",
        "pipfile.lock",
        "cargo.lock",
        "gemfile.lock",
        "composer.lock",
        "go.sum",
        "uv.lock",
        "pdm.lock",
        "mix.lock",
        "podfile.lock",
        "packages.lock.json",
        "flake.lock",
        "bun.lock",
    }
)


_SKIP_EXT = frozenset(
    ["po", "pot", "mo", "xlf", "xliff", "strings", "stringsdict", "ftl", "arb", "lock", "map"]
)


_MINIFIED = re.compile(
    r"[.-]min\.(?:js|css|mjs)$|[.-]bundle\.js$|(?:^|/)dist/.*\.js$|\.chunk\.js$"
    r"|[.-][0-9a-f]{8,20}\.(?:js|mjs|css)$|(?:^|/)static/(?:js|css)/|widgetbundle\.js$"
)


_TEST_PATH = re.compile(
    r"(?:^|[/\\])(?:tests?|testing|spec|specs|__tests__|__mocks__|fixtures?|testdata|test_data"
    r"|examples?|samples?|demos?|mocks?|stubs?|e2e|integration_tests?|unit_tests?)(?:[/\\]|$)"
    # a file named test.py/tests.py, test_x.rb, x_test.go, x_spec.rb (RSpec; a Python
    # ``v1_pod_spec.py`` is a model), x.test.ts, UserTest.java (``Test`` with its capital:
    # ``Latest.java``, ``Contest.cs`` are no tests)
    r"|(?:^|[/\\])(?:tests?\.[a-z]+|test_[^/\\]*|[^/\\]*_tests?\.[a-z]+|[^/\\]*_spec\.rb"
    r"|[^/\\]*\.(?:test|spec)\.[a-z]+"
    r"|[^/\\]*(?-i:Tests?)\.(?:java|cs|kt|scala|php|swift)|conftest\.py)$",
    re.IGNORECASE,
)


_DOC_PATH = re.compile(r"(?:^|[/\\])(?:docs?|documentation|man|wiki)(?:[/\\]|$)", re.IGNORECASE)


_I18N_PATH = re.compile(r"(?:^|[/\\])(?:locales?|i18n|l10n|lang|translations?|LC_MESSAGES)[/\\]")

# a message catalog named by its locale under a translations directory: Rails
# ``config/locales/de.yml``, Laravel and DokuWiki ``lang/pt-br/settings.php``, Roundcube
# ``localization/fy_NL/labels.inc``, Symfony ``translations/messages.fr.yml``: its values are
# the words for "password" in each language
_LOCALE = r"[a-z]{2,3}(?:[-_][A-Za-z]{2,8}){0,2}(?:@[a-z]+)?"
_CATALOG = re.compile(
    r"(?:^|/)(?:locales?|i18n|l10n|lang|languages?|translations?|locali[sz]ation)/"
    rf"(?:(?P<dir>{_LOCALE})/[^/]+|(?:[\w-]+[._])?(?P<file>{_LOCALE})\.[a-z]+)$"
)
# catalog formats (PHP arrays and JavaScript objects among them); not a source file of a
# language such as ``lang/go/main.go``
_CATALOG_EXT = frozenset(
    ["yml", "yaml", "json", "php", "inc", "properties", "ini", "xml", "toml", "js", "txt", "lang"]
)
# directory names of two or three letters that are programming languages or common folders,
# not locales
_NOT_LOCALES = frozenset(
    ["go", "js", "ts", "py", "rb", "sh", "rs", "kt", "php", "lua", "sql", "css", "api", "src"]
    + ["lib", "doc", "bin", "dev", "app", "web", "cli", "old", "new", "tmp", "etc", "ext", "all"]
)


def _is_catalog(inner: str, ext: str) -> bool:
    m = _CATALOG.search(inner) if ext in _CATALOG_EXT else None
    if m is None:
        return False
    return (m.group("dir") or m.group("file")).lower() not in _NOT_LOCALES


@dataclass(frozen=True, slots=True)
class FileContext:
    """What kind of file a candidate is in, from its path alone."""

    kind: str  # code | shell | config | markup | unknown
    test: bool = False  # test, fixture, example or documentation path
    skip: bool = False  # lock file, translation catalog, minified bundle: no generic findings


def file_context(path: str) -> FileContext:
    """``src/db.py`` → code; ``deploy/app.yaml`` → config; ``yarn.lock`` → skip;
    ``tests/test_auth.py`` → code, test."""
    if not path:
        return FileContext("unknown")
    # archive members and decoded layers are shown as a!b: the innermost name counts
    inner = path.replace("\\", "/").rsplit("!", 1)[-1]
    base = inner.rsplit("/", 1)[-1].lower()
    if base.endswith((".gz", ".bz2", ".xz")):
        base = base.rsplit(".", 1)[0]
    test = bool(_TEST_PATH.search(inner) or _DOC_PATH.search(inner))
    if base in _SKIP_NAMES or _MINIFIED.search(inner):
        return FileContext("code", test, True)
    ext = base.rsplit(".", 1)[-1] if "." in base else ""
    if ext in _SKIP_EXT or (ext == "json" and _I18N_PATH.search(inner)) or _is_catalog(inner, ext):
        return FileContext("config", test, True)
    if base.startswith(".env") or base.endswith(".env") or ext in _CONFIG_EXT:
        return FileContext("config", test)
    if base in _SHELL_NAMES or ext in _SHELL_EXT or base.startswith("dockerfile"):
        return FileContext("shell", test)
    if ext in _CODE_EXT:
        return FileContext("code", test)
    if ext in _MARKUP_EXT:
        return FileContext("markup", test)
    return FileContext("unknown", test)

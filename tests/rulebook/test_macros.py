"""The pattern macros: each syntax ``{{assign}}``, ``{{between}}``, ``{{cred}}`` and ``{{call}}``
accept, and the near misses they must not accept; then the built-in rules that use them, through
the whole matcher."""

from __future__ import annotations

import pytest
import regex

from scanner.matcher import Matcher
from scanner.rulebook.macros import MACROS, expand, unknown_macros
from testing.rules import captured
from testing.scan import scan_example, scan_text

VALUE = "4be1f0c3a9d27e68b05f1c3d9a7e2b64"  # 32 hex, varied
# the shape of a provider rule: provider word, name, credential word, operator, key body
PATTERN = regex.compile(
    expand(
        r"(?i:acme)(?:[\w.-]{0,30}|{{between}})(?i:key|token)[\w.-]{0,16}{{assign}}([a-f0-9]{32})\b"
    )
)


def test_expand_replaces_known_names_and_rejects_unknown_ones() -> None:
    assert expand("x{{hex32}}") == "x" + MACROS["hex32"]
    assert unknown_macros("{{assign}}{{nope}}") == ["nope"]
    with pytest.raises(KeyError):
        expand("{{nope}}")


@pytest.mark.parametrize(
    "text",
    [
        f"ACME_API_KEY={VALUE}",
        f'acme_token ||= "{VALUE}"',
        f"./bin/sync --acme-api-key {VALUE} --verbose",  # a CLI flag and its value
        f"ENV ACME_API_KEY {VALUE}",  # Dockerfile without '='
        f"acme.setApiKey('{VALUE}');",  # a setter call
        f"| ACME_API_KEY | `{VALUE}` |",  # a Markdown table row
        f"Set `ACME_API_KEY` to `{VALUE}`.",
        f"Your Acme API key is {VALUE}.",  # prose: words between provider and key word
        f"the acme personal access token: {VALUE}",
        f"Acme API-key = {VALUE}",
        f'os.environ.setdefault("ACME_API_KEY", "{VALUE}")',  # a name and a value as arguments
        # Gradle build fields: the value quoted twice (Kotlin DSL, Groovy)
        f'buildConfigField("String", "ACME_API_KEY", "\\"{VALUE}\\"")',
        f"buildConfigField 'String', 'ACME_API_KEY', '\"{VALUE}\"'",
    ],
)
def test_assign_and_words_accept_the_common_syntaxes(text: str) -> None:
    assert captured(PATTERN, text) == VALUE


@pytest.mark.parametrize(
    "text",
    [
        f"ACME_API_KEY\n\n{VALUE}",  # a bare value never crosses a line break
        f"acme key | {VALUE}",  # a pipe: only a table cell with a quoted or `code` value
        f"acme token to {VALUE}",  # 'to' only between quoted name and value
        f"the acme service account for billing key is {VALUE}",  # more than two words between
        f"acme_api_key = get_key({VALUE})",
        f'["acme_api_key",\n  "{VALUE}"]',  # list items on two lines are not a name and value
    ],
)
def test_assign_and_words_reject_near_misses(text: str) -> None:
    assert PATTERN.search(text) is None


# a provider rule as rules/*.toml write it now: the name-and-assignment way or a call
CALL_PATTERN = regex.compile(
    expand(
        r"(?i:acme)(?:(?:[\w.-]{0,30}|{{between}})(?i:{{cred}})[\w.-]{0,16}{{assign}}"
        r"|{{call}})([a-f0-9]{32})\b"
    )
)


@pytest.mark.parametrize(
    "text",
    [
        f"ACME_TOKEN={VALUE}",  # any credential word, not only the rule's own
        f"ACME_SECRET={VALUE}",
        f"ACME_PAT={VALUE}",
        f"acme_auth: {VALUE}",
        f'{{"acmeCredentials": "{VALUE}"}}',
        f'client = acme.Client("{VALUE}")',  # constructor and set-up calls
        f'AcmeClient client = new AcmeClient("{VALUE}");',
        f"acme.init('{VALUE}');",
        f'client := acme.NewClient("{VALUE}")',
        f'api = Acme("{VALUE}")',
        f"Acme token - {VALUE}",  # a dash in prose
        f'provider "acme" {{\n  api_key = "{VALUE}"\n}}',  # Terraform blocks
        f'resource "acme_app" "main" {{\n  name  = "demo"\n  token = "{VALUE}"\n}}',
        f'{{"acme": {{"url": "https://x", "key": "{VALUE}"}}}}',  # an inline map
        f'client = AcmeClient(api_key="{VALUE}")',  # a credential-named keyword argument
        f"const client = new Acme({{ apiKey: '{VALUE}' }});",  # an options object
        f'acme.Client(token="{VALUE}")',
        f"# Acme\nAPI_KEY={VALUE}",  # a comment header naming the provider
        f'# Acme API credentials\nregion = "eu"\ntoken = "{VALUE}"',
        f"<!-- Acme -->\nexport TOKEN={VALUE}",
        # a Terraform variable named after the key, up to its default
        f'variable "acme_api_key" {{\n  default = "{VALUE}"\n}}',
        f'variable "acme_token" {{\n  type        = string\n  description = "Acme = CI"\n'
        f'  sensitive   = true\n  default     = "{VALUE}"\n}}',
        f"variable 'acme_secret' {{ default = '{VALUE}' }}",
        # the value of a name/value pair: a Kubernetes env item, an ECS JSON entry
        f'        - name: ACME_API_KEY\n          value: "{VALUE}"',
        f'{{"name": "ACME_TOKEN", "value": "{VALUE}"}}',
        f"- {{ name: acme_secret, value: {VALUE} }}",
        # a declared type before '='
        f'export const acmeApiKey: string = "{VALUE}";',
        f'pub const ACME_TOKEN: &str = "{VALUE}";',
        f'static ACME_KEY: &\'static str = "{VALUE}";',
        f'var acmeSecret string = "{VALUE}"',
        f'ACME_API_KEY ::= "{VALUE}"',  # make's other assignment operators
        f"acme_token :::= {VALUE}",
        # an XML element: the value alone on the next line under its indentation, attributes,
        # a CDATA section, a .NET setting's <value> child
        f"<acmeApiKey>\n    {VALUE}\n</acmeApiKey>",
        f"<acmeApiKey>\r\n\t\t\t{VALUE}\r\n\t</acmeApiKey>",
        f'<acmeApiKey type="string">{VALUE}</acmeApiKey>',
        f"<acme-token xml:space=\"preserve\" encrypted='false'>\n      {VALUE}\n</acme-token>",
        f"<acmeSecret><![CDATA[{VALUE}]]></acmeSecret>",
        f'<setting name="AcmeApiKey" serializeAs="String">\n  <value>{VALUE}</value>',
        f'<add key="AcmeApiKey" value="{VALUE}" />',
        # an XML element named after the provider, its credential child below a few siblings
        f"<acme>\n  <apiKey>{VALUE}</apiKey>\n</acme>",
        f"<acme>\n  <url>https://x</url>\n  <region>eu</region>\n  <token>\n    {VALUE}\n",
        f'<service name="acme">\n  <secret>{VALUE}</secret>',
        # a PHP array or Ruby hash named after the provider, inline or over several lines
        f"'acme' => ['api_key' => '{VALUE}'],",
        f"'acme' => ['url' => 'https://x', 'region' => 'eu', 'token' => '{VALUE}'],",
        f"'acme' => array('secret' => '{VALUE}'),",
        f"'acme' => [\n    'api_key' => '{VALUE}',",
        f"'acme' => [\n    'url' => 'https://x',\n    'region' => env('R', 'eu'),\n"
        f"    'api_key' => '{VALUE}',",
        f'"acme" => array(\n    "token" => "{VALUE}",',
        f"$config['acme'] = [\n    'api_key' => '{VALUE}',\n];",
        f"acme: {{ region: 'eu', api_key: '{VALUE}' }}",
        f":acme => {{ :api_key => '{VALUE}' }}",
        f":acme => {{\n  :region => 'eu',\n  :api_key => '{VALUE}'\n}}",
        # PHP string append
        f"$config['acme_key'] .= '{VALUE}';",
        f'$acmeToken .= "{VALUE}";',
    ],
)
def test_cred_call_and_blocks_accept_the_forms_users_write(text: str) -> None:
    assert captured(CALL_PATTERN, text) == VALUE


@pytest.mark.parametrize(
    "text",
    [
        f"ACME_URL={VALUE}",  # not a credential word
        f"ACME_REGION={VALUE}",
        f"ACME_PATH={VALUE}",  # 'pat' only as a word of its own
        f'acme_author = "{VALUE}"',  # 'auth' but not 'author'
        f'acme.get_user("{VALUE}")',  # a lookup call, not a constructor
        f'acme_client.fetch("{VALUE}")',
        f"acme token -{VALUE}",  # a dash needs blanks around it
        f'resource "acme_app" "main" {{\n  name = "{VALUE}"\n}}',
        f'client = AcmeClient(region="{VALUE}")',  # a keyword argument that is no credential
        f'acme.lookup(api_key="{VALUE}")',  # a lookup call, not a constructor
        f"# Acme\n\ntoken = {VALUE}",  # a blank line ends the header's reach
        f"# Acme is set up here and then used for all of it\ntoken = {VALUE}",  # a sentence
        f"x = acme.load()\ntoken = {VALUE}",  # code on the provider's line
        f'variable "acme_region" {{\n  default = "{VALUE}"\n}}',  # a variable but no credential
        # the default of another block than the one the label opens
        f'variable "acme_key" {{\n  validation {{\n    condition = true\n  }}\n'
        f'  default = "{VALUE}"\n}}',
        # more than four attributes before the default
        f'variable "acme_key" {{\n  a = 1\n  b = 2\n  c = 3\n  d = 4\n  e = 5\n'
        f'  default = "{VALUE}"\n}}',
        f'variable "acme_key" {{\n  type = string\n  fallback = "{VALUE}"\n}}',  # not default
        # a name/value pair whose value is a reference, or a value two lines down
        f"- name: ACME_API_KEY\n  valueFrom: {VALUE}",
        f"- name: ACME_API_KEY\n\n  value: {VALUE}",
        f"- name: ACME_API_KEY\n  image: x\n  value: {VALUE}",
        f'var acmeKey int = "{VALUE}"',  # a Go type other than string
        f'acme_key: "region" = "{VALUE}"',  # a type is a name, not a string
        # an XML element's value: one line break and indentation at most, then the value
        f"<acmeApiKey>\n\n    {VALUE}\n</acmeApiKey>",
        f"<acmeApiKey>\n    see below\n    {VALUE}\n</acmeApiKey>",
        f"<acmeApiKey>\n    <other>{VALUE}</other>",
        f"<acmeApiKey>\n{' ' * 20}{VALUE}\n</acmeApiKey>",  # more than 16 blanks
        f'<acmeApiKey a="1" b="2" c="3" d="4">{VALUE}</acmeApiKey>',  # more than 3 attributes
        f"<acmeApiKey ref=vault>{VALUE}</acmeApiKey>",  # an attribute value is quoted
        f"$acme_key .= $prefix . '{VALUE}';",  # appends something else first
        # under an XML element named after the provider: a credential child, close by
        f"<acme>\n  <region>{VALUE}</region>",
        f"<acme>\n\n  <apiKey>{VALUE}</apiKey>",
        f"<acme>\n  <a>1</a>\n  <b>2</b>\n  <c>3</c>\n  <d>4</d>\n  <e>5</e>\n  <key>{VALUE}</key>",
        # under a PHP array or Ruby hash named after the provider: a credential entry, close by
        f"'acme' => [\n    'region' => '{VALUE}',",
        f"'acme' => ['region' => '{VALUE}'],",
        f"'acme' => [\n\n    'api_key' => '{VALUE}',",
        f"'acme' => [\n  'a' => 1,\n  'b' => 2,\n  'c' => 3,\n  'd' => 4,\n  'e' => 5,\n"
        f"  'api_key' => '{VALUE}',",
        f"'acme' => [], 'api_key' => '{VALUE}'",  # a closed array: the key is not in it
        f'"acme": [], "key": "{VALUE}"',
        f"'acme' => ['a' => 1, 'b' => 2, 'c' => 3, 'd' => 4, 'e' => 5, 'key' => '{VALUE}']",
        f":acme => {{ :region => '{VALUE}' }}",
    ],
)
def test_cred_call_and_blocks_reject_near_misses(text: str) -> None:
    assert CALL_PATTERN.search(text) is None


# --- the built-in rules that use the macros, on both engines ------------------------------


# (rule id, provider word as users write it)
RULES = [
    ("airbrake.project-key", "airbrake"),  # provider, {{between}}, key word, {{assign}}
    ("ansible.galaxy-api-token", "galaxy"),  # hand-written operators + {{assign}}
    ("airtable.api-key-legacy", "airtable"),  # provider, name, {{assign}}
    ("alienvault.otx-api-key", "alienvault"),  # provider in a leading group's first branch
    ("amplitude.api-key", "amplitude"),  # a 'key'/'secret' rule written with 'token'
]
FORMS = [
    ("ci.sh", "./bin/sync --{p}-api-key {s} --verbose"),
    ("README.md", "Your {P} API key is {s}"),
    ("README.md", "| {U}_API_KEY | `{s}` |"),
    ("index.js", "{p}.setApiKey('{s}');"),
    (".env", "{U}_TOKEN={s}"),  # any credential word after the provider
    (".env", "{U}_PAT={s}"),
    ("settings.json", '{{"{p}Credential": "{s}"}}'),
    ("app.py", 'client = {p}.Client("{s}")'),  # constructor and set-up calls
    ("App.java", '{P}Client client = new {P}Client("{s}");'),
    ("index.js", "{p}.init('{s}');"),
    ("notes.md", "{P} token - {s}"),
    ("main.tf", 'resource "{p}_thing" "main" {{\n  name  = "demo"\n  token = "{s}"\n}}'),
    ("config.json", '{{"{p}": {{"key": "{s}"}}}}'),
    ("app.py", 'client = {P}Client(api_key="{s}")'),  # a credential-named keyword argument
    ("index.js", "const client = new {P}({{ apiKey: '{s}' }});"),
    (".env", "# {P}\nAPI_KEY={s}"),  # a comment header naming the provider
    ("variables.tf", 'variable "{p}_api_key" {{\n  type    = string\n  default = "{s}"\n}}'),
    ("deploy.yaml", '        - name: {U}_API_KEY\n          value: "{s}"'),
    ("src/config.rs", 'pub const {U}_API_KEY: &str = "{s}";'),
    ("src/config.ts", 'export const {p}ApiKey: string = "{s}";'),
    ("settings.py", '    {p}_api_key: Optional[str] = "{s}"'),
    ("Config.kt", 'val {p}ApiKey: String = "{s}"'),
    ("settings.xml", "<settings>\n  <{p}ApiKey>\n    {s}\n  </{p}ApiKey>\n</settings>"),
    ("settings.xml", '<{p}Token type="string" encrypted="false">\n  {s}\n</{p}Token>'),
    ("config.php", "<?php\n$config['{p}_api_key'] .= '{s}';"),
    ("config.php", "<?php\nreturn ['{p}' => ['region' => 'eu', 'api_key' => '{s}']];"),
    ("config.rb", "PROVIDERS = {{ {p}: {{ api_key: '{s}' }} }}"),
]

# further down a section than one line: sibling settings, then a credential-named setting
SECTION_FORMS = [
    ("config.yaml", '{p}:\n  url: https://api.{p}.io/v1\n  timeout: 30\n  api_key: "{s}"'),
    ("config.json", '{{\n  "{p}": {{\n    "region": "eu",\n    "apiKey": "{s}"\n  }}\n}}'),
    ("settings.py", '{U}_SETTINGS = {{\n    "region": "eu",\n    "api_key": "{s}",\n}}'),
    (".env", "# {P} credentials\n{U}_REGION=eu\nTOKEN={s}"),
    ("variables.tf", 'variable "{p}_token" {{\n  sensitive = true\n  default   = "{s}"\n}}'),
    ("app.config", "<{p}>\n  <endpoint>https://api.{p}.io</endpoint>\n  <apiKey>\n    {s}\n"),
    (
        "config/services.php",
        "<?php\nreturn [\n    '{p}' => [\n        'region' => env('R', 'eu'),\n"
        "        'api_key' => '{s}',\n    ],\n];",
    ),
    ("config/services.php", "<?php\n$config['{p}'] = array(\n    'token' => '{s}',\n);"),
    ("config.rb", "CONFIG = {{\n  :{p} => {{\n    :region => 'eu',\n    :api_key => '{s}'\n  }}"),
]


SECTION_RULES = [
    *RULES,
    ("apacta.api-key", "apacta"),  # {{near}}: any short gap on the line
    ("abstract.api-key", "abstract_api"),
    ("kaggle.api-key", "kaggle"),  # a hand-written gap with the macros as alternatives
    ("zhipu.api-key", "zhipu"),
]
# flags, prose, tables and setters for every rule; a key further down a section as well for
# rules whose gap is {{near}} or hand-written
FOUND_CASES = [(r, w, p, f) for r, w in RULES for p, f in FORMS] + [
    (r, w, p, f) for r, w in SECTION_RULES for p, f in SECTION_FORMS
]


@pytest.mark.parametrize("rule_id, word, path, form", FOUND_CASES)
def test_provider_rules_find_their_key_in_each_form(
    engine_matcher: Matcher, rule_id: str, word: str, path: str, form: str
) -> None:
    secret, found = scan_example(engine_matcher, rule_id, form, path, word)
    assert secret in found


@pytest.mark.parametrize(
    "rule_id, word, form",
    [
        # two lines down, a setting that names no credential
        ("apacta.api-key", "apacta", '{p}:\n  url: https://x\n  timeout: 3\n  region_name: "{s}"'),
        ("apacta.api-key", "apacta", "# {P} settings\n\nAPI_KEY={s}"),  # a blank line ends it
        # more than four sibling settings down
        ("apacta.api-key", "apacta", '{p}:\n  a: 1\n  b: 2\n  c: 3\n  d: 4\n  e: 5\n  key: "{s}"'),
        ("kaggle.api-key", "kaggle", '{p}:\n  a: 1\n  b: 2\n  c: 3\n  d: 4\n  e: 5\n  key: "{s}"'),
    ],
)
def test_section_forms_need_a_credential_name_close_by(
    engine_matcher: Matcher, rule_id: str, word: str, form: str
) -> None:
    secret, found = scan_example(engine_matcher, rule_id, form, "config.yaml", word)
    assert secret not in found


PLACEHOLDERS = [
    "${{{U}_API_KEY}}",
    "<your-{p}-api-key>",
    "settings.{U}_KEY",
    "process.env.{U}_API_KEY",
    "YOUR_API_KEY_HERE",
    "${U}_TOKEN",
    'os.environ["{U}_KEY"]',
    "var.{p}_key",
    "xxxxxxxx",
]


@pytest.mark.parametrize("rule_id, word", RULES)
@pytest.mark.parametrize("path, form", FORMS)
@pytest.mark.parametrize("placeholder", PLACEHOLDERS)
def test_the_same_forms_with_placeholders_stay_silent(
    engine_matcher: Matcher, rule_id: str, word: str, path: str, form: str, placeholder: str
) -> None:
    value = placeholder.format(p=word, U=word.upper())
    text = form.format(p=word, P=word.capitalize(), U=word.upper(), s=value)
    assert scan_text(engine_matcher, text, path) == []


@pytest.mark.parametrize(
    "path, text",
    [
        ("run.sh", "docker run -d -e CLICKHOUSE_TOKEN=$CLICKHOUSE_TOKEN clickhouse/agent:latest"),
        ("ci.sh", "echo $ARTIFACTORY_API_KEY | jfrog login --with-token"),
        ("README.md", "Use the nexus token to authenticate with the repository."),
        ("index.js", "airbrake.setApiKey(process.env.AIRBRAKE_API_KEY);"),
        ("deploy.sh", "./bin/sync --artifactory-api-key $ARTIFACTORY_API_KEY --verbose"),
        ("app.py", "client = airbrake.Client(api_key)"),  # a variable, not a literal
        ("index.js", "amplitude.init(config.amplitudeKey);"),
        ("main.tf", 'provider "airbrake" {\n  api_key = var.airbrake_api_key\n}'),
        ("app.py", f'alienvault.get_pulse("{VALUE}{VALUE}")'),  # a lookup, not a constructor
        (".env", f"AMPLITUDE_URL={VALUE}"),  # not a credential word
        (".env", f"AIRBRAKE_PROJECT_ID={VALUE}"),
    ],
)
def test_references_to_a_secret_stay_silent(engine_matcher: Matcher, path: str, text: str) -> None:
    assert scan_text(engine_matcher, text, path) == []


POSITIONAL = regex.compile(
    expand(
        r"""\b(?:new[ \t]{1,4})?AcmeConfig[ \t]*\(\s{0,40}(?:{{arg}}){0,3}["']([a-f0-9]{32})["']"""
    )
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f'new AcmeConfig("{VALUE}")', VALUE),
        (f'new AcmeConfig(clientId, "{VALUE}", "918273645", prefs)', VALUE),
        (f'AcmeConfig("tenant-a", cfg.region,\n    "{VALUE}")', VALUE),
        # the last argument of the key's shape wins: a client id of the same shape comes first
        (f'new AcmeConfig("{VALUE[::-1]}", "{VALUE}")', VALUE),
        ("new AcmeConfig(clientId, clientSecret)", None),
        (f'new AcmeConfig(f(a, b), "{VALUE}")', None),  # a call's own commas are not arguments
    ],
)
def test_arg_skips_positional_arguments(text: str, expected: str | None) -> None:
    m = POSITIONAL.search(text)
    assert (m.group(1) if m else None) == expected


IMPORTED = regex.compile(expand(r"""(?i:acme){{imported_client}}([a-f0-9]{32})["']"""))


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (f"use Acme\\Client;\nuse Acme\\Message;\n\n$c = new Client('{VALUE}');\n", True),
        (f"from acme import Client\n\nc = Client('{VALUE}')\n", True),
        (f"use Other\\Client;\n\n$c = new Client('{VALUE}');\n", False),
        ("use Acme\\Client;\n\n$c = new Client(getenv('ACME_KEY'));\n", False),
        (f"use Acme\\Client;\n{'x = 1;' * 600}\n$c = new Client('{VALUE}');\n", False),  # too far
    ],
)
def test_imported_client_reaches_the_constructor_further_down(text: str, found: bool) -> None:
    assert (IMPORTED.search(text) is not None) is found

"""Credentials in connection URLs: a weak password (``123123``, ``password1``) is still a
credential in every syntax a URL is written in; only stand-ins (``user:password@``,
``${PW}``, ``<pass>``, ``foo:bar``, a URL parser's ``p,ass@word``) are not."""

from __future__ import annotations

import pytest

from scanner.matcher import Matcher
from testing.scan import scan_text, secrets_of


@pytest.mark.parametrize(
    ("path", "text", "secret"),
    [
        (".env", "DATABASE_URL=postgres://admin:123123@db.kg.internal:5432/app\n", "123123"),
        ("deploy/app.yaml", "  url: mysql://root:password1@10.0.0.5/db\n", "password1"),
        (
            "src/db.py",
            'ENGINE = create_engine("postgresql://app:admin123@10.1.2.3/app")\n',
            "admin123",
        ),
        (
            "src/db.js",
            "const uri = 'mongodb://svc:qwerty12@mongo.kg.lan:27017/main';\n",
            "qwerty12",
        ),
        ("cmd/main.go", 'dsn := "mysql://app:secret123@db.kg.lan/app"\n', "secret123"),
        (
            "src/main/resources/application.properties",
            "spring.rabbitmq.addresses=amqp://app:letmein99@rabbit.kg.lan:5672/vh\n",
            "letmein99",
        ),
        (
            "conf/context.xml",
            '<Resource url="postgres://etl:Passw0rd@pg.kg.lan/dw" />\n',
            "Passw0rd",
        ),
        ("config.json", '{"redis": "redis://:hunter22@cache.kg.lan:6379/0"}\n', "hunter22"),
        (
            "scripts/backup.sh",
            "pg_dump postgres://backup:qwerty@10.2.0.9/app > out.sql\n",
            "qwerty",
        ),
        ("src/proxy.py", 'PROXY = "http://squid:admin123@10.0.4.7:3128"\n', "admin123"),
    ],
)
def test_weak_passwords_in_urls_are_reported(
    builtin_matcher: Matcher, path: str, text: str, secret: str
) -> None:
    assert secret in secrets_of(scan_text(builtin_matcher, text, path))


@pytest.mark.parametrize(
    "text",
    [
        "DATABASE_URL=postgres://user:password@db.kg.internal/app\n",
        "DATABASE_URL=postgres://user:pass@db.kg.internal/app\n",
        "url: mysql://username:password@db.kg.internal/app\n",
        "url: mysql://app:${DB_PASSWORD}@db.kg.internal/app\n",
        'url = "postgres://app:<pass>@db.kg.internal/app"\n',
        "REDIS_URL=redis://foo:bar@cache.kg.internal:6379/0\n",
        "REDIS_URL=redis://user:pass1@cache.kg.internal:6379/0\n",
        "backend = 'redis://:p,ass@word@localhost:6379/0'\n",
        "backend = 'redis://user:p,a;ss@localhost:6379/0'\n",
        "DB=postgresql://postgres:postgres@localhost/app\n",
        "AMQP=amqp://guest:guest@localhost:5672//\n",
        "DB=mysql://app:changeme@db.kg.internal/app\n",
        "DB=mysql://app:mypassword@db.kg.internal/app\n",
        'PROXY = "http://user:secret@proxy.example.com:3128"\n',
    ],
)
def test_stand_in_passwords_in_urls_are_not_reported(builtin_matcher: Matcher, text: str) -> None:
    assert secrets_of(scan_text(builtin_matcher, text, "settings.env")) == set()

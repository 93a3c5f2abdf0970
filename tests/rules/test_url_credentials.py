"""Credentials in connection URLs: a weak password (``123123``, ``password1``) is still a
credential in every syntax a URL is written in; only stand-ins (``user:password@``,
``${PW}``, ``<pass>``, ``foo:bar``, a URL parser's ``p,ass@word``) are not."""

from __future__ import annotations

import pytest

from scanner.matcher import Matcher
from testing.scan import scan_text, secrets_of
from tests.casedata import table


@pytest.mark.parametrize(("path", "text", "secret"), table("url_credentials", "reported"))
def test_weak_passwords_in_urls_are_reported(
    builtin_matcher: Matcher, path: str, text: str, secret: str
) -> None:
    assert secret in secrets_of(scan_text(builtin_matcher, text, path))


@pytest.mark.parametrize("text", table("url_credentials", "stand_ins"))
def test_stand_in_passwords_in_urls_are_not_reported(builtin_matcher: Matcher, text: str) -> None:
    assert secrets_of(scan_text(builtin_matcher, text, "settings.env")) == set()

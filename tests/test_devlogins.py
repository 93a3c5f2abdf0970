from __future__ import annotations

import pytest

from scanner.devlogins import is_demo_login, is_local_echo_login


@pytest.mark.parametrize(
    ("url", "local_default"),
    [
        ("postgres://billing:billing@localhost:5432/billing", True),
        ("postgres://shopfront:shopfront@db:5432/shopfront", True),
        ("mysql://App:app@127.0.0.1/app", True),
        ("postgres://app:app@db.prod.kg-fake.invalid/app", False),  # a real host
        ("postgres://app:Kq7vTz2mPw9@localhost/app", False),  # not the user name
        ("postgres://xbilling:billing@localhost/app", False),
    ],
)
def test_is_local_echo_login(url: str, local_default: bool) -> None:
    start = url.index(":", url.index("://") + 3) + 1
    end = url.index("@")
    assert is_local_echo_login(url, start, end) is local_default


@pytest.mark.parametrize(
    ("text", "password", "demo"),
    [
        ("mssql+pyodbc://scott:tiger^5HHH@mssql2022:1433/test", "tiger^5HHH", True),
        ("oracle://scott:tiger@db.kg-fake.invalid/orcl", "tiger", True),
        ("sqlplus scott/tiger@orcl", "tiger", True),
        ("postgres://scott:Kq7vTz2mPw9@db.kg-fake.invalid/app", "Kq7vTz2mPw9", False),
        ("postgres://prescott:tiger5@db.kg-fake.invalid/app", "tiger5", False),  # another user
        ("postgres://admin:tiger^5HHH@db.kg-fake.invalid/app", "tiger^5HHH", False),
    ],
)
def test_is_demo_login(text: str, password: str, demo: bool) -> None:
    start = text.index(password)
    assert is_demo_login(text, start, start + len(password)) is demo

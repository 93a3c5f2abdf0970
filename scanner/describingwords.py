"""The words a test or a tutorial spells a stand-in password from (data for
``valueshape.is_described_password``): ``secret_password_123``, ``Password1!``,
``VeryStrongPasswordHere!``, ``test1111``. A value made of nothing else describes a password
rather than being one someone chose."""

from __future__ import annotations

# what the value is for and what kind of test it is: a described password holds one of them
DESCRIBED_WORDS = frozenset(
    ["password", "passwd", "passw", "pass", "pwd", "pw", "passphrase", "secret", "sekret"]
    + ["sekrit", "token", "key", "test", "tests", "testing", "tester", "dummy", "fake", "mock"]
    + ["sample", "demo", "example", "hello"]
)

# those, and the few other words, adjectives and determiners around them
DESCRIBING_WORDS = DESCRIBED_WORDS | frozenset(
    [
        "secure",
        "login",
        "auth",
        "world",
        "foo",
        "bar",
        "baz",
        "wrong",
        "bad",
        "good",
        "invalid",
        "valid",
        "correct",
        "incorrect",
        "right",
        "new",
        "old",
        "other",
        "another",
        "strong",
        "stronger",
        "weak",
        "very",
        "super",
        "some",
        "kind",
        "of",
        "here",
        "my",
        "your",
        "the",
        "this",
        "that",
        "ssl",
        "db",
        "user",
        "admin",
        "root",
        "prompt",
        "vault",
        "current",
        "initial",
        "temp",
        "default",
        "first",
        "second",
        "third",
        "one",
        "two",
        "three",
    ]
)
"""Each at least two letters long, so that no run of letters splits into them by accident."""

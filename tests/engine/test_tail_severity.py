"""``--min-severity``: findings below the floor leave the report after verification, counted."""

from __future__ import annotations

from dataclasses import replace

from scanner.engine.results import ScanResult
from scanner.engine.tail import below_severity_dropped
from scanner.models import ScanStats, Severity
from testing.findings import make_finding


def _result() -> ScanResult:
    high = make_finding("twilio.auth-token", "Kq7Lm2Xv9Tz4Rk8Wp3Nb6Hj1Vy5Sd0Fg")
    info = replace(
        make_finding("twilio.account-sid", "AC" + "7f" * 16, line=2), severity=Severity.INFO
    )
    low = replace(make_finding("sentry.dsn-self-hosted", "a1" * 16, line=3), severity=Severity.LOW)
    stats = ScanStats(files=1, suppressed=1, suppressed_by=(("allow", 1),))
    return ScanResult((high, info, low), stats)


def test_the_default_floor_hides_info_and_counts_it() -> None:
    out = below_severity_dropped(_result(), Severity.LOW)
    assert [f.rule_id for f in out.findings] == ["twilio.auth-token", "sentry.dsn-self-hosted"]
    assert out.stats.suppressed == 2
    assert dict(out.stats.suppressed_by) == {"allow": 1, "severity": 1}


def test_info_floor_keeps_everything_unchanged() -> None:
    result = _result()
    assert below_severity_dropped(result, Severity.INFO) is result


def test_a_high_floor_keeps_only_high() -> None:
    out = below_severity_dropped(_result(), Severity.HIGH)
    assert [f.rule_id for f in out.findings] == ["twilio.auth-token"]
    assert dict(out.stats.suppressed_by)["severity"] == 2

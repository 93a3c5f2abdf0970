"""Test helpers (fixture builders, synthetic tokens); not part of the package."""

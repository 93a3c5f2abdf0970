"""Validators: offline checks (entropy, character classes, checksums)."""

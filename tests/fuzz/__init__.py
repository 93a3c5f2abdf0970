"""Fuzzing: hypothesis property tests (in the suite) and a coverage-guided runner (atheris)."""

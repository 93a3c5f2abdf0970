"""Command implementations: each returns an exit status; only ``cli.py`` exits."""

"""Rules: TOML → ``RuleSpec`` → ``CompiledRule``/``Ruleset``; checking rules' examples."""

"""Rules: parse TOML into ``RuleSpec``, compile into ``CompiledRule``/``Ruleset``, check examples."""

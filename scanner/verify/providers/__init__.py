"""Code verifiers for credentials one ``[rules.verify]`` request cannot check (multi-part
credentials, signed requests), one module per provider, registered by rule id in
``scanner.verify.registry``."""

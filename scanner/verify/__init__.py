"""Opt-in live verification of findings (``--verify``; docs/verification.md).

Importing this package loads nothing heavy: the HTTP client (``requests``) and the AWS signer
(``botocore``) load only inside the code path that sends a request.
"""

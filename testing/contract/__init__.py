"""Contract servers: local HTTP servers that implement the documented REST contract of a service
for the calls keyguard makes (paths, status codes, concurrency checks, pagination, throttling).

They are NOT the real services (none of those installs from PyPI, npm or Debian to run on
127.0.0.1). Tests drive the real client libraries against them. The shared plumbing (threaded
server on 127.0.0.1, request log, fault injection) is in ``testing.contract.server``.
"""

"""The one HTTP client verifiers use: HTTPS only, pinned hosts, no redirects, bounded retries
(429 and 5xx, with backoff, honouring Retry-After up to a cap), timeouts, per-host rate limits.

``requests`` (extra ``verify``) loads only when a client is built. Errors never carry the URL or
the exception text (either may hold the secret): only what kind of failure it was.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from scanner.errors import UserError
from scanner.verify.ratelimit import HostLimiter
from scanner.verify.routing import Routes

if TYPE_CHECKING:
    import requests

MAX_BODY = 256 * 1024
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class HostPin:
    """Where a verifier may send a secret: exactly ``host``, or ``<label><suffix>`` for
    account-scoped hosts (``suffix=".blob.core.windows.net"``, label ``[a-z0-9]{3,24}``)."""

    host: str = ""
    suffix: str = ""
    label: str = r"[a-z0-9]{3,24}"

    def allows(self, hostname: str) -> bool:
        if self.host:
            return hostname == self.host
        if self.suffix and hostname.endswith(self.suffix):
            return re.fullmatch(self.label, hostname[: -len(self.suffix)]) is not None
        return False


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    params: tuple[tuple[str, str], ...] = ()
    data: tuple[tuple[str, str], ...] | bytes | None = None
    auth: tuple[str, str] | None = None

    def __repr__(self) -> str:  # the URL, headers and body may all hold the secret
        return f"HttpRequest({self.method} {urlsplit(self.url).hostname})"


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes
    retries: int = 0


class HttpError(Exception):
    """The request got no usable answer; ``str()`` says what kind of failure (no URL, no secret)."""


class PinError(HttpError):
    """A request to a host the verifier is not pinned to: refused before any connection."""


@dataclass(frozen=True, slots=True)
class ClientOptions:
    timeout: float = 10.0
    retries: int = 3
    backoff: float = 0.5
    max_retry_after: float = 30.0
    rate: float = 5.0
    burst: float = 2.0
    routes: Routes = Routes()


def check_pinned(url: str, pins: Sequence[HostPin]) -> str:
    """The URL's host when it is https, without port or user info, and one of ``pins``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise PinError("not a URL") from None
    host = parts.hostname or ""
    if parts.scheme != "https":
        raise PinError("only https is allowed")
    if port is not None or "@" in parts.netloc or host != parts.netloc.lower():
        raise PinError("no port or user info allowed")
    if not any(pin.allows(host) for pin in pins):
        raise PinError(f"host {host} is not pinned for this verifier")
    return host


@dataclass
class HttpClient:
    """Thread-safe: one ``requests.Session`` per thread. Use as a context manager."""

    options: ClientOptions = ClientOptions()
    limiter: HostLimiter | None = None
    _sessions: dict[int, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.limiter is None:
            self.limiter = HostLimiter(self.options.rate, self.options.burst)

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.close()

    def _session(self) -> requests.Session:
        key = threading.get_ident()
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                session = self._sessions[key] = _new_session(self.options)
        return session  # type: ignore[no-any-return]

    def send(self, request: HttpRequest, pins: Sequence[HostPin]) -> HttpResponse:
        """Send ``request`` to its pinned host (or the test route for it); raises ``HttpError``."""
        host = check_pinned(request.url, pins)
        url, headers, verify = self._route(request, host)
        session = self._session()  # a UserError naming the extra when requests is missing
        import requests

        assert self.limiter is not None
        self.limiter.acquire(host)
        try:
            response = session.request(
                request.method,
                url,
                headers=headers,
                params=list(request.params) or None,
                data=request.data if isinstance(request.data, bytes) else list(request.data or ()),
                auth=request.auth,
                timeout=(self.options.timeout, self.options.timeout),
                allow_redirects=False,
                verify=verify,
                stream=True,
            )
        except requests.exceptions.Timeout:
            raise HttpError("timeout") from None
        except requests.exceptions.RetryError:
            raise HttpError("gave up after retries") from None
        except requests.exceptions.SSLError:
            raise HttpError("TLS error") from None
        except requests.exceptions.ConnectionError as exc:
            raise HttpError("timeout" if _timed_out(exc) else "connection failed") from None
        except requests.exceptions.RequestException as exc:
            raise HttpError(f"request failed ({type(exc).__name__})") from None
        with response:
            try:
                body = _read(response)
            except requests.exceptions.RequestException:
                raise HttpError("connection broke while reading the answer") from None
            history = response.raw.retries.history if response.raw.retries is not None else ()
            return HttpResponse(response.status_code, dict(response.headers), body, len(history))

    def _route(self, request: HttpRequest, host: str) -> tuple[str, dict[str, str], str | bool]:
        headers = dict(request.headers)
        route = self.options.routes.get(host)
        if route is None:
            return request.url, headers, True
        parts = urlsplit(request.url)
        headers["Host"] = host
        url = urlunsplit(("https", route.netloc, parts.path, parts.query, ""))
        ca = self.options.routes.ca_file
        return url, headers, str(ca) if ca is not None else True


def _timed_out(exc: BaseException) -> bool:
    """Whether a connection error wraps a timeout (urllib3 gives up on a read timeout with a
    ``MaxRetryError`` that requests reports as a connection error)."""
    from urllib3.exceptions import TimeoutError as Urllib3Timeout

    seen = 0
    pending: list[object] = [exc]
    while pending and seen < 8:
        item = pending.pop()
        seen += 1
        if isinstance(item, Urllib3Timeout | TimeoutError):
            return True
        if isinstance(item, BaseException):
            pending.extend(item.args)
            pending.append(getattr(item, "reason", None))
    return False


def _read(response: Any) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(65536):
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_BODY:
            break
    return b"".join(chunks)[:MAX_BODY]


def _new_session(options: ClientOptions) -> Any:
    try:
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry
    except ImportError:
        raise UserError("--verify needs requests: pip install 'keyguard[verify]'") from None
    cap = options.max_retry_after

    class CappedRetry(Retry):
        def parse_retry_after(self, retry_after: str) -> float:
            return min(super().parse_retry_after(retry_after), cap)

    retry = CappedRetry(
        total=options.retries,
        connect=1,
        read=0,
        status=options.retries,
        other=0,
        redirect=False,
        backoff_factor=options.backoff,
        backoff_max=max(options.backoff * 8, 0.0),
        status_forcelist=RETRY_STATUS,
        allowed_methods=frozenset({"GET", "HEAD", "POST"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    session.trust_env = False  # no proxies or .netrc from the environment: the host is pinned
    session.mount("https://", HTTPAdapter(max_retries=retry))
    session.mount("http://", HTTPAdapter(max_retries=0))
    session.headers["User-Agent"] = "keyguard-verify"
    return session

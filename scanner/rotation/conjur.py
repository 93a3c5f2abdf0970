"""``conjur``: set a new value for a CyberArk Conjur (Secrets Manager) variable, over its REST API
with ``requests``.

Authentication: the host's or user's API key is exchanged for a short-lived access token
(``POST /authn/{account}/{login}/authenticate``), sent as ``Authorization: Token
token="<base64>"``; a 401 later on (the token expired) authenticates again once. Conjur keeps
annotations in policy, which only a policy load can change, so the leak is recorded in keyguard's
audit log and state file only. Transient HTTP errors are retried by urllib3 ``Retry``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from scanner.rotation.base import Outcome, RotationError, RotationRequest, Target
from scanner.rotation.config import ConjurSettings, RotationEntry
from scanner.rotation.context import ProviderContext
from scanner.rotation.httpretry import retry_policy
from scanner.rotation.indexed import IndexedProvider, sdk

PAGE_SIZE = 100
MAX_DISCOVERED_VARIABLES = 5000
_STATUS_TEXT = {401: "unauthorized", 403: "forbidden", 404: "not found", 409: "conflict"}


@dataclass(frozen=True, slots=True)
class _Login:
    url: str
    account: str
    login: str
    api_key: str
    verify: str | bool


class ConjurProvider(IndexedProvider[ConjurSettings]):
    settings_type = ConjurSettings

    def __init__(self, entry: RotationEntry, ctx: ProviderContext) -> None:
        super().__init__(entry, ctx)
        self._login: _Login | None = None
        self._token: str | None = None

    # -- connection -------------------------------------------------------------------------
    def login(self) -> _Login:
        if self._login is None:
            env, s = self.ctx.env, self.settings
            url = s.url or env.get("CONJUR_APPLIANCE_URL")
            account = s.account or env.get("CONJUR_ACCOUNT")
            login = s.login or env.get("CONJUR_AUTHN_LOGIN")
            api_key = env.get(s.api_key_env)
            missing = [
                name
                for name, value in (
                    ("`url` or CONJUR_APPLIANCE_URL", url),
                    ("`account` or CONJUR_ACCOUNT", account),
                    ("`login` or CONJUR_AUTHN_LOGIN", login),
                    (s.api_key_env, api_key),
                )
                if not value
            ]
            if missing:
                raise RotationError(f"Conjur connection incomplete: set {', '.join(missing)}")
            ca = s.ca_cert or env.get("CONJUR_CERT_FILE")
            self._login = _Login(
                str(url).rstrip("/"), str(account), str(login), str(api_key), ca or True
            )
        return self._login

    def make_client(self) -> Any:
        """A ``requests`` session retrying transient errors."""
        with sdk("requests", "conjur"):
            import requests
            from requests.adapters import HTTPAdapter
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry_policy(self.entry))
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def send(self, method: str, path: str, **kwargs: Any) -> Any:
        import requests

        login = self.login()
        try:
            return self.client().request(
                method,
                login.url + path,
                timeout=self.entry.timeout,
                verify=login.verify,
                allow_redirects=False,
                **kwargs,
            )
        except requests.RequestException as exc:
            raise RotationError(f"Conjur unreachable ({type(exc).__name__})") from None

    def authenticate(self) -> str:
        login = self.login()
        path = f"/authn/{_q(login.account)}/{_q(login.login)}/authenticate"
        response = self.send("POST", path, data=login.api_key.encode("utf-8"))
        if response.status_code != 200:
            raise RotationError(f"authenticate {login.login}: {_status(response)}")
        self._token = base64.b64encode(response.content).decode("ascii")
        return self._token

    def request(self, what: str, method: str, path: str, **kwargs: Any) -> Any:
        """An authenticated call; a 401 (expired token) authenticates again, once."""
        fresh = self._token is None
        token = self._token or self.authenticate()
        while True:
            headers = {"Authorization": f'Token token="{token}"'}
            response = self.send(method, path, headers=headers, **kwargs)
            if response.status_code == 401 and not fresh:
                fresh, token = True, self.authenticate()
                continue
            if response.status_code >= 300:
                raise RotationError(f"{what}: {_status(response)}")
            return response

    def variable_path(self, kind: str, variable: str) -> str:
        return f"/{kind}/{_q(self.login().account)}/variable/{_q(variable)}"

    # -- read only -------------------------------------------------------------------------
    def resolve(self, request: RotationRequest) -> list[Target]:
        if self.entry.discover:
            found = self.holders(request)
        else:
            variable = self.settings.variable or ""
            self.request(f"show {variable}", "GET", self.variable_path("resources", variable))
            found = [Target(variable, "", self.entry.generator.field)]
        return [t.acting("set a new value") for t in found]

    def variables(self) -> Iterator[str]:
        """Ids of the variables the login can see (under ``policy`` when set), page by page."""
        account = self.login().account
        prefix = f"{account}:variable:"
        within = f"{self.settings.policy}/" if self.settings.policy else ""
        offset = 0
        while offset < MAX_DISCOVERED_VARIABLES:
            params = {"kind": "variable", "limit": PAGE_SIZE, "offset": offset}
            page = self.request("list variables", "GET", f"/resources/{_q(account)}", params=params)
            items = page.json()
            if not isinstance(items, list):
                raise RotationError("list variables: unexpected response")
            for item in items:
                full = str(item.get("id", "")) if isinstance(item, dict) else ""
                variable = full[len(prefix) :] if full.startswith(prefix) else ""
                if variable and variable.startswith(within):
                    yield variable
            if len(items) < PAGE_SIZE:
                return
            offset += len(items)

    def stored_values(self) -> Iterator[tuple[str, str]]:
        for variable in self.variables():
            try:
                yield variable, self.value(variable)
            except RotationError:
                continue  # no value yet, or no `execute` privilege: not a candidate

    def value(self, variable: str) -> str:
        response = self.request(f"fetch {variable}", "GET", self.variable_path("secrets", variable))
        return str(response.content.decode("utf-8", "replace"))

    # -- changes ----------------------------------------------------------------------------
    def rotate(self, request: RotationRequest, target: Target) -> Outcome:
        current = self.value(target.ref) if target.field else None
        new_value = self.new_value(current, target.field)
        self.request(
            f"set {target.ref}",
            "POST",
            self.variable_path("secrets", target.ref),
            data=new_value.encode("utf-8"),
        )
        shown = self.request(
            f"show {target.ref}", "GET", self.variable_path("resources", target.ref)
        )
        versions = [int(s.get("version", 0)) for s in shown.json().get("secrets") or ()]
        return Outcome({"variable": target.ref, "version": str(max(versions)) if versions else ""})


def _q(part: str) -> str:
    return quote(part, safe="")


def _status(response: Any) -> str:
    code = int(response.status_code)
    text = _STATUS_TEXT.get(code) or str(response.reason or "error")
    return f"HTTP {code} {text}"

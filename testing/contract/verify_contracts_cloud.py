"""Provider contracts (see ``verify_contracts``): cloud and hosting, including Azure storage
Shared Key (the server recomputes the signature with the key the test registered)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from testing.contract.verify_server import (
    BEARER,
    Answer,
    Contract,
    Request,
    header,
    query,
)
from testing.contract.verify_server import (
    contract as _c,
)


def _azure_check(req: Request, m: re.Match[str], cred: str, ident: str) -> str:
    """Recompute the Shared Key signature (Blob service, version 2009-09-19 and later)."""
    account = req.host.split(".", 1)[0]
    auth = req.headers.get("authorization", "")
    if not auth.startswith(f"SharedKey {account}:"):
        return "contract: Authorization is not 'SharedKey <account>:<signature>'"
    if "x-ms-date" not in req.headers and "date" not in req.headers:
        return "contract: no x-ms-date"
    if "x-ms-version" not in req.headers:
        return "contract: no x-ms-version"
    h = req.headers
    length = h.get("content-length", "")
    fields = [
        req.method,
        h.get("content-encoding", ""),
        h.get("content-language", ""),
        "" if length == "0" else length,
        h.get("content-md5", ""),
        h.get("content-type", ""),
        h.get("date", ""),
        h.get("if-modified-since", ""),
        h.get("if-match", ""),
        h.get("if-none-match", ""),
        h.get("if-unmodified-since", ""),
        h.get("range", ""),
    ]
    ms = sorted((k, v.strip()) for k, v in h.items() if k.startswith("x-ms-"))
    canonical_headers = "".join(f"{k}:{v}\n" for k, v in ms)
    resource = f"/{account}{req.path or '/'}"
    for name in sorted(req.query, key=str.lower):
        resource += f"\n{name.lower()}:{req.query[name]}"
    to_sign = "\n".join(fields) + "\n" + canonical_headers + resource
    try:
        key = base64.b64decode(cred)
    except ValueError:
        return "contract: bad key"
    expected = base64.b64encode(hmac.new(key, to_sign.encode(), hashlib.sha256).digest()).decode()
    given = auth.split(":", 1)[1]
    return "" if hmac.compare_digest(expected, given) else "signature mismatch"


def _shared_key(req: Request, m: re.Match[str]) -> tuple[str, str] | None:
    """Azure Shared Key: the key never travels, so the credential is the account name (the
    test registers the account with its key; ``_azure_check`` verifies the signature)."""
    if not req.headers.get("authorization", "").startswith("SharedKey "):
        return None
    return req.host.split(".", 1)[0], ""


AZURE_ACCOUNT = "kgfakestorage01"
# Every Datadog site's API host: https://docs.datadoghq.com/getting_started/site/
DATADOG_HOSTS = (
    "api.datadoghq.com",
    "api.us3.datadoghq.com",
    "api.us5.datadoghq.com",
    "api.datadoghq.eu",
    "api.ap1.datadoghq.com",
    "api.ap2.datadoghq.com",
    "api.ddog-gov.com",
)

_AZURE_PROPS = (
    b'<?xml version="1.0" encoding="utf-8"?><StorageServiceProperties><Logging>'
    b"<Version>1.0</Version></Logging></StorageServiceProperties>"
)
_AZURE_403 = (
    b'<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code>'
    b"<Message>Server failed to authenticate the request.</Message></Error>"
)

CONTRACTS: tuple[Contract, ...] = (
    # -- cloud / hosting --------------------------------------------------------------------
    _c(
        "digitalocean",
        "api.digitalocean.com",
        "/v2/account",
        BEARER,
        {"account": {"status": "active"}},
        Answer(401, {"id": "Unauthorized", "message": "Unable to authenticate you"}),
        "https://docs.digitalocean.com/reference/api/digitalocean/#tag/Account",
    ),
    _c(
        "heroku",
        "api.heroku.com",
        "/account",
        BEARER,
        {"id": "1", "email": "kg@example.invalid"},
        Answer(401, {"id": "unauthorized", "message": "Invalid credentials provided."}),
        "https://devcenter.heroku.com/articles/platform-api-reference#account-info",
        headers=(("Accept", "application/vnd.heroku+json; version=3"),),
    ),
    _c(
        "netlify",
        "api.netlify.com",
        "/api/v1/user",
        BEARER,
        {"id": "1", "email": "kg@example.invalid"},
        Answer(401, {"code": 401, "message": "Access Denied"}),
        "https://open-api.netlify.com/",
    ),
    _c(
        "vercel",
        "api.vercel.com",
        "/v2/user",
        BEARER,
        {"user": {"id": "1", "username": "kgfake"}},
        Answer(
            403, {"error": {"code": "forbidden", "message": "Not authorized", "invalidToken": True}}
        ),
        "https://vercel.com/docs/rest-api/reference/endpoints/user/get-the-user",
    ),
    _c(
        "linode",
        "api.linode.com",
        "/v4/profile",
        BEARER,
        {"username": "kgfake"},
        Answer(401, {"errors": [{"reason": "Invalid Token"}]}),
        "https://techdocs.akamai.com/linode-api/reference/get-profile",
    ),
    _c(
        "vultr",
        "api.vultr.com",
        "/v2/account",
        BEARER,
        {"account": {"name": "kgfake"}},
        Answer(401, {"error": "Invalid API token.", "status": 401}),
        "https://www.vultr.com/api/#tag/account",
    ),
    _c(
        "render",
        "api.render.com",
        "/v1/owners",
        BEARER,
        [],
        Answer(401, {"message": "unauthorized"}),
        "https://api-docs.render.com/",
    ),
    _c(
        "supabase",
        "api.supabase.com",
        "/v1/projects",
        BEARER,
        [],
        Answer(401, {"message": "Unauthorized"}),
        "https://supabase.com/docs/reference/api/v1-list-all-projects",
    ),
    _c(
        "neon",
        "console.neon.tech",
        "/api/v2/users/me",
        BEARER,
        {"id": "1", "email": "kg@example.invalid"},
        Answer(401, {"message": "authorization failed"}),
        "https://api-docs.neon.tech/reference/getcurrentuserinfo",
    ),
    _c(
        "terraform",
        "app.terraform.io",
        "/api/v2/account/details",
        BEARER,
        {"data": {"type": "users"}},
        Answer(401, {"errors": [{"status": "401", "title": "unauthorized"}]}),
        "https://developer.hashicorp.com/terraform/cloud-docs/api-docs/account",
    ),
    _c(
        "pulumi",
        "api.pulumi.com",
        "/api/user",
        header("Authorization", "token "),
        {"githubLogin": "kgfake"},
        Answer(
            401, {"code": 401, "message": "Unauthorized: No credentials provided or are invalid."}
        ),
        "https://www.pulumi.com/docs/pulumi-cloud/reference/cloud-rest-api/",
    ),
    _c(
        "cloudflare",
        "api.cloudflare.com",
        "/client/v4/user/tokens/verify",
        BEARER,
        {"success": True, "errors": [], "messages": [], "result": {"id": "1", "status": "active"}},
        Answer(401, {"success": False, "errors": [{"code": 1000, "message": "Invalid API Token"}]}),
        "https://developers.cloudflare.com/api/resources/user/subresources/tokens/methods/verify/",
    ),
    _c(
        "doppler",
        "api.doppler.com",
        "/v3/me",
        BEARER,
        {"type": "personal", "workplace": {"name": "kg"}},
        Answer(401, {"messages": ["Invalid Auth token"], "success": False}),
        "https://docs.doppler.com/reference/auth-me",
    ),
    _c(
        "fastly",
        "api.fastly.com",
        "/tokens/self",
        header("Fastly-Key"),
        {"id": "1", "scope": "global:read"},
        Answer(401, {"msg": "Provided credentials are missing or invalid"}),
        "https://www.fastly.com/documentation/reference/api/auth-tokens/user/",
    ),
    _c(
        "pagerduty",
        "api.pagerduty.com",
        "/abilities",
        header("Authorization", "Token token="),
        {"abilities": ["teams"]},
        Answer(401, {"error": {"message": "Authentication failed", "code": 2006}}),
        "https://developer.pagerduty.com/api-reference/",
    ),
    *(
        _c(
            "datadog",
            host,
            "/api/v1/validate",
            header("DD-API-KEY"),
            {"valid": True},
            Answer(403, {"errors": ["Forbidden"]}),
            "https://docs.datadoghq.com/api/latest/authentication/#validate-api-key",
        )
        for host in DATADOG_HOSTS
    ),
    _c(
        "mapbox",
        "api.mapbox.com",
        "/tokens/v2",
        query("access_token"),
        {"code": "TokenValid", "token": {"usage": "sk", "user": "kgfake"}},
        Answer(401, {"code": "TokenInvalid"}),
        "https://docs.mapbox.com/api/accounts/tokens/#retrieve-a-token",
    ),
    _c(
        "shodan",
        "api.shodan.io",
        "/api-info",
        query("key"),
        {"plan": "dev", "query_credits": 100},
        Answer(401, {"error": "Invalid API key"}),
        "https://developer.shodan.io/api",
    ),
    Contract(
        provider="azure-storage",
        host=f"{AZURE_ACCOUNT}.blob.core.windows.net",
        method="GET",
        path="/",
        locate=_shared_key,
        live=Answer(200, _AZURE_PROPS, (("Content-Type", "application/xml"),)),
        invalid=Answer(403, _AZURE_403, (("Content-Type", "application/xml"),)),
        required_query=("restype", "comp"),
        check=_azure_check,
        docs="https://learn.microsoft.com/rest/api/storageservices/get-blob-service-properties",
    ),
)

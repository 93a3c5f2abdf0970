"""Provider contracts (see ``verify_contracts``): code hosting and CI, chat and collaboration,
payments and mail."""

from __future__ import annotations

import re

from testing.contract.verify_server import (
    BEARER,
    Answer,
    Contract,
    Request,
    basic,
    header,
    path_group,
)
from testing.contract.verify_server import (
    contract as _c,
)

_GITHUB_401 = Answer(401, {"message": "Bad credentials", "status": "401"})
_GITLAB_401 = Answer(401, {"message": "401 Unauthorized"})
_GH = header("Authorization", "Bearer ", "token ")


def _twilio_check(req: Request, m: re.Match[str], cred: str, ident: str) -> str:
    account = m.group("account")
    if not ident.startswith(("AC", "SK")):
        return "contract: basic user is not an Account SID or API key SID"
    if ident.startswith("AC") and ident != account:
        return "the auth token authenticates only its own account"
    return ""


CONTRACTS: tuple[Contract, ...] = (
    # -- code hosting / CI ------------------------------------------------------------------
    _c(
        "github",
        "api.github.com",
        "/user",
        _GH,
        {"login": "kgfake-user", "id": 1},
        _GITHUB_401,
        "https://docs.github.com/en/rest/users/users#get-the-authenticated-user",
    ),
    _c(
        "github",
        "api.github.com",
        "/installation/repositories",
        _GH,
        {"total_count": 1, "repositories": []},
        _GITHUB_401,
        "https://docs.github.com/en/rest/apps/installations#list-repositories-accessible-to-the-app-installation",
    ),
    _c(
        "gitlab",
        "gitlab.com",
        "/api/v4/personal_access_tokens/self",
        header("PRIVATE-TOKEN"),
        {"id": 1, "name": "kgfake", "active": True, "revoked": False, "scopes": ["read_api"]},
        _GITLAB_401,
        "https://docs.gitlab.com/api/personal_access_tokens/",
    ),
    _c(
        "gitlab",
        "gitlab.com",
        "/api/v4/job",
        header("JOB-TOKEN"),
        {"id": 1, "status": "running"},
        _GITLAB_401,
        "https://docs.gitlab.com/api/jobs/#get-job-tokens-job",
    ),
    _c(
        "circleci",
        "circleci.com",
        "/api/v2/me",
        header("Circle-Token"),
        {"id": "u1", "login": "kgfake"},
        Answer(401, {"message": "You must log in first."}),
        "https://circleci.com/docs/api/v2/index.html#operation/getCurrentUser",
    ),
    _c(
        "buildkite",
        "api.buildkite.com",
        "/v2/access-token",
        BEARER,
        {"uuid": "t1", "scopes": ["read_user"]},
        Answer(401, {"message": "Authentication required. Please supply a valid API Access Token"}),
        "https://buildkite.com/docs/apis/rest-api/access-token",
    ),
    _c(
        "snyk",
        "api.snyk.io",
        "/rest/self",
        header("Authorization", "token "),
        {"data": {"type": "user"}},
        Answer(401, {"errors": [{"status": "401", "detail": "unauthorized"}]}),
        "https://docs.snyk.io/snyk-api/rest-api/authentication-for-api/authenticating",
        params=("version",),
    ),
    _c(
        "sentry",
        "sentry.io",
        "/api/0/",
        BEARER,
        {"version": "0", "auth": {"scopes": ["org:read"]}, "user": None},
        Answer(401, {"detail": "Invalid token"}),
        "https://docs.sentry.io/api/users/retrieve-the-current-credentials/",
    ),
    _c(
        "postman",
        "api.getpostman.com",
        "/me",
        header("X-API-Key"),
        {"user": {"id": 1}},
        Answer(401, {"error": {"name": "AuthenticationError", "message": "Invalid API Key."}}),
        "https://learning.postman.com/docs/developer/postman-api/intro-api/",
    ),
    # -- chat / collaboration ---------------------------------------------------------------
    _c(
        "slack",
        "slack.com",
        "/api/auth.test",
        BEARER,
        {"ok": True, "team": "KG Fake", "user": "kgbot", "team_id": "T0FAKE", "user_id": "U0FAKE"},
        Answer(200, {"ok": False, "error": "invalid_auth"}),
        "https://api.slack.com/methods/auth.test",
        method="POST",
    ),
    _c(
        "discord",
        "discord.com",
        "/api/v10/users/@me",
        header("Authorization", "Bot "),
        {"id": "1", "username": "kgfakebot", "bot": True},
        Answer(401, {"message": "401: Unauthorized", "code": 0}),
        "https://discord.com/developers/docs/resources/user#get-current-user",
    ),
    _c(
        "telegram",
        "api.telegram.org",
        r"/bot(?P<cred>[^/]+)/getMe",
        path_group(),
        {"ok": True, "result": {"id": 1, "is_bot": True, "username": "kgfake_bot"}},
        Answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"}),
        "https://core.telegram.org/bots/api#getme",
    ),
    _c(
        "notion",
        "api.notion.com",
        "/v1/users/me",
        BEARER,
        {"object": "user", "type": "bot"},
        Answer(401, {"object": "error", "status": 401, "code": "unauthorized"}),
        "https://developers.notion.com/reference/get-self",
        headers=(("Notion-Version", None),),
    ),
    _c(
        "asana",
        "app.asana.com",
        "/api/1.0/users/me",
        BEARER,
        {"data": {"gid": "1", "name": "KG Fake"}},
        Answer(401, {"errors": [{"message": "Not Authorized"}]}),
        "https://developers.asana.com/reference/getuser",
    ),
    _c(
        "figma",
        "api.figma.com",
        "/v1/me",
        header("X-Figma-Token"),
        {"id": "1", "handle": "kgfake"},
        Answer(403, {"status": 403, "err": "Invalid token"}),
        "https://www.figma.com/developers/api#get-me-endpoint",
    ),
    _c(
        "airtable",
        "api.airtable.com",
        "/v0/meta/whoami",
        BEARER,
        {"id": "usrKGFAKE"},
        Answer(401, {"error": {"type": "AUTHENTICATION_REQUIRED"}}),
        "https://airtable.com/developers/web/api/get-user-id-scopes",
    ),
    _c(
        "contentful",
        "api.contentful.com",
        "/users/me",
        BEARER,
        {"sys": {"type": "User", "id": "1"}},
        Answer(401, {"sys": {"type": "Error", "id": "AccessTokenInvalid"}}),
        "https://www.contentful.com/developers/docs/references/content-management-api/",
    ),
    _c(
        "typeform",
        "api.typeform.com",
        "/me",
        BEARER,
        {"alias": "kgfake"},
        Answer(401, {"code": "AUTHENTICATION_FAILED"}),
        "https://www.typeform.com/developers/create/reference/retrieve-own-account/",
    ),
    _c(
        "miro",
        "api.miro.com",
        "/v1/oauth-token",
        BEARER,
        {"type": "oauth_token", "scopes": []},
        Answer(401, {"status": 401, "code": "tokenNotFound"}),
        "https://developers.miro.com/reference/get-access-token-context",
    ),
    _c(
        "twitch",
        "id.twitch.tv",
        "/oauth2/validate",
        header("Authorization", "OAuth "),
        {"client_id": "kgfake", "login": "kgfake", "scopes": [], "expires_in": 3600},
        Answer(401, {"status": 401, "message": "invalid access token"}),
        "https://dev.twitch.tv/docs/authentication/validate-tokens/",
    ),
    # -- payments / mail --------------------------------------------------------------------
    _c(
        "stripe",
        "api.stripe.com",
        "/v1/balance",
        header("Authorization", "Bearer "),
        {"object": "balance", "available": [], "livemode": False},
        Answer(
            401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}
        ),
        "https://docs.stripe.com/api/balance/balance_retrieve",
        forbidden=Answer(
            403,
            {
                "error": {
                    "type": "invalid_request_error",
                    "message": "The provided key does not have the required permissions",
                }
            },
        ),
    ),  # noqa: E501
    _c(
        "sendgrid",
        "api.sendgrid.com",
        "/v3/scopes",
        BEARER,
        {"scopes": ["mail.send"]},
        Answer(401, {"errors": [{"field": None, "message": "authorization required"}]}),
        "https://www.twilio.com/docs/sendgrid/api-reference/api-key-permissions",
    ),
    _c(
        "mailgun",
        "api.mailgun.net",
        "/v3/domains",
        basic("api"),
        {"total_count": 0, "items": []},
        Answer(401, b"Forbidden"),
        "https://documentation.mailgun.com/docs/mailgun/api-reference/",
    ),
    _c(
        "postmark",
        "api.postmarkapp.com",
        "/server",
        header("X-Postmark-Server-Token"),
        {"ID": 1, "Name": "kgfake"},
        Answer(401, {"ErrorCode": 10, "Message": "Request does not contain a valid Server token."}),
        "https://postmarkapp.com/developer/api/server-api",
        headers=(("Accept", "application/json"),),
    ),
    _c(
        "brevo",
        "api.brevo.com",
        "/v3/account",
        header("api-key"),
        {"email": "kg@example.invalid"},
        Answer(401, {"code": "unauthorized", "message": "Key not found"}),
        "https://developers.brevo.com/reference/getaccount",
    ),
    Contract(
        provider="twilio",
        host="api.twilio.com",
        method="GET",
        path=r"/2010-04-01/Accounts/(?P<account>AC[0-9a-f]{32})(?:/Balance)?\.json",
        locate=basic(),
        live=Answer(200, {"sid": "AC", "status": "active", "balance": "1.00"}),
        invalid=Answer(401, {"code": 20003, "message": "Authenticate", "status": 401}),
        check=_twilio_check,
        docs="https://www.twilio.com/docs/iam/api/account",
    ),
    _c(
        "twilio",
        "messaging.twilio.com",
        "/v1/Services",
        basic(),
        {"services": [], "meta": {"page": 0, "page_size": 1}},
        Answer(401, {"code": 20003, "message": "Authenticate", "status": 401}),
        "https://www.twilio.com/docs/messaging/api/service-resource",
    ),
)

"""The providers' documented "who am I" / key-check contracts, for ``verify_server``.

Written from each provider's public API reference (the ``docs`` link of each entry), not from
keyguard's rule files: the tests run the rule pack's verifiers against these contracts, so a
verifier that calls the wrong path, method or host, or puts the secret in the wrong place, fails.
Bodies are small synthetic examples of the documented shapes.
"""

from __future__ import annotations

from testing.contract import verify_contracts_cloud, verify_contracts_dev
from testing.contract.verify_server import (
    BEARER,
    Answer,
    Contract,
    header,
)
from testing.contract.verify_server import (
    contract as _c,
)

AZURE_ACCOUNT = verify_contracts_cloud.AZURE_ACCOUNT
DATADOG_HOSTS = verify_contracts_cloud.DATADOG_HOSTS

_OPENAI_401 = Answer(
    401,
    {
        "error": {
            "message": "Incorrect API key provided",
            "type": "invalid_request_error",
            "code": "invalid_api_key",
        }
    },
)
_MODELS = {"object": "list", "data": [{"id": "kgfake-model", "object": "model"}]}
_ANTHROPIC_401 = Answer(
    401,
    {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}},
)


def _models(provider: str, host: str, path: str, docs: str) -> Contract:
    """An OpenAI-compatible ``GET .../models`` with a bearer key."""
    return _c(provider, host, path, BEARER, _MODELS, _OPENAI_401, docs)


_AI: tuple[Contract, ...] = (
    # -- AI providers -----------------------------------------------------------------------
    _models(
        "openai",
        "api.openai.com",
        "/v1/models",
        "https://platform.openai.com/docs/api-reference/models/list",
    ),
    _c(
        "openai",
        "api.openai.com",
        "/v1/organization/projects",
        BEARER,
        {"object": "list", "data": []},
        _OPENAI_401,
        "https://platform.openai.com/docs/api-reference/projects/list",
    ),
    _c(
        "anthropic",
        "api.anthropic.com",
        "/v1/models",
        header("x-api-key"),
        {"data": [{"type": "model", "id": "kgfake"}], "has_more": False},
        _ANTHROPIC_401,
        "https://docs.anthropic.com/en/api/models-list",
        headers=(("anthropic-version", None),),
    ),
    _c(
        "anthropic",
        "api.anthropic.com",
        "/v1/organizations/me",
        header("x-api-key"),
        {"id": "00000000-0000-0000-0000-000000000000", "name": "KG Fake", "type": "organization"},
        _ANTHROPIC_401,
        "https://docs.anthropic.com/en/api/admin-api/organization/get-me",
        headers=(("anthropic-version", None),),
    ),
    _c(
        "huggingface",
        "huggingface.co",
        "/api/whoami-v2",
        BEARER,
        {"type": "user", "name": "kgfake"},
        Answer(401, {"error": "Invalid credentials in Authorization header"}),
        "https://huggingface.co/docs/hub/api#get-apiwhoami-v2",
    ),
    _c(
        "google",
        "generativelanguage.googleapis.com",
        "/v1beta/models",
        header("x-goog-api-key"),
        {"models": [{"name": "models/kgfake"}]},
        Answer(
            400,
            {
                "error": {
                    "code": 400,
                    "message": "API key not valid. Please pass a valid API key.",
                    "status": "INVALID_ARGUMENT",
                }
            },
        ),  # noqa: E501
        "https://ai.google.dev/api/models#method:-models.list",
        forbidden=Answer(403, {"error": {"code": 403, "status": "PERMISSION_DENIED"}}),
    ),
    _models(
        "groq",
        "api.groq.com",
        "/openai/v1/models",
        "https://console.groq.com/docs/api-reference#models-list",
    ),
    _models("mistral", "api.mistral.ai", "/v1/models", "https://docs.mistral.ai/api/"),
    _models(
        "cohere", "api.cohere.com", "/v1/models", "https://docs.cohere.com/reference/list-models"
    ),
    _models(
        "together", "api.together.xyz", "/v1/models", "https://docs.together.ai/reference/models-1"
    ),
    _models(
        "deepseek", "api.deepseek.com", "/models", "https://api-docs.deepseek.com/api/list-models"
    ),
    _models(
        "fireworks",
        "api.fireworks.ai",
        "/inference/v1/models",
        "https://docs.fireworks.ai/api-reference/",
    ),
    _models(
        "cerebras",
        "api.cerebras.ai",
        "/v1/models",
        "https://inference-docs.cerebras.ai/api-reference/models",
    ),
    _c(
        "replicate",
        "api.replicate.com",
        "/v1/account",
        BEARER,
        {"type": "user", "username": "kgfake"},
        Answer(401, {"detail": "Invalid token.", "status": 401}),
        "https://replicate.com/docs/reference/http",
    ),
    _c(
        "xai",
        "api.x.ai",
        "/v1/api-key",
        BEARER,
        {
            "redacted_api_key": "xai-...FAKE",
            "api_key_blocked": False,
            "api_key_disabled": False,
            "team_blocked": False,
        },
        Answer(
            400,
            {"code": "Client specified an invalid argument", "error": "Incorrect API key provided"},
        ),
        "https://docs.x.ai/docs/api-reference#api-key",
    ),
    _c(
        "openrouter",
        "openrouter.ai",
        "/api/v1/key",
        BEARER,
        {"data": {"label": "kgfake", "usage": 0}},
        Answer(401, {"error": {"message": "No auth credentials found", "code": 401}}),
        "https://openrouter.ai/docs/api-reference/api-keys/get-current-key",
    ),
    _c(
        "stability",
        "api.stability.ai",
        "/v1/user/account",
        BEARER,
        {"id": "1", "email": "kg@example.invalid"},
        Answer(401, {"name": "unauthorized", "message": "missing or invalid API key"}),
        "https://platform.stability.ai/docs/api-reference#tag/User",
    ),
    _c(
        "elevenlabs",
        "api.elevenlabs.io",
        "/v1/user",
        header("xi-api-key"),
        {"user_id": "1", "subscription": {}},
        Answer(401, {"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}),
        "https://elevenlabs.io/docs/api-reference/user/get",
    ),
    _c(
        "pinecone",
        "api.pinecone.io",
        "/indexes",
        header("Api-Key"),
        {"indexes": []},
        Answer(
            401, {"error": {"code": "UNAUTHENTICATED", "message": "Invalid API Key"}, "status": 401}
        ),
        "https://docs.pinecone.io/reference/api/2025-01/control-plane/list_indexes",
        headers=(("X-Pinecone-API-Version", None),),
    ),
    _c(
        "deepgram",
        "api.deepgram.com",
        "/v1/projects",
        header("Authorization", "Token "),
        {"projects": []},
        Answer(401, {"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials."}),
        "https://developers.deepgram.com/reference/manage/projects/list",
    ),
    _c(
        "npm",
        "registry.npmjs.org",
        "/-/whoami",
        BEARER,
        {"username": "kgfake"},
        Answer(401, {"error": "Unauthorized"}),
        "https://docs.npmjs.com/cli/v10/commands/npm-whoami",
    ),
)

CONTRACTS: tuple[Contract, ...] = (
    *verify_contracts_dev.CONTRACTS,
    *verify_contracts_cloud.CONTRACTS,
    *_AI,
)

"""The official MCP Python SDK (`mcp`) as an OAuth client of a protected server.

    python python_oauth_client.py MCP_URL

Runs the SDK's own authorization-code flow with PKCE (`OAuthClientProvider`):
discovery from the server's 401 challenge, dynamic client registration, the
authorization request (whose redirect this script reads itself, in place of a
browser), the token request; then `initialize`, `tools/list`, `create_note`,
`list_notes` and `tools/list` again over Streamable HTTP. When a call needs a
scope the token lacks, the SDK steps up on its own (a 403 `insufficient_scope`
challenge) with a second authorization request.

Prints one JSON line on stdout: what the server answered, the scopes and resource
of each authorization request the SDK made, and the final access token's claims
(decoded, unverified). Never the token itself. Any failure exits non-zero with
the error on stderr. tests/python_oauth.rs runs it against oauth2-mock-server.
"""

import base64
import json
import sys
import traceback
from importlib.metadata import version
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx2
from mcp import ClientSession
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

# Never listened on: the authorization server's redirect is read, not followed.
REDIRECT_URI = "http://127.0.0.1:9/callback"
TIMEOUT_SECONDS = 60


class MemoryStorage(TokenStorage):
    """Tokens and the client registration, for this run only."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class Browser:
    """Stands in for the user's browser: GETs the authorization URL without
    following the redirect, and hands the SDK the code and state it carries."""

    def __init__(self) -> None:
        # What each authorization request asked for: scope, resource, PKCE method.
        self.requests: list[dict[str, str | None]] = []
        self.location: str | None = None

    async def redirect_handler(self, authorization_url: str) -> None:
        query = parse_qs(urlsplit(authorization_url).query)
        one = lambda name: query.get(name, [None])[0]  # noqa: E731
        self.requests.append(
            {
                "scope": one("scope"),
                "resource": one("resource"),
                "code_challenge_method": one("code_challenge_method"),
            }
        )
        async with httpx2.AsyncClient(follow_redirects=False) as http:
            reply = await http.get(authorization_url)
        location = reply.headers.get("location")
        if reply.status_code not in (302, 303) or not location:
            raise RuntimeError(f"/authorize answered {reply.status_code} without a redirect: {reply.text[:500]}")
        if not location.startswith(REDIRECT_URI + "?"):
            raise RuntimeError(f"/authorize redirected elsewhere than {REDIRECT_URI}: {location.split('?')[0]}")
        self.location = location

    async def callback_handler(self) -> AuthorizationCodeResult:
        if self.location is None:
            raise RuntimeError("no authorization redirect to read")
        query = parse_qs(urlsplit(self.location).query)
        self.location = None
        if "error" in query:
            raise RuntimeError(f"authorization refused: {query}")
        return AuthorizationCodeResult(
            code=query["code"][0],
            state=query.get("state", [None])[0],
            iss=query.get("iss", [None])[0],
        )


def jwt_claims(token: str) -> dict:
    """The claims of a compact JWS, unverified."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def structured(result, what: str) -> dict:
    """A successful tool result's structured content."""
    if result.is_error:
        raise RuntimeError(f"{what} failed: {result.model_dump(mode='json')}")
    if not isinstance(result.structured_content, dict):
        raise RuntimeError(f"{what}: no structured content: {result.model_dump(mode='json')}")
    return result.structured_content


async def run(url: str) -> dict:
    storage = MemoryStorage()
    browser = Browser()
    provider = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(
            client_name="mcpgen python_oauth test",
            redirect_uris=[REDIRECT_URI],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            # No scope: the SDK takes it from the server's challenge.
        ),
        storage=storage,
        redirect_handler=browser.redirect_handler,
        callback_handler=browser.callback_handler,
    )
    async with create_mcp_http_client(auth=provider) as http:
        async with streamable_http_client(url, http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                initialized = await session.initialize()
                # With the scope of the first challenge (list methods show only what
                # the token may call), then again once create_note has stepped up.
                tools_first = await session.list_tools()
                created = structured(
                    await session.call_tool("create_note", {"title": "From Python", "body": "via the MCP SDK"}),
                    "create_note",
                )
                listed = structured(await session.call_tool("list_notes", {}), "list_notes")
                tools = await session.list_tools()

    if storage.tokens is None:
        raise RuntimeError("the SDK stored no token")
    claims = jwt_claims(storage.tokens.access_token)
    return {
        "sdk_version": version("mcp"),
        "protocol_version": initialized.protocol_version,
        "server": initialized.server_info.name,
        "tools_first": sorted(tool.name for tool in tools_first.tools),
        "tools": sorted(tool.name for tool in tools.tools),
        "created_id": created.get("id"),
        "notes": listed.get("notes"),
        "authorizations": browser.requests,
        "client_registered": storage.client_info is not None,
        "token_type": storage.tokens.token_type,
        "token_scope": storage.tokens.scope,
        "claims": {k: claims.get(k) for k in ("iss", "aud", "scope", "sub", "org")},
    }


async def main(url: str) -> dict:
    with anyio.fail_after(TIMEOUT_SECONDS):
        return await run(url)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python_oauth_client.py MCP_URL")
    try:
        report = anyio.run(main, sys.argv[1])
    except BaseException:  # ExceptionGroups of the SDK's task groups too
        traceback.print_exc()
        sys.exit(1)
    print(json.dumps(report), flush=True)

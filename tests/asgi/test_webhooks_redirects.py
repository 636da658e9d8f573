"""A path that differs from a routed one only by a trailing slash: 307 to the routed spelling,
from the raw webhooks app exactly as from Starlette's Router (redirect_slashes)."""

from __future__ import annotations

from typing import Any

import pytest

from providers.asgi.app import create_app
from providers.asgi.webhooks import WebhooksApp
from tests.asgi.test_webhooks_app import ENV, Recorded, both, call, same
from tests.targets.scenarios import bot_for, slack_message

Answer = tuple[int, str | None]


def in_scope(app: Any, **items: Any) -> Any:
    """`app` called with `items` set in each request's scope (a scheme, a server)."""
    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        await app({**scope, **items}, receive, send)
    return wrapped


async def both_answer(method: str, path: str, *, headers: dict[str, str] | None = None, query: bytes = b"",
                      root_path: str = "", **scope: Any) -> Answer:
    """The raw app's (status, location), once it is checked to be the Starlette app's answer."""
    old, new = both([])
    before, after = [await call(in_scope(app, **scope), method, path, headers, root_path=root_path, query=query)
                     for app in (old, new)]
    same(before, after)
    return after.status, after.headers.get("location")


@pytest.mark.parametrize(("method", "path", "query", "location"), [
    ("GET", "/slack/events/", b"", "http://test/slack/events"),
    ("POST", "/slack/events/", b"", "http://test/slack/events"),
    ("POST", "/slack/events///", b"", "http://test/slack/events"),
    ("GET", "/healthz/", b"", "http://test/healthz"),
    ("POST", "/slack/events/", b"a=1&b=%C3%A9&c=", "http://test/slack/events?a=1&b=%C3%A9&c="),
    ("GET", "/healthz/", b"text=a b&x=<y>", "http://test/healthz?text=a%20b&x=%3Cy%3E"),
])
async def test_a_trailing_slash_is_redirected_with_the_query(method: str, path: str, query: bytes,
                                                            location: str) -> None:
    assert await both_answer(method, path, query=query) == (307, location)


@pytest.mark.parametrize(("scope", "headers", "location"), [
    ({"scheme": "https", "server": ("10.0.0.1", 8080)}, {"host": "bot.example"}, "https://bot.example/x/slack/events"),
    ({"scheme": "https", "server": ("10.0.0.1", 8080)}, {"host": "bot.example:8443"},
     "https://bot.example:8443/x/slack/events"),
    ({"server": ("10.0.0.1", 8080)}, {"host": "evil.example/path"}, "http://10.0.0.1:8080/x/slack/events"),
    ({"server": ("10.0.0.1", 80)}, {"host": "bot.example:99999"}, "http://10.0.0.1/x/slack/events"),
    ({"server": ("::1", 8080)}, {}, "http://[::1]:8080/x/slack/events"),
    ({"server": ("10.0.0.1", 8080)}, {"host": "[::1]:8000"}, "http://[::1]:8000/x/slack/events"),
    ({"server": ("10.0.0.1", 8080)}, {"host": "[1::2::3]"}, "http://10.0.0.1:8080/x/slack/events"),
    ({"scheme": "https", "server": ("10.0.0.1", 443)}, {}, "https://10.0.0.1/x/slack/events"),
    ({"server": None}, {"host": "bad host"}, "/x/slack/events"),
])
async def test_the_location_is_built_from_the_scope_as_starlette_builds_it(
        scope: dict[str, Any], headers: dict[str, str], location: str) -> None:
    for query, tail in ((b"", ""), (b"q=1", "?q=1")):
        answer = await both_answer("GET", "/x/slack/events/", headers=headers, root_path="/x", query=query, **scope)
        assert answer == (307, location + tail)


@pytest.mark.parametrize("path", ["/", "//", "/nowhere/", "/slack", "/slack/events/x/", "/healthz/x"])
async def test_paths_a_slash_does_not_route_stay_404(path: str) -> None:
    assert await both_answer("GET", path) == (404, None)


async def test_the_slash_is_added_when_only_the_slashed_spelling_is_routed(monkeypatch: pytest.MonkeyPatch) -> None:
    old_bot, new_bot = bot_for(ENV), bot_for(ENV)
    for bot in (old_bot, new_bot):
        monkeypatch.setattr(bot.adapters["slack"], "path", "/slack/events/")
    old = create_app(old_bot, _nothing, defer=_nothing, ingress=False, api_chat=False)
    new = WebhooksApp(new_bot, _nothing, defer=_nothing)
    answers = [await call(app, "GET", "/fn/slack/events", root_path="/fn", query=b"a=1") for app in (old, new)]
    assert same(*answers).status == 307
    assert answers[1].headers["location"] == "http://test/fn/slack/events/?a=1"


async def test_a_routed_webhook_never_looks_for_a_redirect(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_redirect(*args: Any) -> Any:
        raise AssertionError("a routed request looked for a redirect")

    monkeypatch.setattr(WebhooksApp, "_not_found", no_redirect)
    published: list[Any] = []
    app = WebhooksApp(bot_for(ENV), _publish(published), defer=_publish(published))
    headers, body = slack_message("hello", event_id="EvRedirect", ts="1.000002")
    answer: Recorded = await call(app, "POST", "/slack/events", headers, chunks=(body,))
    assert answer.status == 200 and published


def _publish(published: list[Any]) -> Any:
    async def publish(event: Any) -> None:
        published.append(event["type"])
    return publish


async def _nothing(event: Any) -> None:
    raise AssertionError("nothing should be published")

"""A platform's URLs: the API it is called at, and the public endpoint it calls."""

from __future__ import annotations

from collections.abc import Mapping

from core.settings import SettingsError


def api_url_from_env(env: Mapping[str, str], name: str, default: str) -> str:
    """An API base URL from `name`, without a trailing slash; SettingsError if not http(s)."""
    url = (env.get(name, "") or default).strip().rstrip("/")
    if not url.startswith(("https://", "http://")):
        raise SettingsError(f"{name}={url!r} must be an http(s) URL like {default}")
    return url


def public_endpoint(url: str, path: str) -> str:
    """The public URL of endpoint `path`: `url` itself if it already ends in `path`, else `url + path`.

    Raises ValueError unless `url` is https: Slack and Telegram only call HTTPS webhooks.
    """
    url = url.strip().rstrip("/")
    if not url.startswith("https://") or len(url) <= len("https://"):
        raise ValueError(f"{url!r} is not an https:// URL; chat platforms only call webhooks over HTTPS "
                         "(expose `botless serve` through a tunnel or deploy it first)")
    return url if url.endswith(path) else url + path

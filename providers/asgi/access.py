"""Who may use the routes of the person at the machine: `POST /`, `/api/chat`, `/api/replies`.

`botless serve` is a local server. What it listens on decides who can reach it, so the
rule is made from the bound address, never from a request header (a forwarded-for is
unsigned, and a tunnel's requests all come from loopback):

- `BOTLESS_INGRESS_TOKEN` set: every such request carries `Authorization: Bearer <token>`,
  on any address. This is what protects a loopback server exposed through a tunnel.
- no token, bound to loopback (127.0.0.0/8, ::1, localhost): only this machine reaches them.
- no token, any other address: refused, with the setting that opens them.

Headers may only refuse, never admit: a request whose `Origin` is not the server's own
(a page on another site posting to this machine's server through the visitor's browser,
which a `text/plain` body does without asking first) is refused on any address.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

TOKEN_SETTING = "BOTLESS_INGRESS_TOKEN"


def is_loopback(host: str) -> bool:
    """True when `host` is a loopback address or `localhost` (a name that may resolve elsewhere is not)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class LocalAccess:
    """The access rule of one server: its token (may be empty) and whether it is bound to loopback."""

    token: str = field(default="", repr=False)
    loopback: bool = True
    host: str = "127.0.0.1"

    @classmethod
    def for_host(cls, host: str, token: str) -> LocalAccess:
        """The rule for a server bound to `host` with `token` (empty: none set)."""
        return cls(token=token, loopback=is_loopback(host), host=host)

    @property
    def needs_token(self) -> bool:
        """True when a request must carry the bearer token."""
        return bool(self.token) or not self.loopback

    def refusal(self, headers: Mapping[str, str]) -> str | None:
        """None when a request with these headers may pass; otherwise why not (for a 401)."""
        foreign = foreign_origin(headers)
        if foreign is not None:
            return (f"a page on {foreign} may not call this server (its own page may): "
                    "cross-origin requests are refused")
        if not self.token:
            if self.loopback:
                return None
            return (f"this server listens on {self.host}, which is not loopback, and has no token: "
                    f"set {TOKEN_SETTING} on the server and send Authorization: Bearer <token>")
        scheme, _, given = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return f"missing Authorization: Bearer <token> (the server's {TOKEN_SETTING})"
        # Constant time, so the answer's timing tells nothing about how much of a guess was right.
        if not hmac.compare_digest(given.strip().encode(), self.token.encode()):
            return f"wrong bearer token (not the server's {TOKEN_SETTING})"
        return None


def foreign_origin(headers: Mapping[str, str]) -> str | None:
    """The `Origin` a browser sent when it is not this server's (`Host`); None for the same origin or none."""
    origin = headers.get("origin", "").strip()
    if not origin:
        return None  # not from a browser's cross-site request (curl, the CLI, a platform)
    host = headers.get("host", "").strip().lower()
    return None if urlsplit(origin.lower()).netloc == host and host else origin


LOOPBACK = LocalAccess()

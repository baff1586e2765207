"""Outgoing HTTP to a URL a merchant chose (its webhook_url): public hosts only.

A merchant could otherwise point the outbox at the app's own network (Redis on
localhost, a cloud metadata address, a private admin service). The rule: https to a host
whose every address is public: not loopback, private, shared (CGNAT), link-local,
multicast, reserved or unspecified, IPv4 embedded in IPv6 included, and no local names
(``localhost``, single labels, ``.internal``...). It is checked when the URL is saved
(``check_url``, no DNS) and again on every delivery (``post``): the host is resolved once,
every address is checked, and the connection goes to the checked address, so a DNS
answer that changes between the check and the connect (rebinding) reaches nothing else.
TLS still verifies the certificate for the name (SNI and the hostname check). Redirects
are not followed (a public host could send the POST on to a private one).

PAYLINK_ALLOW_PRIVATE_WEBHOOKS=1 lifts the address rule (http and private hosts allowed)
for development and tests that deliver to a loopback server. Off unless set, everywhere.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import certifi
import urllib3
from flask import current_app, has_app_context

# Names that only mean something inside a network (RFC 6761, 6762, 8375, common private use).
LOCAL_SUFFIXES = (".localhost", ".local", ".localdomain", ".internal", ".intranet", ".lan",
                  ".home", ".corp", ".private", ".home.arpa")
# A DNS name of two labels or more whose last label starts with a letter: this leaves out
# localhost-like single labels and the numeric spellings getaddrinfo also takes as IPv4
# addresses (2130706433, 0x7f.1, 127.1).
DNS_NAME = re.compile(
    r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT; not global either


class UnsafeURL(ValueError):
    """The URL may not be delivered to; the message says why, for people."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written, lower-case, without brackets or a trailing dot
    port: int
    path: str  # path and query, what goes on the request line

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def allow_private() -> bool:
    """PAYLINK_ALLOW_PRIVATE_WEBHOOKS of the current app (off without one)."""
    return bool(has_app_context() and current_app.config.get("PAYLINK_ALLOW_PRIVATE_WEBHOOKS"))


def is_public_address(address: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for a globally routable unicast address, IPv4 inside IPv6 checked too."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return False
        embedded = [ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None,
                    ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in NAT64 else None]
        if any(e is not None and not is_public_address(e) for e in embedded):
            return False
    elif ip in SHARED:
        return False
    return ip.is_global and not (ip.is_private or ip.is_loopback or ip.is_link_local
                                 or ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def check_url(url: str, private_ok: bool | None = None) -> Target:
    """The URL's parts if the rule allows it, else UnsafeURL. No DNS look-up."""
    private_ok = allow_private() if private_ok is None else private_ok
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise UnsafeURL("is not a valid URL.") from None
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme not in ("http", "https") or not host:
        raise UnsafeURL("must be an https:// URL.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL("must not contain a user name or password.")
    target = Target(parts.scheme, host, port or (443 if parts.scheme == "https" else 80),
                    (parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
    if private_ok:
        return target
    if parts.scheme != "https":
        raise UnsafeURL("must be an https:// URL.")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        if not is_public_address(literal):
            raise UnsafeURL(f"must be on a public host; {host} is not a public address.")
    elif (not DNS_NAME.fullmatch(host) or host.endswith(LOCAL_SUFFIXES)
          or host == "localhost"):
        raise UnsafeURL(f"must be on a public host; {host} is a local or invalid name.")
    return target


def resolve(target: Target, private_ok: bool) -> str:
    """The one address to connect to: every address the name has must pass the rule."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ConnectionError(f"DNS look-up of {target.host} failed ({exc})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    blocked = [a for a in addresses if not is_public_address(a)]
    if blocked and not private_ok:
        raise UnsafeURL(f"{target.host} resolves to {blocked[0]}, which is not a public address.")
    if not addresses:
        raise ConnectionError(f"DNS look-up of {target.host} found no address")
    return addresses[0]


def post(url: str, body: bytes, headers: dict[str, str], timeout: float,
         private_ok: bool | None = None) -> int:
    """POST to a checked URL, connected to the checked address; the response's status.

    Raises UnsafeURL when the rule refuses it, ConnectionError or urllib3's HTTPError when
    the host cannot be reached.
    """
    private_ok = allow_private() if private_ok is None else private_ok
    target = check_url(url, private_ok)
    address = resolve(target, private_ok)
    options: dict[str, Any] = {"port": target.port, "timeout": urllib3.Timeout(total=timeout),
                               "retries": False, "maxsize": 1}
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        # The address on the socket, the name in SNI and in the certificate check.
        pool = urllib3.HTTPSConnectionPool(
            address, server_hostname=target.host, assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED", ca_certs=certifi.where(), **options)
    else:
        pool = urllib3.HTTPConnectionPool(address, **options)
    try:
        response = pool.urlopen("POST", target.path, body=body, redirect=False,
                                assert_same_host=False, preload_content=True,
                                headers={**headers, "Host": target.host_header})
    finally:
        pool.close()
    return response.status

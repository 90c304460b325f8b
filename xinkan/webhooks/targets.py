"""Which URLs a webhook may be sent to.

Only http and https, with a host and without credentials in the URL. Outside DEBUG and tests
(setting `XINKAN_WEBHOOK_ALLOW_INTERNAL`), a target whose host is or resolves to a loopback,
link-local (cloud metadata), unspecified, multicast or reserved address is refused, at subscription
and again before each attempt. Private networks (10/8, 172.16/12, 192.168/16) are allowed: the
receivers of a government intranet live there.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

MAX_LENGTH = 500


class TargetRefused(ValueError):
    """The message says why, in the caller's language."""


def allow_internal() -> bool:
    default = bool(settings.DEBUG or getattr(settings, "TESTING", False))
    return bool(getattr(settings, "XINKAN_WEBHOOK_ALLOW_INTERNAL", default))


def _blocked(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast or ip.is_reserved
    )


def _addresses(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise TargetRefused(_("The host name of the URL cannot be resolved.")) from exc
    return [str(info[4][0]) for info in infos]


def check_address(url: str) -> None:
    """Refuse a target that is (or now resolves to) an internal address."""
    if allow_internal():
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        raise TargetRefused(_("Webhooks cannot be sent to this server's own network."))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if any(_blocked(address) for address in _addresses(host, port)):
        raise TargetRefused(_("Webhooks cannot be sent to this server's own network."))


def check_url(url: str) -> str:
    """The URL, cleaned, or TargetRefused."""
    url = url.strip()
    if len(url) > MAX_LENGTH:
        raise TargetRefused(_("The URL is too long."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(_("Enter a valid http or https URL.")) from exc
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise TargetRefused(_("Enter a valid http or https URL."))
    if parts.username is not None or parts.password is not None:
        raise TargetRefused(_("Do not put a user name or password in the URL."))
    if port == 0 or not url.isprintable() or " " in url:
        raise TargetRefused(_("Enter a valid http or https URL."))
    check_address(url)
    return url

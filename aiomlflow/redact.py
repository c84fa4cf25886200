"""Keeping credentials out of what we print: URLs without their ``user:password@``."""

from __future__ import annotations


def redact_url(url: str) -> str:
    """``url`` without any ``user:password@`` part (other strings unchanged)."""
    if "@" not in url:
        return url
    # urllib.parse (with ipaddress) loads only for a URL that may hold credentials
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))

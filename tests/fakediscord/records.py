"""What the fake remembers about the bot's HTTP traffic, and the fault-injection rules.

Every request is recorded -- including failed, faulted and unknown-route ones -- so a test can assert
on exactly what discord.py put on the wire, and so a missing route shows up instead of hiding.
"""

# A ``timeout=`` keyword is this module's deliberate API for test authors.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RecordedFile:
    """One multipart file part (``files[n]``) as the bot uploaded it."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class RecordedRequest:
    """One HTTP request made by the bot, with the fake's answer.

    ``path`` is relative to the API root (``/channels/1/messages``, no ``/api/v10``). ``json`` is the parsed
    JSON body, or the parsed ``payload_json`` part of a multipart body. ``match`` is set by
    ``wait_for``/``find`` to the regex match of the path (the latest lookup wins), for pulling ids out.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    files: list[RecordedFile] = field(default_factory=list)
    text: str | None = None
    status: int = 0
    response: Any = None
    route: str | None = None
    faulted: bool = False
    match: re.Match[str] | None = None

    @property
    def unhandled(self) -> bool:
        """True when no fake route matched (the response was a 404/405 for an unknown route)."""
        return self.route is None and not self.faulted

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} -> {self.status}{' (fault)' if self.faulted else ''}>"


@dataclass
class Fault:
    """Answer the next ``times`` requests matching ``method``/``pattern`` with ``status`` and ``body``."""

    method: str | None
    pattern: re.Pattern[str]
    status: int
    body: Any
    times: int
    headers: dict[str, str] = field(default_factory=dict)
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.hits >= self.times:
            return False
        return (self.method is None or self.method == method) and bool(self.pattern.fullmatch(path))


class RequestNotSeen(AssertionError):
    """Raised by ``wait_for_request`` on timeout; the message lists what *was* requested."""


class RequestLog:
    """Ordered list of requests plus awaitable lookup.

    ``wait_for`` hands out each request at most once (it "consumes" it), so consecutive waits for the
    same route in a test return consecutive requests rather than the same old one again.
    """

    def __init__(self, *, keep: bool = True) -> None:
        self.keep = keep  # False: waiters are still woken, but only unhandled requests are kept (keep_history)
        self.requests: list[RecordedRequest] = []
        self._consumed: set[int] = set()
        self._changed = asyncio.Condition()

    async def add(self, request: RecordedRequest) -> None:
        if self.keep or request.unhandled:  # without history, still keep what the fake could not route
            self.requests.append(request)
        async with self._changed:
            self._changed.notify_all()

    def clear(self) -> None:
        self.requests.clear()
        self._consumed.clear()

    def find(
        self,
        method: str | None = None,
        pattern: str = r".*",
        *,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        include_consumed: bool = True,
    ) -> list[RecordedRequest]:
        """All recorded requests matching (non-consuming). ``pattern`` must match the whole path."""
        regex = re.compile(pattern)
        found = []
        for index, req in enumerate(self.requests):
            if not include_consumed and index in self._consumed:
                continue
            if method is not None and req.method != method.upper():
                continue
            m = regex.fullmatch(req.path)
            if m is None:
                continue
            req.match = m
            if predicate is None or predicate(req):
                found.append(req)
        return found

    def _take(self, method: str | None, regex: re.Pattern[str], predicate: Any) -> RecordedRequest | None:
        for index, req in enumerate(self.requests):
            if index in self._consumed or (method is not None and req.method != method.upper()):
                continue
            m = regex.fullmatch(req.path)
            if m is None:
                continue
            req.match = m
            if predicate is None or predicate(req):
                self._consumed.add(index)
                return req
        return None

    async def wait_for(
        self,
        method: str | None,
        pattern: str,
        *,
        timeout: float = 5.0,
        predicate: Callable[[RecordedRequest], bool] | None = None,
    ) -> RecordedRequest:
        regex = re.compile(pattern)
        try:
            async with asyncio.timeout(timeout), self._changed:
                while (found := self._take(method, regex, predicate)) is None:
                    await self._changed.wait()
                return found
        except TimeoutError:
            seen = "\n  ".join(repr(r) for r in self.requests) or "(none)"
            wanted = f"{method or 'ANY'} {pattern!r}"
            raise RequestNotSeen(f"no request {wanted} within {timeout}s; requests so far:\n  {seen}") from None


def ratelimit_headers(
    bucket: str, *, remaining: int = 49, limit: int = 50, reset_after: float = 1.0, scope: str | None = None
) -> dict[str, str]:
    """The X-RateLimit-* headers discord.py's Ratelimit.update reads (it uses Reset-After by default)."""
    headers = {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        "X-RateLimit-Bucket": bucket,
    }
    if scope is not None:
        headers["X-RateLimit-Scope"] = scope
    return headers


def lower_keys(mapping: Mapping[str, str]) -> dict[str, str]:
    """Header dicts are stored lower-cased so tests need not guess the casing."""
    return {k.lower(): v for k, v in mapping.items()}

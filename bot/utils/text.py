"""Discord's length limits and safe echoing of user text.

Discord rejects an over-long message with a 400 instead of cutting it, and a member's text
echoed back verbatim could format, ping or impersonate; both are handled here, once.
"""

from __future__ import annotations

import re

import discord

CONTENT_LIMIT = 2000
EMBED_DESCRIPTION_LIMIT = 4096
BUTTON_LABEL_LIMIT = 80
SELECT_OPTION_LABEL_LIMIT = 100
SELECT_OPTION_DESCRIPTION_LIMIT = 100
CUSTOM_ID_LIMIT = 100
ECHO_LIMIT = 200  # how much of a member's question is quoted back

ELLIPSIS = "…"
_WHITESPACE = re.compile(r"\s+")
# Characters without which discord.utils.escape_markdown changes nothing in a one-line text
# (besides a leading ">", "#" or "-", checked apart).
_MARKDOWN_TRIGGERS = frozenset("_\\~|*`[")


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, marked with an ellipsis when anything was cut."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def escape_user_text(text: str, limit: int = ECHO_LIMIT) -> str:
    """Member text made safe to quote on one line: no formatting, no mentions, bounded length.

    Whitespace (newlines included) is collapsed first so the text cannot start its own quote,
    heading or list; it is cut before escaping so no escape sequence is split in half.
    """
    flat = truncate(_WHITESPACE.sub(" ", text).strip(), limit)
    # discord.py's escapers are regex scans with a Python callback per match; most questions hold
    # nothing they would change, which a set test shows at C speed (same output either way).
    if not _MARKDOWN_TRIGGERS.isdisjoint(flat) or flat.startswith((">", "#", "-")):
        flat = discord.utils.escape_markdown(flat)
    return discord.utils.escape_mentions(flat) if "@" in flat else flat


def fit_content(text: str) -> str:
    """A message body that Discord will accept (never empty, at most 2,000 characters)."""
    return truncate(text, CONTENT_LIMIT) if text.strip() else "\u200b"

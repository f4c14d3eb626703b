"""A reply's structure, and how each front end turns it into text.

Why structure: the knowledge base's answers are written in Discord markdown, but the terminal
and `ask --json` must not show `**`, `-#` or Discord's slash commands. The engine therefore
returns each answer as blocks (a title, a body, the figures' provenance) plus notes, and each
front end renders them: `markdown` for Discord (bold title, small-text source line), `plain` for
the terminal and `ask --json` (no markup, the source line labelled).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Source:
    """Where one figure shown in an answer comes from, as the article gives it."""

    figure: str  # as shown, e.g. "$44,090"
    source: str
    date: str | None  # None: undated in the article

    @property
    def provenance(self) -> str:
        return provenance(self.source, self.date)


def provenance(source: str, date: str | None) -> str:
    """'U.S. Bureau of Labor Statistics, May 2020' or '…, undated in the article': the one wording of a source."""
    return f"{source}, {date}" if date else f"{source}, undated in the article"


@dataclass(frozen=True, slots=True)
class Block:
    """One entry's answer: its title, its body (Discord markdown as written), its figures' sources, and
    the entries the knowledge base relates to it (for a front end that offers "see also")."""

    entry_id: str
    title: str
    body: str
    sources: tuple[Source, ...] = field(default_factory=tuple)
    related: tuple[str, ...] = field(default_factory=tuple)

    def provenances(self) -> list[str]:
        return list(dict.fromkeys(s.provenance for s in self.sources))

    @property
    def opening(self) -> str:
        """The body's first sentence (or line): what `lead` keeps whole when the room allows."""
        return _PIECES.split(self.body, maxsplit=1)[0].strip()

    def lead(self, limit: int) -> Block:
        """The block cut to its first lines or sentences within `limit` characters, with the sources of the
        figures it still shows: how a reply to several questions fits them all (answers put their key
        fact first; the whole answer is one question away)."""
        if len(self.body) <= limit:
            return self
        kept = ""
        for piece in _PIECES.split(self.body):
            if kept and len(kept) + len(piece) > limit:
                break
            kept += piece
        kept = kept.rstrip()
        if len(kept) > limit - 3:  # one sentence longer than the room: cut it at a word
            kept = kept[: max(0, limit - 4)].rsplit(" ", 1)[0].rstrip(",;:")
        if kept.count("**") % 2:  # cut inside bold: close it, or it runs on into the next block
            kept += "**"
        kept += " …"  # something was left out: say so
        sources = tuple(s for s in self.sources if s.figure in kept)
        return Block(self.entry_id, self.title, kept, sources, self.related)


# Sentence or line boundaries, kept with what precedes them; "2." numbering a list item is no sentence end.
_PIECES = re.compile(r"(?<!\d\.)(?<!U\.S\.)(?<=[.!?])(?=\s)|(?=\n)")
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", re.S)
_CODE = re.compile(r"`([^`]+)`")
_SUBTEXT = re.compile(r"^-# ", re.M)


def strip_markdown(text: str) -> str:
    """Discord markdown as plain text: bold, italics, inline code and small-text markers removed."""
    text = _BOLD.sub(r"\1", text)
    text = _ITALIC.sub(r"\1", text)
    text = _CODE.sub(r"\1", text)
    return _SUBTEXT.sub("", text)


MISSING = "The article doesn't cover this part of your question: “{part}”."
_MARKDOWN_CHARS = re.compile(r"([\\*_~`|>#\[\]()<:-])")


def escape_markdown(text: str) -> str:
    """A member's words quoted in a reply: markdown shown as typed (no masked links, no bold), no mention."""
    return _MARKDOWN_CHARS.sub(r"\\\1", text).replace("@", "@\u200b")


def markdown(blocks: tuple[Block, ...], notes: tuple[str, ...] = (), missing: tuple[str, ...] = ()) -> str:
    """Discord: each block as a bold title, its body and a small-text source line; then what the article
    lacks (the member's words, escaped) and the notes."""
    parts = []
    for block in blocks:
        text = f"**{block.title}**\n{block.body}"
        provenances = block.provenances()
        if provenances:
            text += "\n-# Source: " + "; ".join(provenances)
        parts.append(text)
    parts += [MISSING.format(part=escape_markdown(part)) for part in missing]
    return "\n\n".join(parts + list(notes))


def plain(blocks: tuple[Block, ...], notes: tuple[str, ...] = (), text: str = "", missing: tuple[str, ...] = ()) -> str:
    """The terminal and `ask --json`: the same content with no markup; `text` for replies without blocks."""
    if not blocks:
        return strip_markdown(text)
    parts = []
    for block in blocks:
        lines = [block.title, strip_markdown(block.body)]
        provenances = block.provenances()
        if provenances:
            lines.append("Source: " + "; ".join(provenances))
        parts.append("\n".join(lines))
    parts += [MISSING.format(part=part) for part in missing]  # the terminal shows the member's words as typed
    return "\n\n".join(parts + [strip_markdown(note) for note in notes])

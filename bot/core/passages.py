"""The text of an entry as the semantic models read it: the same at training and at run time.

Why one module: the encoder and the reader were trained on exactly these strings, so any drift between
what `tools/train_reader.py` fed them and what the pipeline feeds them would cost accuracy silently.
Both read entry text, never entry ids, so an entry added to the YAML is read without retraining.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.models import Entry
from bot.core.render import strip_markdown

if TYPE_CHECKING:
    from bot.core.knowledge import KnowledgeBase
    from bot.core.normalize import Normalizer


def question_text(normalizer: Normalizer, text: str) -> str:
    """A member's words as the models read them: cleaned, shorthand expanded and spelling corrected against
    the knowledge base ("wats the bls medain 4 coders" -> "what the bls median for coders")."""
    return " ".join(normalizer.surface(text)) or text


def reader_text(entry: Entry) -> str:
    """Title and answer, without markup: what the reader weighs a question against (cut to its length)."""
    body = " ".join(strip_markdown(entry.answer).split())
    return f"{entry.title}. {body}"


def passages(entry: Entry) -> list[str]:
    """The texts the encoder embeds for an entry; its score is the best of them: the title, every
    phrasing (questions it answers, as members word them) and the reader's text."""
    return list(dict.fromkeys([entry.title, *entry.phrasings, reader_text(entry)]))


def small_talk_texts(kb: KnowledgeBase) -> list[str]:
    """The small-talk examples as the encoder embeds them: read like a member's words."""
    return [question_text(kb.normalizer, example) for _, example in kb.small_talk.examples()]


def embedded_texts(kb: KnowledgeBase) -> list[str]:
    """Every text of the knowledge base the encoder embeds, once each: what `passages.npz` caches."""
    return list(dict.fromkeys([text for entry in kb for text in passages(entry)] + small_talk_texts(kb)))

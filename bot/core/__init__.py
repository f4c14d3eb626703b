"""The Discord-free core: knowledge base, matcher and answer engine.

Everything a front end (terminal, Discord cogs, benchmarks) needs goes through here, so every
front end answers exactly the same way.
"""

from bot.core.engine import Engine, Reply, ReplyKind, Suggestion

__all__ = ["Engine", "Reply", "ReplyKind", "Suggestion"]

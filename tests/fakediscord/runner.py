"""Start an unmodified discord.py client against a :class:`FakeDiscord` and shut it down cleanly."""

# A ``timeout=`` keyword is this module's deliberate API for test authors.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TypeVar

import discord
from discord.http import Route

from .server import FakeDiscord

ClientT = TypeVar("ClientT", bound=discord.Client)


@contextlib.asynccontextmanager
async def running_bot(
    bot: ClientT,
    fake: FakeDiscord,
    *,
    token: str | None = None,
    timeout: float = 10.0,
    reconnect: bool = True,
    drain: float = 2.0,
    guild_ready_timeout: float | None = None,
) -> AsyncIterator[ClientT]:
    """``async with running_bot(bot, fake) as bot:`` -- logged in, connected and ``ready`` inside.

    This is ``bot.start(token)`` split in two: ``login`` runs in the foreground so its errors
    (``LoginFailure`` for a bad token, HTTP errors, exceptions from ``setup_hook``) surface directly, then
    ``connect`` runs in a task while we wait for ``wait_until_ready``. On exit the bot is closed and the
    connect task awaited; an exception that ended the connection early is re-raised, so a bot that died
    mid-test fails the test. If discord.py is not pointed at ``fake`` yet, the URLs are patched for the
    duration (the ``fake_discord`` fixture already does that).

    Before closing (when the body succeeded) it waits up to ``drain`` seconds for the bot's event
    handlers, app-command invocations and View callbacks that are still running, so a handler's last
    request is not cut off by the shutdown (which would only be *logged* by discord.py, not fail the test).

    Keep ``guild_ready_timeout`` small on the bot (e.g. ``commands.Bot(..., guild_ready_timeout=0.1)``):
    discord.py waits that long after the last GUILD_CREATE before firing ``on_ready`` (default 2 s).
    For a bot class that does not pass constructor options through, ``guild_ready_timeout=0.1`` here
    sets the same per-client setting (``bot._connection.guild_ready_timeout``) before login.
    """
    error: BaseException | None = None
    if guild_ready_timeout is not None:
        bot._connection.guild_ready_timeout = guild_ready_timeout
    with contextlib.ExitStack() as stack:
        if fake.api_base != Route.BASE:
            stack.enter_context(fake.patch_discord_urls())
        connect: asyncio.Task[None] | None = None
        try:
            await asyncio.wait_for(bot.login(token if token is not None else fake.token), timeout)
            connect = asyncio.create_task(bot.connect(reconnect=reconnect), name="fakediscord-bot-connect")
            ready = asyncio.create_task(bot.wait_until_ready(), name="fakediscord-bot-ready")
            done, _ = await asyncio.wait({connect, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if ready not in done:
                ready.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ready
                if connect in done:
                    connect.result()  # raises what ended the connection
                    raise RuntimeError("bot.connect() returned before the bot became ready")
                raise TimeoutError(f"bot not ready within {timeout}s (gateway connections: {fake.connections})")
            yield bot
            await wait_for_handlers(drain)
        finally:
            # Runs on success and on failure; a connect-task error is only raised below, on success,
            # so it never masks the test's own exception.
            error = await _shutdown(bot, connect, timeout)
    if error is not None:
        raise error


_HANDLER_TASK_PREFIXES = ("discord.py: ", "CommandTree-invoker", "discord-ui-view-dispatch-")


async def wait_for_handlers(timeout: float = 2.0) -> bool:
    """Wait until no discord.py handler task is running (event listeners, app commands, View item
    callbacks -- recognised by the task names discord.py gives them). Returns False on timeout.

    Handy before asserting on something a handler does *after* its last request.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    current = asyncio.current_task()
    while True:
        pending = [
            t
            for t in asyncio.all_tasks()
            if t is not current and not t.done() and t.get_name().startswith(_HANDLER_TASK_PREFIXES)
        ]
        remaining = deadline - loop.time()
        if not pending:
            return True
        if remaining <= 0:
            return False
        await asyncio.wait(pending, timeout=remaining)


async def _shutdown(bot: discord.Client, connect: asyncio.Task[None] | None, timeout: float) -> BaseException | None:
    """Close the client, then collect the connect task (it returns once discord.py sees the close)."""
    await bot.close()
    if connect is None:
        return None
    if not connect.done():
        try:
            await asyncio.wait_for(asyncio.shield(connect), timeout)
        except TimeoutError:
            connect.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await connect
            return TimeoutError(f"bot.connect() did not finish within {timeout}s after close()")
        except Exception:
            pass
    if connect.cancelled():
        return None
    return connect.exception()

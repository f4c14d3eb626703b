"""Views whose buttons are routed by custom id, so discord.py need not track them.

Every button and menu the bot sends is a registered `DynamicItem`: a press is answered from its
custom id alone, even after a restart, without the `View` object that sent it. A finished view is
still serialised into components but skips discord.py's view store entirely (no listener set-up,
no timeout bookkeeping), and one helper replaces six hand-built `View(timeout=None)` blocks.
"""

from __future__ import annotations

import discord


def routed_view(*items: discord.ui.Item) -> discord.ui.View:
    """A view carrying `items` to Discord only; presses reach the registered dynamic items."""
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    view.stop()  # sent as components, never stored: the dynamic items do the routing
    return view

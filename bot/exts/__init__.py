"""Bot extensions, one per feature; each module has an `async def setup(bot)`.

Every module in this package is loaded by `MedcoderBot.setup_hook`, so adding a feature is
adding a file.
"""

from __future__ import annotations

import pkgutil

EXTENSIONS: tuple[str, ...] = tuple(
    sorted(f"{__name__}.{module.name}" for module in pkgutil.iter_modules(__path__) if not module.name.startswith("_"))
)

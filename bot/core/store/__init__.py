"""Storage for checklists, reminders and member settings, Discord-free.

`Store` is the interface; `SQLiteStore` the backend in use. Open it once at start-up:
`store = await SQLiteStore.open(settings.db, clock=clock)`.
"""

from bot.core.store.base import MAX_ACTIVE_REMINDERS, LimitError, Store, StoreError
from bot.core.store.models import (
    LATE_AFTER,
    MAX_NOTE_LENGTH,
    ChecklistItem,
    MemberExport,
    Reminder,
    ReminderStatus,
    build_checklist,
)
from bot.core.store.sqlite import SQLiteStore

__all__ = [
    "LATE_AFTER",
    "MAX_ACTIVE_REMINDERS",
    "MAX_NOTE_LENGTH",
    "ChecklistItem",
    "LimitError",
    "MemberExport",
    "Reminder",
    "ReminderStatus",
    "SQLiteStore",
    "Store",
    "StoreError",
    "build_checklist",
]

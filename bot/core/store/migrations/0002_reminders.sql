-- Reminders and the dispatcher's claims on them, plus the flag that tells a member their
-- reminders were paused (their DMs were closed) the next time they use a command.

ALTER TABLE members ADD COLUMN notice_pending INTEGER NOT NULL DEFAULT 0;

CREATE TABLE reminders (
    -- AUTOINCREMENT: ids are never reused, so a button on an old DM can't reach a newer reminder.
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES members (user_id) ON DELETE CASCADE,
    note        TEXT    NOT NULL,
    step_id     TEXT,                       -- the step it is about, for a "mark done" button
    due_at      INTEGER NOT NULL,           -- the occurrence being reminded of; retries don't move it
    recurrence  TEXT,                       -- serialised timeparse.Recurrence, NULL for a one-off
    timezone    TEXT    NOT NULL,           -- the member's zone when it was set: recurrences step in it
    anchor_at   INTEGER NOT NULL,           -- the schedule's origin (first occurrence)
    status      TEXT    NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'paused', 'done', 'cancelled')),
    created_at  INTEGER NOT NULL,
    attempt_at  INTEGER NOT NULL,           -- next look by the dispatcher: due, retry or lease expiry
    attempts    INTEGER NOT NULL DEFAULT 0, -- failed deliveries of this occurrence
    claim_token TEXT,                       -- set while a dispatcher holds it
    finished_at INTEGER                     -- when it became done or cancelled
);

CREATE INDEX reminders_due ON reminders (attempt_at) WHERE status = 'active';
CREATE INDEX reminders_member ON reminders (user_id, status);

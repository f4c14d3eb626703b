-- Study groups (issue 15): who opted into a server's group view, the server's few settings, the
-- weekly digest as a reminder row owned by the server, and per-server /ask topic counts.
-- Data kept to the minimum: ids, a schedule, a timezone, counts by knowledge-base entry id. Never a
-- question's text, never a name (names are shown by Discord from the member id, when allowed).

-- A member's opt-in to one server's group view; `show_name` lets their name appear next to their
-- steps. Leaving deletes the row, so the member drops out of every count at once.
CREATE TABLE group_members (
    guild_id  BIGINT  NOT NULL,
    user_id   BIGINT  NOT NULL REFERENCES members (user_id) ON DELETE CASCADE,
    show_name BOOLEAN NOT NULL DEFAULT FALSE,
    joined_at BIGINT  NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

CREATE INDEX group_members_user ON group_members (user_id);

-- One row per server that set something; deleted when the bot leaves the server.
CREATE TABLE guilds (
    guild_id          BIGINT PRIMARY KEY,
    timezone          TEXT   NOT NULL DEFAULT 'UTC',  -- IANA name: the digest's weekday and time are in it
    digest_channel_id BIGINT,                         -- NULL while no digest is set
    digest_weekday    INTEGER,                        -- 0 = Monday
    digest_time       TEXT,                           -- 'HH:MM'
    digest_sent_for   BIGINT,                         -- the occurrence last posted: at most one post each
    digest_counts     TEXT,                           -- JSON step id -> members done, at the last post
    digest_problem    TEXT                            -- why the bot stopped the digest, for the next admin
);

-- /ask topics per server and UTC day, by entry id only: the digest's "most asked this week".
CREATE TABLE guild_topics (
    guild_id BIGINT NOT NULL,
    day      BIGINT NOT NULL,  -- unix day number (seconds // 86400)
    entry_id TEXT   NOT NULL,
    count    BIGINT NOT NULL,
    PRIMARY KEY (guild_id, day, entry_id)
);

-- A reminder is now a member's (user_id) or a server's weekly digest (guild_id), never both: the
-- digest reuses the reminder scheduler's claims, leases and weekly recurrence, so there is one
-- scheduler and a digest is posted by one process only.

-- dialect: sqlite

-- SQLite can't drop NOT NULL in place: rebuild the table, keeping every id and the AUTOINCREMENT
-- high-water mark, so ids are still never reused.
CREATE TABLE reminders_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER REFERENCES members (user_id) ON DELETE CASCADE,
    guild_id    INTEGER,
    note        TEXT    NOT NULL,
    step_id     TEXT,
    due_at      INTEGER NOT NULL,
    recurrence  TEXT,
    timezone    TEXT    NOT NULL,
    anchor_at   INTEGER NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'paused', 'done', 'cancelled')),
    created_at  INTEGER NOT NULL,
    attempt_at  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    claim_token TEXT,
    finished_at INTEGER,
    CHECK ((user_id IS NULL) <> (guild_id IS NULL))
);

INSERT INTO reminders_new (id, user_id, note, step_id, due_at, recurrence, timezone, anchor_at, status,
                           created_at, attempt_at, attempts, claim_token, finished_at)
    SELECT id, user_id, note, step_id, due_at, recurrence, timezone, anchor_at, status,
           created_at, attempt_at, attempts, claim_token, finished_at
    FROM reminders;

DELETE FROM sqlite_sequence WHERE name = 'reminders_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'reminders_new', seq FROM sqlite_sequence WHERE name = 'reminders';
DROP TABLE reminders;
ALTER TABLE reminders_new RENAME TO reminders;
CREATE INDEX reminders_due ON reminders (attempt_at) WHERE status = 'active';
CREATE INDEX reminders_member ON reminders (user_id, status);

-- dialect: postgresql

ALTER TABLE reminders ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE reminders ADD COLUMN guild_id BIGINT;
ALTER TABLE reminders ADD CONSTRAINT reminders_one_owner CHECK ((user_id IS NULL) <> (guild_id IS NULL));

-- dialect: all

CREATE UNIQUE INDEX reminders_digest ON reminders (guild_id) WHERE guild_id IS NOT NULL;

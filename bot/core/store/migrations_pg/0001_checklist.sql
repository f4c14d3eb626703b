-- Members and their checklists, as in migrations/0001_checklist.sql (same version, same meaning).
-- Times are BIGINT unix seconds like the SQLite schema, so both stores share one row format.

CREATE TABLE members (
    user_id  BIGINT PRIMARY KEY,  -- Discord user id (a 64-bit snowflake)
    timezone TEXT                 -- IANA name, NULL until the member sets one
);

CREATE TABLE checklist (
    user_id BIGINT NOT NULL REFERENCES members (user_id) ON DELETE CASCADE,
    step_id TEXT   NOT NULL,      -- a knowledge-base step id, e.g. 'step-education'
    done_at BIGINT NOT NULL,      -- a row exists only while the step is done
    PRIMARY KEY (user_id, step_id)
);

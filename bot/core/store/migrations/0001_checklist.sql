-- Members and their checklists: only a member's Discord id, their timezone and which steps are done.
-- Times are integer unix seconds on both databases, so both stores share one row format.

-- dialect: sqlite

CREATE TABLE members (
    user_id  INTEGER PRIMARY KEY,  -- Discord user id (a 64-bit snowflake)
    timezone TEXT                  -- IANA name, NULL until the member sets one
);

CREATE TABLE checklist (
    user_id INTEGER NOT NULL REFERENCES members (user_id) ON DELETE CASCADE,
    step_id TEXT    NOT NULL,      -- a knowledge-base step id, e.g. 'step-education'
    done_at INTEGER NOT NULL,      -- a row exists only while the step is done
    PRIMARY KEY (user_id, step_id)
);

-- dialect: postgresql

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

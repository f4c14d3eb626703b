-- Votes on answers and the questions the knowledge base could not answer, as in migrations/0003_feedback.sql.

CREATE TABLE feedback (
    user_id  BIGINT  NOT NULL REFERENCES members (user_id) ON DELETE CASCADE,
    entry_id TEXT    NOT NULL,          -- a knowledge-base entry id; never the question text
    helpful  BOOLEAN NOT NULL,
    voted_at BIGINT  NOT NULL,
    PRIMARY KEY (user_id, entry_id)
);

CREATE INDEX feedback_entry ON feedback (entry_id);

-- No member id, by design: see the SQLite migration.
CREATE TABLE unanswered (
    text       TEXT   PRIMARY KEY,      -- the cleaned question, shortened
    count      BIGINT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL
);

CREATE INDEX unanswered_last_seen ON unanswered (last_seen);

-- What the knowledge base learns from: members' votes on answers, and the questions it could not answer.

-- One vote per member and answer entry; a second vote replaces the first. The entry id only, never
-- the question that led to it, so a vote says nothing about what the member asked.

-- dialect: sqlite

CREATE TABLE feedback (
    user_id  INTEGER NOT NULL REFERENCES members (user_id) ON DELETE CASCADE,
    entry_id TEXT    NOT NULL,          -- a knowledge-base entry id, e.g. 'cpc-salary'
    helpful  INTEGER NOT NULL CHECK (helpful IN (0, 1)),
    voted_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, entry_id)
);

CREATE INDEX feedback_entry ON feedback (entry_id);

-- Questions that fell back or only got suggestions, by their normalised text, with no member id:
-- nothing here can be traced to who asked. At most a configured number of texts is kept (oldest go).
CREATE TABLE unanswered (
    text       TEXT    PRIMARY KEY,     -- the cleaned question, shortened
    count      INTEGER NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
);

CREATE INDEX unanswered_last_seen ON unanswered (last_seen);

-- dialect: postgresql

CREATE TABLE feedback (
    user_id  BIGINT  NOT NULL REFERENCES members (user_id) ON DELETE CASCADE,
    entry_id TEXT    NOT NULL,          -- a knowledge-base entry id; never the question text
    helpful  BOOLEAN NOT NULL,
    voted_at BIGINT  NOT NULL,
    PRIMARY KEY (user_id, entry_id)
);

CREATE INDEX feedback_entry ON feedback (entry_id);

-- No member id, by design (see above).
CREATE TABLE unanswered (
    text       TEXT   PRIMARY KEY,      -- the cleaned question, shortened
    count      BIGINT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL
);

CREATE INDEX unanswered_last_seen ON unanswered (last_seen);

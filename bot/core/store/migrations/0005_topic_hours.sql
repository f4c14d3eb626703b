-- The digest's "most asked this week" counted by UTC hour instead of UTC day. A digest looks back over
-- exactly the week since the one before it; counted by day, the hours between a digest and the next
-- UTC midnight fell in neither week (up to a seventh of the week, for a digest posted early in the UTC
-- day). Existing counts keep their day's first hour.

ALTER TABLE guild_topics RENAME COLUMN day TO hour;

UPDATE guild_topics SET hour = hour * 24;

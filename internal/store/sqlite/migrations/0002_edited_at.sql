-- When the body was last edited (unix ms), NULL when never: updated_at also
-- moves on boosts, and readers want to show "(edited)" for edits only.
ALTER TABLE messages ADD COLUMN edited_at INTEGER;

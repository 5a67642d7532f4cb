CREATE TABLE a (id INTEGER);
INSERT INTO a VALUES (1)
-- the last statement has no ';' and this comment is not part of it

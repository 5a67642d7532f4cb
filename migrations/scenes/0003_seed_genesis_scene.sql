-- The genesis block: the intro video (/public/intro/intro.mp4) is scene 1.
-- It is the root of the tree: no parent, no slot, and already completed.
-- It is "as little special as possible": the same mechanics apply to it.

INSERT INTO scenes (id, parent_id, slot, status)
VALUES (1, NULL, NULL, 'completed')
ON CONFLICT (id) DO NOTHING;

-- The row above was inserted with an explicit id, which does not move the
-- SERIAL sequence: advance it so the next scene gets id 2 (or max(id) + 1).
SELECT setval(pg_get_serial_sequence('scenes', 'id'), (SELECT max(id) FROM scenes), true);

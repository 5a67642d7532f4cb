-- Broadcast shot association changes (images added to, moved in or removed
-- from a shot) so open editors refresh.
--
-- REPLICA IDENTITY FULL: a DELETE event then carries the whole old row, so
-- clients subscribed with a `shot_id=eq.<uuid>` filter also see removals.

-- Fail fast instead of queueing every query behind a blocked ALTER.
SET LOCAL lock_timeout = '5s';

ALTER TABLE public.shot_generations REPLICA IDENTITY FULL;

ALTER PUBLICATION supabase_realtime ADD TABLE public.shot_generations;

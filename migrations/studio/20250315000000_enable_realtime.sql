-- Broadcast gallery updates (new outputs) and task status changes over
-- Supabase Realtime. The publication itself belongs to Supabase (the prelude
-- creates it, empty, on plain Postgres).

ALTER PUBLICATION supabase_realtime ADD TABLE public.generations, public.tasks;

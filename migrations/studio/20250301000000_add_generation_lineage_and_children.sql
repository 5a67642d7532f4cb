-- Generation relationships, part 1 and 2 (variants come later):
--
--   based_on              lineage: B was derived from A (magic edit, img2img,
--                         remix). Both stay separate gallery items.
--   parent_generation_id  composite outputs: a travel video (parent) and its
--   is_child              segments (children, is_child = true, hidden from the
--   child_order           gallery) in child_order 0, 1, 2 ...
--   children              denormalised cache on the parent: [{id, order}, ...]
--
-- Also: starred (gallery filter) and name.

-- Fail fast instead of queueing every query behind a blocked ALTER.
SET LOCAL lock_timeout = '5s';

ALTER TABLE public.generations
  ADD COLUMN name text,
  ADD COLUMN starred boolean NOT NULL DEFAULT false,
  ADD COLUMN based_on uuid REFERENCES public.generations (id) ON DELETE SET NULL,
  ADD COLUMN parent_generation_id uuid REFERENCES public.generations (id) ON DELETE CASCADE,
  ADD COLUMN is_child boolean NOT NULL DEFAULT false,
  ADD COLUMN child_order integer,
  ADD COLUMN children jsonb NOT NULL DEFAULT '[]'::jsonb;

-- dbtool:lint-ignore PG104 checks only columns added above (is_child NOT NULL DEFAULT false), so every existing row passes; one scan under this file's lock
ALTER TABLE public.generations
  ADD CONSTRAINT generations_child_has_parent_check
  CHECK (NOT is_child OR parent_generation_id IS NOT NULL);

-- dbtool:lint-ignore PG101 indexes a column added in this same file and stays in its transaction so the file is atomic; accepted write block while it builds
CREATE INDEX idx_generations_parent_generation_id
  ON public.generations (parent_generation_id, child_order)
  WHERE parent_generation_id IS NOT NULL;

-- Keep the parent's `children` cache equal to its child rows, ordered.
CREATE OR REPLACE FUNCTION public.sync_parent_children()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public
AS $$
DECLARE
  _parents uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    _parents := ARRAY[NEW.parent_generation_id];
  ELSIF TG_OP = 'DELETE' THEN
    _parents := ARRAY[OLD.parent_generation_id];
  ELSE
    _parents := ARRAY[OLD.parent_generation_id, NEW.parent_generation_id];
  END IF;

  UPDATE public.generations p
     SET children = c.children
    FROM (
      SELECT pid.id AS parent_id,
             coalesce((
               SELECT jsonb_agg(jsonb_build_object('id', ch.id, 'order', ch.child_order)
                                ORDER BY ch.child_order NULLS LAST, ch.created_at, ch.id)
                 FROM public.generations ch
                WHERE ch.parent_generation_id = pid.id
             ), '[]'::jsonb) AS children
        FROM unnest(_parents) AS pid(id)
       WHERE pid.id IS NOT NULL
    ) c
   WHERE p.id = c.parent_id
     AND p.children IS DISTINCT FROM c.children;
  RETURN NULL;
END;
$$;

CREATE TRIGGER trg_sync_parent_children
  AFTER INSERT OR DELETE OR UPDATE OF parent_generation_id, child_order ON public.generations
  FOR EACH ROW EXECUTE FUNCTION public.sync_parent_children();

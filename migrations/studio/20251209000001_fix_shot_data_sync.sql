-- Fix generations.shot_data drifting from shot_generations.
--
-- The first sync_shot_to_generation() (20251101000000) patched shot_data
-- incrementally, and got it wrong in three ways:
--   * moving a link to another shot or generation (UPDATE of shot_id or
--     generation_id) added the new key but left the old one behind, on the
--     old generation too;
--   * deleting one of two links of a generation to the same shot removed the
--     shot's key although the generation was still in the shot;
--   * deleting the primary link cleared shot_id/timeline_frame even when the
--     generation still had other links.
--
-- The new version recomputes the denormalised columns of every affected
-- generation from the source of truth:
--   shot_data      = {shot_id: timeline_frame} over its links (for a shot
--                    linked twice, the frame of its first link);
--   shot_id,
--   timeline_frame = its first link (oldest created_at).
-- It only fires for the columns that matter, and only writes rows that change.
-- The backfill below repairs the rows the old version left wrong.

CREATE OR REPLACE FUNCTION public.sync_shot_to_generation()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public
AS $$
DECLARE
  _generations uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    _generations := ARRAY[NEW.generation_id];
  ELSIF TG_OP = 'DELETE' THEN
    _generations := ARRAY[OLD.generation_id];
  ELSE
    _generations := ARRAY[OLD.generation_id, NEW.generation_id];
  END IF;

  UPDATE public.generations g
     SET shot_data = fresh.shot_data,
         shot_id = fresh.shot_id,
         timeline_frame = fresh.timeline_frame
    FROM (
      SELECT ids.id AS generation_id,
             coalesce((
               SELECT jsonb_object_agg(firsts.shot_id::text, firsts.timeline_frame)
                 FROM (
                   SELECT DISTINCT ON (sg.shot_id) sg.shot_id, sg.timeline_frame
                     FROM public.shot_generations sg
                    WHERE sg.generation_id = ids.id
                    ORDER BY sg.shot_id, sg.created_at, sg.id
                 ) firsts
             ), '{}'::jsonb) AS shot_data,
             first_link.shot_id,
             first_link.timeline_frame
        FROM (SELECT DISTINCT unnest(_generations) AS id) ids
        LEFT JOIN LATERAL (
          SELECT sg.shot_id, sg.timeline_frame
            FROM public.shot_generations sg
           WHERE sg.generation_id = ids.id
           ORDER BY sg.created_at, sg.id
           LIMIT 1
        ) first_link ON true
    ) fresh
   WHERE g.id = fresh.generation_id
     AND (g.shot_data, g.shot_id, g.timeline_frame)
         IS DISTINCT FROM (fresh.shot_data, fresh.shot_id, fresh.timeline_frame);

  RETURN NULL;
END;
$$;

-- Position-only changes do not touch the denormalised columns.
DROP TRIGGER IF EXISTS trg_sync_shot_to_generation ON public.shot_generations;
CREATE TRIGGER trg_sync_shot_to_generation
  AFTER INSERT OR DELETE OR UPDATE OF shot_id, generation_id, timeline_frame
  ON public.shot_generations
  FOR EACH ROW EXECUTE FUNCTION public.sync_shot_to_generation();

-- Backfill: recompute every generation.
UPDATE public.generations g
   SET shot_data = fresh.shot_data,
       shot_id = fresh.shot_id,
       timeline_frame = fresh.timeline_frame
  FROM (
    SELECT g2.id AS generation_id,
           coalesce((
             SELECT jsonb_object_agg(firsts.shot_id::text, firsts.timeline_frame)
               FROM (
                 SELECT DISTINCT ON (sg.shot_id) sg.shot_id, sg.timeline_frame
                   FROM public.shot_generations sg
                  WHERE sg.generation_id = g2.id
                  ORDER BY sg.shot_id, sg.created_at, sg.id
               ) firsts
           ), '{}'::jsonb) AS shot_data,
           first_link.shot_id,
           first_link.timeline_frame
      FROM public.generations g2
      LEFT JOIN LATERAL (
        SELECT sg.shot_id, sg.timeline_frame
          FROM public.shot_generations sg
         WHERE sg.generation_id = g2.id
         ORDER BY sg.created_at, sg.id
         LIMIT 1
      ) first_link ON true
  ) fresh
 WHERE g.id = fresh.generation_id
   AND (g.shot_data, g.shot_id, g.timeline_frame)
       IS DISTINCT FROM (fresh.shot_data, fresh.shot_id, fresh.timeline_frame);

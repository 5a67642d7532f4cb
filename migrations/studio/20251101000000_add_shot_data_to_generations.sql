-- Denormalise shot associations onto generations, so the gallery can filter
-- by shot without a JOIN:
--
--   generations.shot_data       {"<shot uuid>": <timeline_frame>, ...}, one
--                               key per shot the generation belongs to
--   generations.shot_id         the "primary" association (the first one)
--   generations.timeline_frame  its timeline frame
--
-- shot_generations stays the source of truth; the trigger function
-- sync_shot_to_generation() maintains the copy. `shot_data ? '<uuid>'` is
-- served by the GIN index.

-- Fail fast instead of queueing every query behind a blocked ALTER.
SET LOCAL lock_timeout = '5s';

ALTER TABLE public.generations
  ADD COLUMN shot_data jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN shot_id uuid REFERENCES public.shots (id) ON DELETE SET NULL,
  ADD COLUMN timeline_frame integer;

-- dbtool:lint-ignore PG101 indexes a column added in this same file and stays in its transaction so the file is atomic; accepted write block while it builds
CREATE INDEX idx_generations_shot_data ON public.generations USING gin (shot_data);
-- dbtool:lint-ignore PG101 indexes a column added in this same file and stays in its transaction so the file is atomic; accepted write block while it builds
CREATE INDEX idx_generations_shot_id ON public.generations (shot_id);

CREATE OR REPLACE FUNCTION public.sync_shot_to_generation()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public
AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE public.generations
       SET shot_data = shot_data || jsonb_build_object(NEW.shot_id::text, NEW.timeline_frame),
           shot_id = coalesce(shot_id, NEW.shot_id),
           timeline_frame = CASE WHEN shot_id IS NULL THEN NEW.timeline_frame ELSE timeline_frame END
     WHERE id = NEW.generation_id;
    RETURN NEW;
  ELSIF TG_OP = 'UPDATE' THEN
    UPDATE public.generations
       SET shot_data = shot_data || jsonb_build_object(NEW.shot_id::text, NEW.timeline_frame),
           timeline_frame = CASE WHEN shot_id = NEW.shot_id THEN NEW.timeline_frame ELSE timeline_frame END
     WHERE id = NEW.generation_id;
    RETURN NEW;
  ELSE
    UPDATE public.generations
       SET shot_data = shot_data - OLD.shot_id::text,
           shot_id = CASE WHEN shot_id = OLD.shot_id THEN NULL ELSE shot_id END,
           timeline_frame = CASE WHEN shot_id = OLD.shot_id THEN NULL ELSE timeline_frame END
     WHERE id = OLD.generation_id;
    RETURN OLD;
  END IF;
END;
$$;

CREATE TRIGGER trg_sync_shot_to_generation
  AFTER INSERT OR UPDATE OR DELETE ON public.shot_generations
  FOR EACH ROW EXECUTE FUNCTION public.sync_shot_to_generation();

-- Backfill from the existing links (first link per generation is primary).
UPDATE public.generations g
   SET shot_data = agg.shot_data,
       shot_id = agg.first_shot_id,
       timeline_frame = agg.first_frame
  FROM (
    SELECT sg.generation_id,
           jsonb_object_agg(sg.shot_id::text, sg.timeline_frame) AS shot_data,
           (array_agg(sg.shot_id ORDER BY sg.created_at, sg.id))[1] AS first_shot_id,
           (array_agg(sg.timeline_frame ORDER BY sg.created_at, sg.id))[1] AS first_frame
      FROM public.shot_generations sg
     GROUP BY sg.generation_id
  ) agg
 WHERE g.id = agg.generation_id;

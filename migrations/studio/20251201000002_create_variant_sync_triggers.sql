-- Variant sync: five triggers keep generations and generation_variants in
-- step.
--
-- | trigger                                  | event                                       |
-- |------------------------------------------|---------------------------------------------|
-- | trg_handle_variant_primary_switch        | BEFORE INSERT / UPDATE OF is_primary (variants) |
-- | trg_sync_generation_from_variant         | AFTER INSERT / UPDATE (variants)            |
-- | trg_auto_create_variant_after_generation | AFTER INSERT (generations)                  |
-- | trg_sync_variant_from_generation         | AFTER UPDATE (generations)                  |
-- | trg_handle_variant_deletion              | BEFORE DELETE (variants)                    |
--
-- Rules:
--   * at most one primary variant per generation: making a variant primary
--     demotes the others;
--   * the variant is the source of truth: the primary variant's location,
--     thumbnail_url, params and name are copied to its generation, and
--     generations.primary_variant_id points at it;
--   * legacy writers that insert into generations directly (location, no
--     primary_variant_id) get an 'original' primary variant created for them;
--   * legacy writers that update generations (location, thumbnail_url, params,
--     name) have the change copied to the primary variant; setting
--     generations.primary_variant_id switches the primary variant;
--   * deleting the primary variant promotes the most recently created
--     remaining one (or clears primary_variant_id when none is left).
--
-- Recursion guard: the triggers call each other (variant -> generation ->
-- variant ...). Every write is conditional on a real difference (IS DISTINCT
-- FROM in the WHERE clause, a WHEN clause on trg_sync_variant_from_generation),
-- so after one copy both rows are equal and the chain stops at the next step.
-- No guard depends on pg_trigger_depth(), so writes made by other triggers
-- (e.g. the shot_data sync) behave exactly like direct ones.
--
-- The functions are SECURITY INVOKER: a user's RLS policies apply to the rows
-- the triggers touch, which are always in the same project.

-- ---------------------------------------------------------------------------
-- 1. one primary variant per generation
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION public.handle_variant_primary_switch()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public
AS $$
BEGIN
  -- a variant belongs to its generation's project
  IF TG_OP = 'INSERT' AND NEW.project_id IS NULL THEN
    SELECT g.project_id INTO NEW.project_id
      FROM public.generations g
     WHERE g.id = NEW.generation_id;
  END IF;

  IF NEW.is_primary THEN
    -- The variant being deleted by handle_variant_deletion() (which promotes
    -- this one) must not be modified by its own delete's trigger.
    UPDATE public.generation_variants v
       SET is_primary = false
     WHERE v.generation_id = NEW.generation_id
       AND v.id <> NEW.id
       AND v.is_primary
       AND v.id IS DISTINCT FROM
           nullif(current_setting('studio.deleting_variant_id', true), '')::uuid;
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER trg_handle_variant_primary_switch
  BEFORE INSERT OR UPDATE OF is_primary ON public.generation_variants
  FOR EACH ROW EXECUTE FUNCTION public.handle_variant_primary_switch();

-- ---------------------------------------------------------------------------
-- 2. primary variant -> generations
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION public.sync_generation_from_variant()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public
AS $$
BEGIN
  IF NEW.is_primary THEN
    UPDATE public.generations g
       SET primary_variant_id = NEW.id,
           location = NEW.location,
           thumbnail_url = NEW.thumbnail_url,
           params = NEW.params,
           name = NEW.name
     WHERE g.id = NEW.generation_id
       AND (g.primary_variant_id, g.location, g.thumbnail_url, g.params, g.name)
           IS DISTINCT FROM (NEW.id, NEW.location, NEW.thumbnail_url, NEW.params, NEW.name);
  ELSIF TG_OP = 'UPDATE' AND OLD.is_primary THEN
    -- demoted: the generation no longer points at it (a newly promoted
    -- variant sets the pointer again right after)
    UPDATE public.generations g
       SET primary_variant_id = NULL
     WHERE g.id = NEW.generation_id
       AND g.primary_variant_id = NEW.id;
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER trg_sync_generation_from_variant
  AFTER INSERT OR UPDATE ON public.generation_variants
  FOR EACH ROW EXECUTE FUNCTION public.sync_generation_from_variant();

-- ---------------------------------------------------------------------------
-- 3. legacy insert into generations -> 'original' variant
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION public.auto_create_variant_after_generation()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public
AS $$
BEGIN
  IF NEW.location IS NOT NULL AND NEW.primary_variant_id IS NULL THEN
    INSERT INTO public.generation_variants
      (generation_id, project_id, location, thumbnail_url, params, name, variant_type, is_primary)
    VALUES
      (NEW.id, NEW.project_id, NEW.location, NEW.thumbnail_url,
       coalesce(NEW.params, '{}'::jsonb), NEW.name, 'original', true);
    -- trg_sync_generation_from_variant now sets primary_variant_id
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER trg_auto_create_variant_after_generation
  AFTER INSERT ON public.generations
  FOR EACH ROW EXECUTE FUNCTION public.auto_create_variant_after_generation();

-- ---------------------------------------------------------------------------
-- 4. generations updates -> primary variant
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION public.sync_variant_from_generation()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public
AS $$
BEGIN
  -- The pointer moved: make that variant primary. Its data then flows back
  -- to the generation through trg_sync_generation_from_variant; the other
  -- columns of this update are not pushed to it.
  IF NEW.primary_variant_id IS DISTINCT FROM OLD.primary_variant_id THEN
    IF NEW.primary_variant_id IS NOT NULL THEN
      UPDATE public.generation_variants v
         SET is_primary = true
       WHERE v.id = NEW.primary_variant_id
         AND v.generation_id = NEW.id
         AND NOT v.is_primary;
    END IF;
    RETURN NULL;
  END IF;

  IF NEW.primary_variant_id IS NOT NULL THEN
    UPDATE public.generation_variants v
       SET location = NEW.location,
           thumbnail_url = NEW.thumbnail_url,
           params = coalesce(NEW.params, '{}'::jsonb),
           name = NEW.name
     WHERE v.id = NEW.primary_variant_id
       AND NEW.location IS NOT NULL
       AND (v.location, v.thumbnail_url, v.params, v.name)
           IS DISTINCT FROM (NEW.location, NEW.thumbnail_url, coalesce(NEW.params, '{}'::jsonb), NEW.name);
  ELSIF NEW.location IS NOT NULL THEN
    -- a legacy writer filled in the file of a generation without variants
    INSERT INTO public.generation_variants
      (generation_id, project_id, location, thumbnail_url, params, name, variant_type, is_primary)
    VALUES
      (NEW.id, NEW.project_id, NEW.location, NEW.thumbnail_url,
       coalesce(NEW.params, '{}'::jsonb), NEW.name, 'original', true);
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER trg_sync_variant_from_generation
  AFTER UPDATE ON public.generations
  FOR EACH ROW
  WHEN (
    OLD.location IS DISTINCT FROM NEW.location
    OR OLD.thumbnail_url IS DISTINCT FROM NEW.thumbnail_url
    OR OLD.params IS DISTINCT FROM NEW.params
    OR OLD.name IS DISTINCT FROM NEW.name
    OR OLD.primary_variant_id IS DISTINCT FROM NEW.primary_variant_id
  )
  EXECUTE FUNCTION public.sync_variant_from_generation();

-- ---------------------------------------------------------------------------
-- 5. deleting the primary variant promotes the newest remaining one
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION public.handle_variant_deletion()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public
AS $$
DECLARE
  _next uuid;
BEGIN
  IF NOT OLD.is_primary THEN
    RETURN OLD;
  END IF;

  -- The generation itself is being deleted (cascade): nothing to promote.
  IF NOT EXISTS (SELECT 1 FROM public.generations g WHERE g.id = OLD.generation_id) THEN
    RETURN OLD;
  END IF;

  SELECT v.id INTO _next
    FROM public.generation_variants v
   WHERE v.generation_id = OLD.generation_id
     AND v.id <> OLD.id
   ORDER BY v.created_at DESC, v.id DESC
   LIMIT 1;

  IF _next IS NULL THEN
    UPDATE public.generations g
       SET primary_variant_id = NULL
     WHERE g.id = OLD.generation_id
       AND g.primary_variant_id = OLD.id;
  ELSE
    -- The row being deleted may not be modified by a trigger of its own
    -- DELETE: tell handle_variant_primary_switch() to leave it alone.
    PERFORM set_config('studio.deleting_variant_id', OLD.id::text, true);
    UPDATE public.generation_variants v SET is_primary = true WHERE v.id = _next;
    PERFORM set_config('studio.deleting_variant_id', '', true);
  END IF;
  RETURN OLD;
END;
$$;

CREATE TRIGGER trg_handle_variant_deletion
  BEFORE DELETE ON public.generation_variants
  FOR EACH ROW EXECUTE FUNCTION public.handle_variant_deletion();

-- Every existing generation with a file gets its 'original' variant, made
-- primary, so the variant becomes the source of truth from now on. (Runs
-- before the sync triggers exist, so it sets primary_variant_id itself.)

INSERT INTO public.generation_variants
  (generation_id, project_id, location, thumbnail_url, params, name, variant_type, is_primary, created_at)
SELECT g.id, g.project_id, g.location, g.thumbnail_url, coalesce(g.params, '{}'::jsonb), g.name,
       'original', true, g.created_at
  FROM public.generations g
 WHERE g.location IS NOT NULL
   AND g.primary_variant_id IS NULL
   AND NOT EXISTS (SELECT 1 FROM public.generation_variants v WHERE v.generation_id = g.id);

UPDATE public.generations g
   SET primary_variant_id = v.id
  FROM public.generation_variants v
 WHERE v.generation_id = g.id
   AND v.is_primary
   AND g.primary_variant_id IS NULL;

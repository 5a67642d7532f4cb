-- Generation relationships, part 3: variants, alternate versions of the SAME
-- generation (original, upscaled, edit, repositioned ...), shown in the
-- variant selector instead of as separate gallery items.
--
-- generations.primary_variant_id points at the active variant. The sync
-- triggers come in 20251201000002; existing generations get their 'original'
-- variant in 20251201000001.

-- Fail fast instead of queueing every query behind a blocked ALTER.
SET LOCAL lock_timeout = '5s';

CREATE TABLE public.generation_variants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  generation_id uuid NOT NULL REFERENCES public.generations (id) ON DELETE CASCADE,
  project_id uuid NOT NULL REFERENCES public.projects (id) ON DELETE CASCADE,
  location text NOT NULL,
  thumbnail_url text,
  params jsonb NOT NULL DEFAULT '{}'::jsonb,
  name text,
  -- 'original', 'upscaled', 'edit', 'repositioned', ... (open-ended)
  variant_type text NOT NULL DEFAULT 'original',
  is_primary boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.generation_variants IS
  'Alternate versions of a generation; the primary one is mirrored on generations';

CREATE INDEX idx_generation_variants_generation_id ON public.generation_variants (generation_id);
CREATE INDEX idx_generation_variants_project_id ON public.generation_variants (project_id);

CREATE TRIGGER trg_generation_variants_set_updated_at
  BEFORE UPDATE ON public.generation_variants
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE public.generations
  ADD COLUMN primary_variant_id uuid
  REFERENCES public.generation_variants (id) ON DELETE SET NULL;

-- dbtool:lint-ignore PG101 indexes a column added in this same file and stays in its transaction so the file is atomic; accepted write block while it builds
CREATE INDEX idx_generations_primary_variant ON public.generations (primary_variant_id);

ALTER TABLE public.generation_variants ENABLE ROW LEVEL SECURITY;

CREATE POLICY "Users can manage variants in own projects" ON public.generation_variants
  FOR ALL TO authenticated
  USING (EXISTS (
    SELECT 1 FROM public.projects p
     WHERE p.id = generation_variants.project_id AND p.user_id = auth.uid()))
  WITH CHECK (EXISTS (
    SELECT 1 FROM public.projects p
     WHERE p.id = generation_variants.project_id AND p.user_id = auth.uid()));

-- Variant changes and primary switches are broadcast like generations.
ALTER PUBLICATION supabase_realtime ADD TABLE public.generation_variants;

-- Storage buckets and their object policies.
--
-- | bucket        | access | purpose                                   |
-- |---------------|--------|-------------------------------------------|
-- | public        | public | generated media (default Supabase bucket) |
-- | training-data | RLS    | training videos, owner-restricted         |
-- | lora_files    | public | LoRA models, user uploads                 |
--
-- Uploads go to "<user uuid>/<file>": the first folder of an object's name is
-- its owner, which is what the policies check.

-- Fail fast instead of queueing every query behind a blocked ALTER.
SET LOCAL lock_timeout = '5s';

INSERT INTO storage.buckets (id, name, public)
VALUES
  ('public', 'public', true),
  ('training-data', 'training-data', false),
  ('lora_files', 'lora_files', true)
ON CONFLICT (id) DO NOTHING;

-- public ----------------------------------------------------------------------
CREATE POLICY "Public read access for public bucket" ON storage.objects
  FOR SELECT
  USING (bucket_id = 'public');

CREATE POLICY "Users can upload to own folder in public bucket" ON storage.objects
  FOR INSERT TO authenticated
  WITH CHECK (bucket_id = 'public' AND (storage.foldername(name))[1] = auth.uid()::text);

-- training-data: owner only -------------------------------------------------
CREATE POLICY "Users can view own training data files" ON storage.objects
  FOR SELECT TO authenticated
  USING (bucket_id = 'training-data' AND (storage.foldername(name))[1] = auth.uid()::text);

CREATE POLICY "Users can upload own training data files" ON storage.objects
  FOR INSERT TO authenticated
  WITH CHECK (bucket_id = 'training-data' AND (storage.foldername(name))[1] = auth.uid()::text);

CREATE POLICY "Users can update own training data files" ON storage.objects
  FOR UPDATE TO authenticated
  USING (bucket_id = 'training-data' AND (storage.foldername(name))[1] = auth.uid()::text)
  WITH CHECK (bucket_id = 'training-data' AND (storage.foldername(name))[1] = auth.uid()::text);

CREATE POLICY "Users can delete own training data files" ON storage.objects
  FOR DELETE TO authenticated
  USING (bucket_id = 'training-data' AND (storage.foldername(name))[1] = auth.uid()::text);

-- lora_files: public read, owner write ----------------------------------------
CREATE POLICY "Public read access for lora files" ON storage.objects
  FOR SELECT
  USING (bucket_id = 'lora_files');

CREATE POLICY "Users can upload own lora files" ON storage.objects
  FOR INSERT TO authenticated
  WITH CHECK (bucket_id = 'lora_files' AND (storage.foldername(name))[1] = auth.uid()::text);

CREATE POLICY "Users can delete own lora files" ON storage.objects
  FOR DELETE TO authenticated
  USING (bucket_id = 'lora_files' AND (storage.foldername(name))[1] = auth.uid()::text);

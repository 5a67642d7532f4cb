-- Media and resources: LoRA models (resources) and the training-data
-- collections (batches -> videos -> segments).

CREATE TABLE public.resources (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
  type text NOT NULL DEFAULT 'lora',
  name text,
  url text,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.resources IS 'LoRA models and other user uploads (publicly readable)';

CREATE INDEX idx_resources_user_id ON public.resources (user_id);
CREATE INDEX idx_resources_type ON public.resources (type);

CREATE TABLE public.training_data_batches (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
  name text NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.training_data_batches IS 'Training groups: collections of training videos';

CREATE INDEX idx_training_data_batches_user_id ON public.training_data_batches (user_id);

CREATE TABLE public.training_data (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  batch_id uuid NOT NULL REFERENCES public.training_data_batches (id) ON DELETE CASCADE,
  filename text NOT NULL,
  url text NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.training_data IS 'Training videos (files in the training-data bucket)';

CREATE INDEX idx_training_data_batch_id ON public.training_data (batch_id);

-- A segment is a frame range of one training video.
CREATE TABLE public.training_data_segments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  video_id uuid NOT NULL REFERENCES public.training_data (id) ON DELETE CASCADE,
  start_time integer NOT NULL,
  end_time integer NOT NULL,
  description text,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT training_data_segments_range_check CHECK (start_time >= 0 AND end_time > start_time)
);
COMMENT ON TABLE public.training_data_segments IS 'Video clips: frame ranges [start_time, end_time) of a training video';

CREATE INDEX idx_training_data_segments_video_id ON public.training_data_segments (video_id);

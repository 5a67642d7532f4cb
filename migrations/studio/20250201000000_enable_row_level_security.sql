-- Row-level security on every table.
--
-- Patterns:
--   * owned tables (users, projects, resources, training_data_batches):
--     auth.uid() = user_id (users: = id);
--   * child tables (shots, generations, tasks, shot_generations,
--     training_data, training_data_segments): through the owning project or
--     batch;
--   * credits_ledger: owners may read their entries, nobody writes through
--     the API (inserts come from billing code with service_role);
--   * task_types: readable by everyone (prices are public);
--   * workers: service_role only;
--   * resources: public read, owner write.
-- service_role bypasses RLS; the policies name `authenticated` so `anon`
-- (not signed in) reads and writes nothing but public rows.

-- Fail fast instead of queueing every query behind a blocked ALTER.
SET LOCAL lock_timeout = '5s';

ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.shots ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.workers ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.generations ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.shot_generations ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.task_types ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.credits_ledger ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.resources ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.training_data_batches ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.training_data ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.training_data_segments ENABLE ROW LEVEL SECURITY;

-- users ---------------------------------------------------------------------
CREATE POLICY "Users can view own profile" ON public.users
  FOR SELECT TO authenticated
  USING (auth.uid() = id);

CREATE POLICY "Users can update own profile" ON public.users
  FOR UPDATE TO authenticated
  USING (auth.uid() = id)
  WITH CHECK (auth.uid() = id);

-- projects ------------------------------------------------------------------
CREATE POLICY "Users can view own projects" ON public.projects
  FOR SELECT TO authenticated
  USING (auth.uid() = user_id);

CREATE POLICY "Users can create own projects" ON public.projects
  FOR INSERT TO authenticated
  WITH CHECK (auth.uid() = user_id);

CREATE POLICY "Users can update own projects" ON public.projects
  FOR UPDATE TO authenticated
  USING (auth.uid() = user_id)
  WITH CHECK (auth.uid() = user_id);

CREATE POLICY "Users can delete own projects" ON public.projects
  FOR DELETE TO authenticated
  USING (auth.uid() = user_id);

-- children of projects --------------------------------------------------------
CREATE POLICY "Users can manage shots in own projects" ON public.shots
  FOR ALL TO authenticated
  USING (EXISTS (
    SELECT 1 FROM public.projects p
     WHERE p.id = shots.project_id AND p.user_id = auth.uid()))
  WITH CHECK (EXISTS (
    SELECT 1 FROM public.projects p
     WHERE p.id = shots.project_id AND p.user_id = auth.uid()));

CREATE POLICY "Users can manage generations in own projects" ON public.generations
  FOR ALL TO authenticated
  USING (EXISTS (
    SELECT 1 FROM public.projects p
     WHERE p.id = generations.project_id AND p.user_id = auth.uid()))
  WITH CHECK (EXISTS (
    SELECT 1 FROM public.projects p
     WHERE p.id = generations.project_id AND p.user_id = auth.uid()));

CREATE POLICY "Users can manage tasks in own projects" ON public.tasks
  FOR ALL TO authenticated
  USING (EXISTS (
    SELECT 1 FROM public.projects p
     WHERE p.id = tasks.project_id AND p.user_id = auth.uid()))
  WITH CHECK (EXISTS (
    SELECT 1 FROM public.projects p
     WHERE p.id = tasks.project_id AND p.user_id = auth.uid()));

-- A link needs both ends in the user's projects.
CREATE POLICY "Users can manage shot generations in own projects" ON public.shot_generations
  FOR ALL TO authenticated
  USING (EXISTS (
    SELECT 1 FROM public.shots s
      JOIN public.projects p ON p.id = s.project_id
     WHERE s.id = shot_generations.shot_id AND p.user_id = auth.uid()))
  WITH CHECK (
    EXISTS (
      SELECT 1 FROM public.shots s
        JOIN public.projects p ON p.id = s.project_id
       WHERE s.id = shot_generations.shot_id AND p.user_id = auth.uid())
    AND EXISTS (
      SELECT 1 FROM public.generations g
        JOIN public.projects p ON p.id = g.project_id
       WHERE g.id = shot_generations.generation_id AND p.user_id = auth.uid()));

-- billing -------------------------------------------------------------------
CREATE POLICY "Anyone can view task types" ON public.task_types
  FOR SELECT TO anon, authenticated
  USING (true);

-- No INSERT/UPDATE/DELETE policy: the ledger is written by billing code only
-- and never changed afterwards.
CREATE POLICY "Users can view own credit transactions" ON public.credits_ledger
  FOR SELECT TO authenticated
  USING (auth.uid() = user_id);

-- system --------------------------------------------------------------------
CREATE POLICY "Service role manages workers" ON public.workers
  FOR ALL TO service_role
  USING (true)
  WITH CHECK (true);

-- media and resources -------------------------------------------------------
CREATE POLICY "Public can view resources" ON public.resources
  FOR SELECT USING (true);

CREATE POLICY "Users can create own resources" ON public.resources
  FOR INSERT TO authenticated
  WITH CHECK (auth.uid() = user_id);

CREATE POLICY "Users can update own resources" ON public.resources
  FOR UPDATE TO authenticated
  USING (auth.uid() = user_id)
  WITH CHECK (auth.uid() = user_id);

CREATE POLICY "Users can delete own resources" ON public.resources
  FOR DELETE TO authenticated
  USING (auth.uid() = user_id);

CREATE POLICY "Users can view own training batches" ON public.training_data_batches
  FOR SELECT TO authenticated
  USING (auth.uid() = user_id);

CREATE POLICY "Users can create own training batches" ON public.training_data_batches
  FOR INSERT TO authenticated
  WITH CHECK (auth.uid() = user_id);

CREATE POLICY "Users can update own training batches" ON public.training_data_batches
  FOR UPDATE TO authenticated
  USING (auth.uid() = user_id)
  WITH CHECK (auth.uid() = user_id);

CREATE POLICY "Users can delete own training batches" ON public.training_data_batches
  FOR DELETE TO authenticated
  USING (auth.uid() = user_id);

CREATE POLICY "Users can manage training videos in own batches" ON public.training_data
  FOR ALL TO authenticated
  USING (EXISTS (
    SELECT 1 FROM public.training_data_batches b
     WHERE b.id = training_data.batch_id AND b.user_id = auth.uid()))
  WITH CHECK (EXISTS (
    SELECT 1 FROM public.training_data_batches b
     WHERE b.id = training_data.batch_id AND b.user_id = auth.uid()));

CREATE POLICY "Users can manage segments of own training videos" ON public.training_data_segments
  FOR ALL TO authenticated
  USING (EXISTS (
    SELECT 1 FROM public.training_data d
      JOIN public.training_data_batches b ON b.id = d.batch_id
     WHERE d.id = training_data_segments.video_id AND b.user_id = auth.uid()))
  WITH CHECK (EXISTS (
    SELECT 1 FROM public.training_data d
      JOIN public.training_data_batches b ON b.id = d.batch_id
     WHERE d.id = training_data_segments.video_id AND b.user_id = auth.uid()));

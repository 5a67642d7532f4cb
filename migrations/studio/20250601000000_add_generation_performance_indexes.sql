-- dbtool:no-transaction
--
-- Indexes for the gallery and shot queries. generations and shot_generations
-- are large and written constantly, so the indexes are built CONCURRENTLY
-- (no write lock), which cannot run inside a transaction: each statement runs
-- on its own. IF NOT EXISTS makes a re-run after a partial failure resume
-- (drop an index left INVALID by a failed build first).

-- Fast project gallery queries (newest first; starred filter)
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_generations_project_created_desc
  ON public.generations (project_id, created_at DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_generations_project_starred_created
  ON public.generations (project_id, starred, created_at);

-- Lineage: most generations are not derived from another one
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_generations_based_on
  ON public.generations (based_on)
  WHERE based_on IS NOT NULL;

-- Shot image list in drag-and-drop order
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_shot_generations_shot_id_position
  ON public.shot_generations (shot_id, position);

-- prompts: every prompt submission attempt for a scene, including the failed
-- and rejected ones (the audit trail of generation attempts).
--
-- Closes the scenes <-> prompts cycle: prompts.scene_id references scenes,
-- and scenes.prompt_id (created in 0001 without a constraint) now gets its
-- foreign key to the final, accepted prompt.

CREATE TABLE prompts (
  id SERIAL PRIMARY KEY,

  -- Link to scene
  scene_id INTEGER NOT NULL REFERENCES scenes(id),

  -- Prompt content
  prompt_text TEXT NOT NULL,

  -- Video generation tracking
  video_job_id TEXT,

  -- Outcome tracking
  outcome VARCHAR(50) CHECK (outcome IN (
    'pending',
    'generating',
    'success',
    'moderation_rejected',
    'rate_limited',
    'api_error',
    'timeout',
    'abandoned'
  )),
  error_message TEXT,

  -- Timestamps
  submitted_at TIMESTAMP DEFAULT NOW(),
  completed_at TIMESTAMP
);

-- Indexes for performance
CREATE INDEX idx_prompts_scene_id ON prompts(scene_id);
CREATE INDEX idx_prompts_video_job_id ON prompts(video_job_id);
CREATE INDEX idx_prompts_outcome ON prompts(outcome);

-- The successful prompt of a scene.
-- dbtool:lint-ignore PG103 closes the scenes <-> prompts cycle of the initial schema; 0001-0003 deploy together, so scenes is still empty here
ALTER TABLE scenes
  ADD CONSTRAINT scenes_prompt_id_fkey FOREIGN KEY (prompt_id) REFERENCES prompts(id);

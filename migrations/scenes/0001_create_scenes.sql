-- scenes: one 8-second video clip of the branching story.
-- Every scene except the genesis scene hangs under a parent in one of three
-- slots (A, B, C). The video itself lives in R2 as <id>.mp4.
--
-- prompt_id points at prompts, which does not exist yet: the column is
-- created here and its foreign key is added by 0002 together with prompts
-- (scenes.prompt_id -> prompts and prompts.scene_id -> scenes are circular).

CREATE TABLE scenes (
  id SERIAL PRIMARY KEY,

  -- Tree structure
  parent_id INTEGER REFERENCES scenes(id),
  slot CHAR(1) CHECK (slot IN ('A', 'B', 'C')),

  -- Video data (URL derived from scene ID: [id].mp4)
  prompt_id INTEGER,
  video_job_id TEXT,

  -- Creator information
  creator_address TEXT,
  creator_fid INTEGER,

  -- Blockchain payment proof
  transaction_hash TEXT UNIQUE,

  -- Status tracking
  status VARCHAR(50) CHECK (status IN (
    'pending_payment',
    'generating',
    'completed',
    'failed',
    'moderation_rejected',
    'rate_limited',
    'api_error',
    'timeout'
  )),
  error_message TEXT,
  last_polled_at TIMESTAMP,

  -- Lock mechanism (pre purchase lock, 1 minute for the initial checkout)
  locked_until TIMESTAMP,
  locked_by_address TEXT,
  locked_by_fid INTEGER,

  -- Timestamps
  created_at TIMESTAMP DEFAULT NOW(),
  updated_at TIMESTAMP DEFAULT NOW()
);

-- Indexes for performance
CREATE INDEX idx_scenes_parent_id ON scenes(parent_id);
CREATE INDEX idx_scenes_slot ON scenes(slot);
CREATE INDEX idx_scenes_status ON scenes(status);
CREATE INDEX idx_scenes_locked_until ON scenes(locked_until);
CREATE INDEX idx_scenes_transaction_hash ON scenes(transaction_hash);
CREATE INDEX idx_scenes_prompt_id ON scenes(prompt_id);
CREATE INDEX idx_scenes_video_job_id ON scenes(video_job_id);

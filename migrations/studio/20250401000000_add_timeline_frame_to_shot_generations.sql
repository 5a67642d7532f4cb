-- Timeline editing: besides the drag-and-drop `position` in the shot's image
-- list, each link gets a `timeline_frame`, its frame number on the video
-- timeline (0, 50, 100 ...). Existing positioned links are laid out at the
-- default spacing of 50 frames, in position order.

-- Fail fast instead of queueing every query behind a blocked ALTER.
SET LOCAL lock_timeout = '5s';

ALTER TABLE public.shot_generations ADD COLUMN timeline_frame integer;

-- dbtool:lint-ignore PG104 timeline_frame was added above and is NULL in every row, so the CHECK passes; one scan under this file's lock
ALTER TABLE public.shot_generations
  ADD CONSTRAINT shot_generations_timeline_frame_check CHECK (timeline_frame >= 0);

UPDATE public.shot_generations sg
   SET timeline_frame = ranked.frame
  FROM (
    SELECT id, (row_number() OVER (PARTITION BY shot_id ORDER BY position, created_at, id) - 1) * 50 AS frame
      FROM public.shot_generations
     WHERE position IS NOT NULL
  ) ranked
 WHERE sg.id = ranked.id;

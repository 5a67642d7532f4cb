-- Utility functions for shots (called over PostgREST RPC by the app).
--
--   add_generation_to_shot(shot_id, generation_id, with_position)
--   duplicate_shot(shot_id)
--   create_shot_with_image(project_id, name, generation_id)
--   fix_timeline_spacing(shot_id)
--   count_unpositioned_generations(shot_id)
--
-- All are SECURITY INVOKER: they run with the caller's rights, so RLS decides
-- which shots and generations a user can touch. Parameters keep the names the
-- app passes; inside PL/pgSQL they are qualified with the function name and
-- `#variable_conflict use_column` makes bare names mean columns.
--
-- Timeline layout rules: a new positioned image goes 50 frames after the last
-- one; a timeline starts at frame 0 and two neighbours are 1 to 81 frames
-- apart (81 frames is the longest segment the video model generates).

-- ---------------------------------------------------------------------------
-- add_generation_to_shot: link a generation to a shot. With with_position,
-- it gets the next position and timeline frame (an existing unpositioned link
-- is positioned instead of adding a second one); without, the link is
-- unpositioned (and an existing link is returned as is).
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION public.add_generation_to_shot(
  shot_id uuid,
  generation_id uuid,
  with_position boolean DEFAULT true
)
RETURNS public.shot_generations
LANGUAGE plpgsql
SET search_path = public
AS $$
#variable_conflict use_column
DECLARE
  _shot public.shots%ROWTYPE;
  _generation_project uuid;
  _link public.shot_generations%ROWTYPE;
  _next_position integer;
  _next_frame integer;
BEGIN
  -- Lock the shot: concurrent adds must not get the same position.
  SELECT * INTO _shot FROM public.shots s
   WHERE s.id = add_generation_to_shot.shot_id
   FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'shot % not found', add_generation_to_shot.shot_id
      USING ERRCODE = 'no_data_found';
  END IF;

  SELECT g.project_id INTO _generation_project FROM public.generations g
   WHERE g.id = add_generation_to_shot.generation_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'generation % not found', add_generation_to_shot.generation_id
      USING ERRCODE = 'no_data_found';
  END IF;
  IF _generation_project <> _shot.project_id THEN
    RAISE EXCEPTION 'generation % and shot % belong to different projects',
      add_generation_to_shot.generation_id, add_generation_to_shot.shot_id
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  IF NOT coalesce(add_generation_to_shot.with_position, false) THEN
    SELECT * INTO _link FROM public.shot_generations sg
     WHERE sg.shot_id = add_generation_to_shot.shot_id
       AND sg.generation_id = add_generation_to_shot.generation_id
     ORDER BY sg.created_at, sg.id
     LIMIT 1;
    IF FOUND THEN
      RETURN _link;
    END IF;
    INSERT INTO public.shot_generations (shot_id, generation_id, position, timeline_frame)
    VALUES (add_generation_to_shot.shot_id, add_generation_to_shot.generation_id, NULL, NULL)
    RETURNING * INTO _link;
    RETURN _link;
  END IF;

  SELECT coalesce(max(sg.position) + 1, 0), coalesce(max(sg.timeline_frame) + 50, 0)
    INTO _next_position, _next_frame
    FROM public.shot_generations sg
   WHERE sg.shot_id = add_generation_to_shot.shot_id;

  UPDATE public.shot_generations sg
     SET position = _next_position, timeline_frame = _next_frame
   WHERE sg.id = (
     SELECT u.id FROM public.shot_generations u
      WHERE u.shot_id = add_generation_to_shot.shot_id
        AND u.generation_id = add_generation_to_shot.generation_id
        AND u.position IS NULL
      ORDER BY u.created_at, u.id
      LIMIT 1)
  RETURNING * INTO _link;
  IF FOUND THEN
    RETURN _link;
  END IF;

  INSERT INTO public.shot_generations (shot_id, generation_id, position, timeline_frame)
  VALUES (add_generation_to_shot.shot_id, add_generation_to_shot.generation_id,
          _next_position, _next_frame)
  RETURNING * INTO _link;
  RETURN _link;
END;
$$;

-- ---------------------------------------------------------------------------
-- duplicate_shot: a copy of the shot right after it ("<name> (copy)"), with
-- all its generation links (positions and timeline frames kept). Returns the
-- new shot's id.
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION public.duplicate_shot(shot_id uuid)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = public
AS $$
#variable_conflict use_column
DECLARE
  _shot public.shots%ROWTYPE;
  _new_id uuid;
BEGIN
  SELECT * INTO _shot FROM public.shots s
   WHERE s.id = duplicate_shot.shot_id
   FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'shot % not found', duplicate_shot.shot_id
      USING ERRCODE = 'no_data_found';
  END IF;

  -- make room right after the original
  UPDATE public.shots s
     SET "order" = s."order" + 1
   WHERE s.project_id = _shot.project_id
     AND s."order" > _shot."order";

  INSERT INTO public.shots (project_id, name, "order", settings)
  VALUES (_shot.project_id, _shot.name || ' (copy)', _shot."order" + 1, _shot.settings)
  RETURNING id INTO _new_id;

  INSERT INTO public.shot_generations (shot_id, generation_id, position, timeline_frame, metadata)
  SELECT _new_id, sg.generation_id, sg.position, sg.timeline_frame, sg.metadata
    FROM public.shot_generations sg
   WHERE sg.shot_id = duplicate_shot.shot_id
   ORDER BY sg.position NULLS LAST, sg.created_at, sg.id;

  RETURN _new_id;
END;
$$;

-- ---------------------------------------------------------------------------
-- create_shot_with_image: a new shot at the end of the project with one
-- positioned image, atomically. Returns the new shot's id.
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION public.create_shot_with_image(
  project_id uuid,
  name text,
  generation_id uuid
)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = public
AS $$
#variable_conflict use_column
DECLARE
  _shot_id uuid;
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM public.generations g
     WHERE g.id = create_shot_with_image.generation_id
       AND g.project_id = create_shot_with_image.project_id
  ) THEN
    RAISE EXCEPTION 'generation % not found in project %',
      create_shot_with_image.generation_id, create_shot_with_image.project_id
      USING ERRCODE = 'no_data_found';
  END IF;

  INSERT INTO public.shots (project_id, name, "order")
  VALUES (
    create_shot_with_image.project_id,
    create_shot_with_image.name,
    (SELECT coalesce(max(s."order") + 1, 0) FROM public.shots s
      WHERE s.project_id = create_shot_with_image.project_id)
  )
  RETURNING id INTO _shot_id;

  PERFORM public.add_generation_to_shot(_shot_id, create_shot_with_image.generation_id, true);
  RETURN _shot_id;
END;
$$;

-- ---------------------------------------------------------------------------
-- fix_timeline_spacing: repair spacing violations on a shot's timeline. The
-- frames keep their order; the first moves to 0, a gap of 0 (two images on
-- one frame) becomes 1, a gap above 81 becomes 81, valid gaps are kept.
-- Returns the number of links moved.
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION public.fix_timeline_spacing(shot_id uuid)
RETURNS integer
LANGUAGE plpgsql
SET search_path = public
AS $$
#variable_conflict use_column
DECLARE
  _link record;
  _prev_old integer;
  _prev_new integer;
  _new integer;
  _moved integer := 0;
BEGIN
  FOR _link IN
    SELECT sg.id, sg.timeline_frame
      FROM public.shot_generations sg
     WHERE sg.shot_id = fix_timeline_spacing.shot_id
       AND sg.timeline_frame IS NOT NULL
     ORDER BY sg.timeline_frame, sg.position NULLS LAST, sg.created_at, sg.id
       FOR UPDATE
  LOOP
    IF _prev_old IS NULL THEN
      _new := 0;
    ELSE
      _new := _prev_new + least(greatest(_link.timeline_frame - _prev_old, 1), 81);
    END IF;
    IF _new <> _link.timeline_frame THEN
      UPDATE public.shot_generations sg SET timeline_frame = _new WHERE sg.id = _link.id;
      _moved := _moved + 1;
    END IF;
    _prev_old := _link.timeline_frame;
    _prev_new := _new;
  END LOOP;
  RETURN _moved;
END;
$$;

-- ---------------------------------------------------------------------------
-- count_unpositioned_generations: links of the shot with position NULL (the
-- badge on the Generations Pane's "unpositioned" filter).
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION public.count_unpositioned_generations(shot_id uuid)
RETURNS integer
LANGUAGE sql
STABLE
SET search_path = public
AS $$
  SELECT count(*)::integer
    FROM public.shot_generations sg
   WHERE sg.shot_id = count_unpositioned_generations.shot_id
     AND sg.position IS NULL;
$$;

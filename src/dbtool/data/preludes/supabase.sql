-- ===========================================================================
-- supabase.sql — the part of Supabase that Supabase-flavoured services assume
-- ===========================================================================
--
-- WHAT THIS IS
--   The studio migrations (migrations/studio/) are written for Supabase, which
--   ships a few objects that plain PostgreSQL does not have:
--
--     * schema `auth`, table `auth.users`, functions `auth.uid()`, `auth.role()`
--       and `auth.jwt()` (used by the RLS policies and the new-user trigger);
--     * the roles `anon`, `authenticated` and `service_role` (policies and
--       grants name them; service_role bypasses RLS);
--     * the publication `supabase_realtime` (the migrations add tables to it);
--     * schema `storage` with `storage.buckets`, `storage.objects` and the
--       helper `storage.foldername()` (the migrations create buckets and
--       storage policies).
--
--   This file provides minimal, compatible stand-ins so the studio service
--   builds on plain PostgreSQL 15 (a developer's local database, a CI server,
--   dbtool's scratch database for snapshot/audit).
--
-- HOW IT IS USED
--   Shipped inside the dbtool package; dbtool.toml names it by its built-in
--   name (`prelude = "supabase"`). dbtool runs it
--   before the migrations only when it builds a local or scratch database
--   (`dbtool migrate studio --prelude`, a target with `prelude = true`, the
--   scratch database of `snapshot`/`audit`). It is NEVER recorded as a
--   migration: it has no row in dbtool_migrations, no version, no checksum in
--   the history, and editing it does not make any migration "modified".
--
-- SAFETY RULES (keep them when editing this file)
--   1. Idempotent: running it twice, or on a database where it already ran,
--      succeeds and changes nothing.
--   2. Create only what is missing, never replace: it may be pointed at a real
--      Supabase database by mistake, where every object below already exists
--      with a richer definition. So: CREATE ... IF NOT EXISTS, or a DO block
--      that checks the catalog first. No CREATE OR REPLACE, no DROP, no ALTER
--      of an existing object.
--   3. Roles are cluster-wide: several test databases on one server may run
--      this file at the same moment, so role creation tolerates a concurrent
--      creator (duplicate_object / unique_violation are caught).
--
-- The stand-ins are deliberately small. auth.uid() reads the same settings as
-- Supabase's (PostgREST puts the JWT there), so a test can impersonate a user:
--
--     SET ROLE authenticated;
--     SELECT set_config('request.jwt.claim.sub', '<user uuid>', true);
--     -- or: set_config('request.jwt.claims', '{"sub": "<uuid>", "role": "authenticated"}', true)
-- ===========================================================================

-- ---------------------------------------------------------------------------
-- Roles (cluster-wide; NOLOGIN like Supabase's API roles)
-- ---------------------------------------------------------------------------
DO $prelude$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
    BEGIN
      CREATE ROLE anon NOLOGIN NOINHERIT;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;  -- created concurrently by another database's prelude
    END;
  END IF;

  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    BEGIN
      CREATE ROLE authenticated NOLOGIN NOINHERIT;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END;
  END IF;

  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    BEGIN
      CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
    EXCEPTION
      WHEN duplicate_object OR unique_violation THEN
        NULL;
      WHEN insufficient_privilege THEN
        -- Only a superuser may grant BYPASSRLS; without it the role still
        -- exists so that grants and policies naming it can be created.
        BEGIN
          CREATE ROLE service_role NOLOGIN NOINHERIT;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
          NULL;
        END;
    END;
  END IF;
END
$prelude$;

-- ---------------------------------------------------------------------------
-- auth schema: auth.users and the JWT helpers
-- ---------------------------------------------------------------------------
CREATE SCHEMA IF NOT EXISTS auth;

CREATE TABLE IF NOT EXISTS auth.users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text,
  raw_user_meta_data jsonb DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

DO $prelude$
BEGIN
  -- auth.uid(): the `sub` claim of the request's JWT, as Supabase defines it
  -- (the legacy per-claim setting first, then the claims JSON).
  IF to_regprocedure('auth.uid()') IS NULL THEN
    EXECUTE $fn$
      CREATE FUNCTION auth.uid() RETURNS uuid
      LANGUAGE sql STABLE
      AS $body$
        SELECT coalesce(
          nullif(current_setting('request.jwt.claim.sub', true), ''),
          (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
        )::uuid
      $body$
    $fn$;
    COMMENT ON FUNCTION auth.uid() IS
      'Supabase stand-in (dbtool prelude supabase): the sub claim of the request JWT';
  END IF;

  IF to_regprocedure('auth.role()') IS NULL THEN
    EXECUTE $fn$
      CREATE FUNCTION auth.role() RETURNS text
      LANGUAGE sql STABLE
      AS $body$
        SELECT coalesce(
          nullif(current_setting('request.jwt.claim.role', true), ''),
          (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
        )::text
      $body$
    $fn$;
  END IF;

  IF to_regprocedure('auth.jwt()') IS NULL THEN
    EXECUTE $fn$
      CREATE FUNCTION auth.jwt() RETURNS jsonb
      LANGUAGE sql STABLE
      AS $body$
        SELECT coalesce(
          nullif(current_setting('request.jwt.claim', true), ''),
          nullif(current_setting('request.jwt.claims', true), '')
        )::jsonb
      $body$
    $fn$;
  END IF;
END
$prelude$;

-- ---------------------------------------------------------------------------
-- storage schema: buckets, objects, foldername()
-- ---------------------------------------------------------------------------
CREATE SCHEMA IF NOT EXISTS storage;

DO $prelude$
BEGIN
  IF to_regclass('storage.buckets') IS NULL THEN
    CREATE TABLE storage.buckets (
      id text PRIMARY KEY,
      name text NOT NULL,
      owner uuid,
      public boolean DEFAULT false,
      file_size_limit bigint,
      allowed_mime_types text[],
      created_at timestamptz DEFAULT now(),
      updated_at timestamptz DEFAULT now()
    );
    CREATE UNIQUE INDEX bname ON storage.buckets USING btree (name);
  END IF;

  IF to_regclass('storage.objects') IS NULL THEN
    CREATE TABLE storage.objects (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      bucket_id text REFERENCES storage.buckets (id),
      name text,
      owner uuid,
      metadata jsonb,
      path_tokens text[] GENERATED ALWAYS AS (string_to_array(name, '/')) STORED,
      created_at timestamptz DEFAULT now(),
      updated_at timestamptz DEFAULT now(),
      last_accessed_at timestamptz DEFAULT now()
    );
    CREATE UNIQUE INDEX bucketid_objname ON storage.objects USING btree (bucket_id, name);
    -- Supabase keeps RLS on for storage.objects: access is granted by policies.
    ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
  END IF;

  -- storage.foldername('uid/dir/file.png') = '{uid,dir}': the folder path,
  -- used by owner-restricted bucket policies.
  IF to_regprocedure('storage.foldername(text)') IS NULL THEN
    EXECUTE $fn$
      CREATE FUNCTION storage.foldername(name text) RETURNS text[]
      LANGUAGE plpgsql IMMUTABLE
      AS $body$
      DECLARE
        _parts text[];
      BEGIN
        SELECT string_to_array(name, '/') INTO _parts;
        RETURN _parts[1:array_length(_parts, 1) - 1];
      END
      $body$
    $fn$;
  END IF;
END
$prelude$;

-- ---------------------------------------------------------------------------
-- Realtime: the publication the migrations add tables to (created empty)
-- ---------------------------------------------------------------------------
DO $prelude$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'supabase_realtime') THEN
    CREATE PUBLICATION supabase_realtime;
  END IF;
END
$prelude$;

-- ---------------------------------------------------------------------------
-- Grants, as on a Supabase project. All additive (GRANT never narrows or
-- replaces anything), and scoped to this database.
-- ---------------------------------------------------------------------------
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
GRANT USAGE ON SCHEMA storage TO anon, authenticated, service_role;

GRANT EXECUTE ON FUNCTION auth.uid() TO anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION auth.role() TO anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION auth.jwt() TO anon, authenticated, service_role;

GRANT SELECT ON storage.buckets TO anon, authenticated;
GRANT ALL ON storage.buckets TO service_role;
GRANT ALL ON storage.objects TO anon, authenticated, service_role;

-- Tables, sequences and functions that the migrations create in public are
-- reachable by the API roles; row-level security decides which rows.
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT EXECUTE ON FUNCTIONS TO anon, authenticated, service_role;

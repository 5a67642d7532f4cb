CREATE FUNCTION add_one(a integer) RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
  RETURN a + 1; -- a ';' inside the body
END;
$$;

CREATE OR REPLACE FUNCTION tagged() RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
  q text := $q$it's; a $$ nested $$ quote$q$;
BEGIN
  EXECUTE $sql$SELECT 1; SELECT 2;$sql$;
  RETURN q || 'x;y' || $$;$$;
END;
$fn$;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN;
  END IF;
END
$$;
DO LANGUAGE plpgsql $body$ BEGIN PERFORM 1; END $body$;
PREPARE p(int, int) AS SELECT $1 + $2; EXECUTE p(1, 2);
SELECT price$usd, a$b$c FROM v$session;
SELECT $Tag_1$ case; sensitive $tag_1$ still inside $Tag_1$ AS s;

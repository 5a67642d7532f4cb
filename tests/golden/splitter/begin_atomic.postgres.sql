CREATE FUNCTION grade(score int) RETURNS text LANGUAGE sql
BEGIN ATOMIC
  SELECT CASE WHEN score >= 90 THEN 'A'
              WHEN score >= 80 THEN CASE WHEN score >= 85 THEN 'B+' ELSE 'B' END
              ELSE 'C' END;
END;

create or replace procedure touch(id int) language sql
begin atomic
  update t set updated_at = now() where t.id = touch.id;
  insert into log(msg) values ('touched; end');
end;
CREATE PROCEDURE noop() LANGUAGE sql /* comment */ BEGIN /* between */ ATOMIC SELECT 1; END;
BEGIN;
SELECT CASE WHEN true THEN 1 END AS backend_end;
END;
BEGIN ISOLATION LEVEL SERIALIZABLE;
COMMIT;

-- Triggers are one statement each, whatever the letter case.
CREATE TABLE items (id INTEGER PRIMARY KEY, "end" TEXT, end_time TEXT, backend TEXT, status TEXT);

create trigger items_lower after insert on items begin
  update items set end_time = 'x;y' where id = new.id;
  insert into log(msg) values ('a -- not a comment; really');
end;

CREATE TRIGGER IF NOT EXISTS items_upper AFTER UPDATE ON items FOR EACH ROW BEGIN
  UPDATE items SET status = CASE WHEN NEW.backend = 'pg' THEN 'p' ELSE 'q' END WHERE id = NEW.id;
  UPDATE items SET "end" = CASE NEW.status WHEN 'a' THEN CASE WHEN 1 THEN 'b' END ELSE 'c' END;
END;
CrEaTe TeMp TrIgGeR items_mixed BeFoRe DeLeTe On items BeGiN SELECT RAISE(ABORT, 'no; END'); EnD;
CREATE TEMPORARY TRIGGER items_when AFTER INSERT ON items
WHEN CASE WHEN NEW.id > 0 THEN 1 ELSE 0 END
BEGIN
  -- a comment with END; inside the body
  /* and END; here too */
  UPDATE items SET backend = NEW.backend || ';' WHERE id = NEW.id;
END;
CREATE TRIGGER items_ident AFTER INSERT ON items BEGIN UPDATE items SET "end" = NEW."end", end_time = NEW.end_time; END; SELECT 'after';
BEGIN;
BEGIN TRANSACTION;
UPDATE items SET status = 'done';
END TRANSACTION;
COMMIT;

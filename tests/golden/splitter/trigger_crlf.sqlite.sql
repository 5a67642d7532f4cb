CREATE TABLE t (id INTEGER, updated_at TEXT);

-- dbtool:lint-ignore D1-TRIGGER reason here
CREATE TRIGGER t_touch
AFTER UPDATE ON t
FOR EACH ROW
BEGIN
  UPDATE t SET updated_at = CASE
    WHEN NEW.id IS NULL THEN NULL
    ELSE CURRENT_TIMESTAMP
  END WHERE id = NEW.id;
END;
create trigger t_second after delete on t begin
  delete from t where id = old.id;
end;

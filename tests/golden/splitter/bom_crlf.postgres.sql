-- dbtool:no-transaction
CREATE INDEX CONCURRENTLY idx_c ON c (id);
DO $$
BEGIN
  PERFORM 1;
END
$$;
   SELECT E'x\';', 2;

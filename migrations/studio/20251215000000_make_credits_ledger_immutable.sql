-- credits_ledger is an audit log: entries are appended, never changed.
-- The API roles already have no UPDATE/DELETE right (20250110000000) and no
-- policy allows it; this trigger also stops the table owner and service_role.
--
-- Exception: changes made by a foreign-key action (pg_trigger_depth() > 1),
-- i.e. deleting an account (ON DELETE CASCADE from users) or a task (task_id
-- ON DELETE SET NULL). A correction is a new, compensating entry.

CREATE OR REPLACE FUNCTION public.prevent_credits_ledger_changes()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public
AS $$
BEGIN
  IF pg_trigger_depth() <= 1 THEN
    RAISE EXCEPTION 'credits_ledger is append-only: % is not allowed', TG_OP
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Insert a compensating entry instead.';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER trg_prevent_credits_ledger_changes
  BEFORE UPDATE OR DELETE ON public.credits_ledger
  FOR EACH ROW EXECUTE FUNCTION public.prevent_credits_ledger_changes();

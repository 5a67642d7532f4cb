-- Billing: task types with their pricing, and the credits ledger.
--
-- task_types supports two billing models:
--   per_second -> base_cost_per_second x output seconds (x cost_factors)
--   per_unit   -> unit_cost per produced item (x cost_factors)
--
-- credits_ledger is an append-only audit log; users.credits is the running
-- balance maintained from it (users cannot change their balance directly).

CREATE TABLE public.task_types (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL UNIQUE,
  display_name text,
  category text,
  billing_type text NOT NULL DEFAULT 'per_second'
    CONSTRAINT task_types_billing_type_check CHECK (billing_type IN ('per_second', 'per_unit')),
  base_cost_per_second numeric(10, 4),
  unit_cost numeric(10, 4),
  cost_factors jsonb NOT NULL DEFAULT '{}'::jsonb,
  is_active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- each billing model needs its price
  CONSTRAINT task_types_price_check CHECK (
    (billing_type = 'per_second' AND base_cost_per_second IS NOT NULL)
    OR (billing_type = 'per_unit' AND unit_cost IS NOT NULL)
  )
);
COMMENT ON TABLE public.task_types IS 'Task configuration and billing (per_second or per_unit)';

CREATE TRIGGER trg_task_types_set_updated_at
  BEFORE UPDATE ON public.task_types
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

INSERT INTO public.task_types (name, display_name, category, billing_type, base_cost_per_second, unit_cost)
VALUES
  ('single_image', 'Image generation', 'generation', 'per_unit', NULL, 0.0100),
  ('image_upscale', 'Image upscale', 'processing', 'per_unit', NULL, 0.0050),
  ('travel_segment', 'Travel video segment', 'generation', 'per_second', 0.0278, NULL)
ON CONFLICT (name) DO NOTHING;

CREATE TABLE public.credits_ledger (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
  task_id uuid REFERENCES public.tasks (id) ON DELETE SET NULL,
  amount numeric(14, 3) NOT NULL,
  type text NOT NULL
    CONSTRAINT credits_ledger_type_check
    CHECK (type IN ('stripe', 'manual', 'spend', 'refund', 'auto_topup')),
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.credits_ledger IS 'Credit transactions: immutable audit log (append only)';

CREATE INDEX idx_credits_ledger_user_id_created ON public.credits_ledger (user_id, created_at DESC);
CREATE INDEX idx_credits_ledger_task_id ON public.credits_ledger (task_id);

-- Every ledger entry moves the user's balance. SECURITY DEFINER because the
-- inserting role (service_role, a billing function) need not own users.
CREATE OR REPLACE FUNCTION public.apply_credits_ledger_entry()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public
AS $$
BEGIN
  UPDATE public.users u
     SET credits = u.credits + NEW.amount
   WHERE u.id = NEW.user_id;
  RETURN NULL;
END;
$$;

CREATE TRIGGER trg_apply_credits_ledger_entry
  AFTER INSERT ON public.credits_ledger
  FOR EACH ROW EXECUTE FUNCTION public.apply_credits_ledger_entry();

-- The balance is only ever changed through the ledger: API roles may update
-- the profile columns of their row, not credits.
REVOKE UPDATE ON public.users FROM anon, authenticated;
GRANT UPDATE (name, settings, onboarding) ON public.users TO authenticated;
REVOKE UPDATE, DELETE, TRUNCATE ON public.credits_ledger FROM anon, authenticated;

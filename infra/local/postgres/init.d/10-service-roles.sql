-- Login roles of the domain services (real profile), cluster-wide and idempotent. None owns a
-- table, none has BYPASSRLS: the owner `orion` runs the DDL and grants each role only its
-- tables (services/identity/db_roles.py). Local servers trust 127.0.0.1, so no passwords here;
-- prod creates the same roles with credentials from its own secret store.

DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['orion_app', 'orion_rfq', 'orion_execution', 'orion_identity',
                           'orion_bff', 'orion_relay', 'orion_rfq_expiry', 'orion_auditor',
                           'orion_pruner'] LOOP
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE', r);
    END IF;
  END LOOP;
END
$$;

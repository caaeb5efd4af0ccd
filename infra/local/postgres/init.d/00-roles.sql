-- Roles and the `orion` database of the local cluster, applied after every start as the
-- superuser `postgres`, in file-name order with the other files of init.d/. Every statement
-- must be idempotent. Add a file (e.g. 10-rls-roles.sql) rather than editing this one; a file
-- that needs the `orion` database starts with `\connect orion`.

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'orion') THEN
    CREATE ROLE orion LOGIN CREATEDB;
  END IF;
END
$$;

SELECT 'CREATE DATABASE orion OWNER orion'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'orion')
\gexec

\connect orion
ALTER SCHEMA public OWNER TO orion;

-- Volunteers' logins may use the schema (to EXECUTE the calling functions granted to them).
--
-- The calling functions were first defined in this migration; every function now has one definition,
-- in store/sql/functions/, which `phonebank db init` / `db migrate` apply after the migrations whenever
-- they changed (see phonebank/store/pg_schema.py).
GRANT USAGE ON SCHEMA phonebank TO phonebank_caller;

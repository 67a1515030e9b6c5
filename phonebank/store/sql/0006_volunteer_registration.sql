-- A volunteer's login records its own registration: the functions register_me and my_registration
-- (functions/02_campaign.sql) and their grants (functions/06_privileges.sql); no table changes.
SELECT 1;

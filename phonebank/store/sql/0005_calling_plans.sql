-- No foreign key from results to lists: every caller's save checked it by taking a KEY SHARE lock on
-- the one row of the list being called, so concurrent saves shared that row's lock as a MultiXact,
-- rebuilt by every new saver. save_call takes list_id from the list it has just looked up, and lists
-- are never deleted.
--
-- (This migration also gave the calling functions their plan settings — enable_seqscan and jit off —
-- and made claims commit without waiting for the disk; both now stand in the functions' own
-- definitions, store/sql/functions/.)
ALTER TABLE phonebank.results DROP CONSTRAINT IF EXISTS results_list_id_fkey;

-- Calling plans that never scan a whole table, and claims that do not wait for the disk.
--
-- * The calling functions plan with enable_seqscan off. PL/pgSQL keeps a session's plans, and a plan
--   made while `results` was empty (a new campaign, the first minutes of a phone bank) scanned the
--   whole table, three times per call, until autovacuum's next ANALYZE: the cost of a call grew with
--   the calls saved. Every query of theirs has an index to use; the switch makes the planner take it
--   whatever the statistics say (a function's SET clause applies to the functions it calls too), and
--   with jit off: a plan that must still scan a one-row table (campaign) is costed past jit_above_cost,
--   and compiling it took 90 ms a call.
-- * Claims, heartbeats and releases commit without waiting for the WAL flush (synchronous_commit off
-- for their own transaction only). They only move a lease: if the server crashes in the instant after
-- such a commit, the worst case is a lease that never happened — the voter is back in the pool and a
-- save on it is marked, as for any lapsed hold. Saves (save_call) still wait for the flush: a saved
-- call is never lost. The setting is local to the transaction (set_config(..., true)), and a
-- function's own SET clause (search_path) does not undo it at the function's exit.

CREATE OR REPLACE FUNCTION phonebank.claim_next(p_list text, p_volunteer text, p_language text, p_exclude text[],
                                                p_open int[], p_now timestamptz, p_release_voter text,
                                                p_release_token text)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    RETURN phonebank._claim(p_list, p_volunteer, p_language, p_exclude, p_open, p_now, p_release_voter,
                            p_release_token);
END $$;

CREATE OR REPLACE FUNCTION phonebank.heartbeat(p_list text, p_voter_id text, p_token text, p_now timestamptz)
RETURNS boolean LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
DECLARE
    l record;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    PERFORM _me(NULL, false);  -- a revoked login is refused
    l := _list(p_list);
    UPDATE voters SET lease_until = coalesce(p_now, now()) + make_interval(mins => l.claim_minutes)
    WHERE list_id = l.id AND voter_id = p_voter_id AND token = p_token;
    RETURN FOUND;
END $$;

CREATE OR REPLACE FUNCTION phonebank.release(p_list text, p_voter_id text, p_token text)
RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
DECLARE
    l record;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    l := _list(p_list);
    UPDATE voters SET holder = NULL, lease_until = NULL, token = NULL, since = NULL
    WHERE list_id = l.id AND voter_id = p_voter_id AND token = p_token;
END $$;

ALTER FUNCTION phonebank.claim_next(text, text, text, text[], int[], timestamptz, text, text) SET enable_seqscan = off SET jit = off;
ALTER FUNCTION phonebank.claim(text, text, text, text[], text[], timestamptz) SET enable_seqscan = off SET jit = off;
ALTER FUNCTION phonebank.voter_offer(text, text, text, text) SET enable_seqscan = off SET jit = off;
ALTER FUNCTION phonebank.heartbeat(text, text, text, timestamptz) SET enable_seqscan = off SET jit = off;
ALTER FUNCTION phonebank.release(text, text, text) SET enable_seqscan = off SET jit = off;
ALTER FUNCTION phonebank.save_call(text, text[], text, bigint, int, jsonb, timestamptz) SET enable_seqscan = off SET jit = off;
ALTER FUNCTION phonebank.last_saved(text, text) SET enable_seqscan = off SET jit = off;
ALTER FUNCTION phonebank.voter_name(text, text, text) SET enable_seqscan = off SET jit = off;

-- No foreign key from results to lists: every caller's save checked it by taking a KEY SHARE lock on
-- the one row of the list being called, so concurrent saves shared that row's lock as a MultiXact,
-- rebuilt by every new saver. save_call takes list_id from the list it has just looked up, and lists
-- are never deleted.
ALTER TABLE phonebank.results DROP CONSTRAINT IF EXISTS results_list_id_fkey;

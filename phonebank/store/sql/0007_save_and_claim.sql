-- One round trip per voter: save the call, give the voter back and claim the next one, in one transaction.
--
-- A volunteer who saves a call and moves on (every result but a wrong number with another number left)
-- used two round trips per voter: save_call, then claim_next (which gave the saved voter back). The
-- calling loop says when it moves on, and save_and_claim does both in one transaction: save_call's
-- checks and effects unchanged, then phonebank._claim with the saved voter given back first. A save
-- that comes back "stale" (another call on the voter came in meanwhile: the client folds the history
-- again and resends) claims nothing. The transaction commits with the WAL flush, as every save does.
-- p_open: the open zone classes, as claim_next (NULL: every zone is open); the client calls
-- save_call instead when no zone is open.

CREATE OR REPLACE FUNCTION phonebank.save_and_claim(p_list text, p_row text[], p_token text, p_since bigint,
                                                    p_version int, p_state jsonb, p_now timestamptz,
                                                    p_language text, p_exclude text[], p_open int[])
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
DECLARE
    saved jsonb;
BEGIN
    saved := save_call(p_list, p_row, p_token, p_since, p_version, p_state, p_now);
    IF saved->>'status' = 'stale' THEN
        RETURN jsonb_build_object('saved', saved, 'next', NULL);
    END IF;
    RETURN jsonb_build_object('saved', saved, 'next',
        _claim(p_list, p_row[3], p_language, p_exclude, p_open, p_now, p_row[5], p_token));
END $$;

ALTER FUNCTION phonebank.save_and_claim(text, text[], text, bigint, int, jsonb, timestamptz, text, text[], int[])
    SET enable_seqscan = off SET jit = off;
REVOKE ALL ON FUNCTION phonebank.save_and_claim(text, text[], text, bigint, int, jsonb, timestamptz, text, text[], int[])
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION phonebank.save_and_claim(text, text[], text, bigint, int, jsonb, timestamptz, text, text[], int[])
    TO phonebank_caller;

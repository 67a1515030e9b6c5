-- Saves: every call kept once (by its row id), the voter's new state, do-not-call, undo; and the
-- one-round-trip save of a volunteer moving on (save_and_claim). A save waits for the WAL flush: a
-- saved call is never lost.

-- The save itself (see save_call), for the caller (p_email, p_is_login) and the list (p_list_id,
-- p_claim_minutes) the public function looked up. p_release: the volunteer moves on — the hold
-- (p_token) ends in the save's own update of the voter row.
CREATE OR REPLACE FUNCTION phonebank._save(p_email text, p_is_login boolean, p_list_id int, p_claim_minutes int,
                                           p_list text, p_row text[], p_token text, p_since bigint,
                                           p_version int, p_state jsonb, p_now timestamptz, p_release boolean)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v phonebank.voters;
    have_voter boolean;
    l_now timestamptz := coalesce(p_now, now());
    r_row_id text := p_row[1];
    r_volunteer text := p_row[3];
    r_voter text := p_row[5];
    r_phone text := coalesce(p_row[6], '');
    r_code text := p_row[7];
    r_undoes text := coalesce(p_row[13], '');
    l_dup phonebank.results;
    l_hold_lost boolean := false;
    l_overlaps text := '';
    l_taken_back boolean := false;
    t_row_id text;
    t_phone text;
    t_code text;
    t_volunteer text;
    t_voter text;
    l_dead text[];
    l_seq bigint;
BEGIN
    IF cardinality(p_row) IS DISTINCT FROM 14 THEN
        RAISE EXCEPTION 'a saved call has 14 fields, not %', cardinality(p_row);
    END IF;
    IF p_is_login AND r_volunteer IS DISTINCT FROM p_email THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = format('this login belongs to %s — it cannot save a call as %s', p_email, r_volunteer);
    END IF;
    IF p_row[4] IS DISTINCT FROM p_list THEN
        RAISE EXCEPTION 'the call names list ''%'' but is saved in list ''%''', p_row[4], p_list;
    END IF;
    IF coalesce(r_row_id, '') = '' OR coalesce(r_voter, '') = '' OR coalesce(r_code, '') = ''
       OR coalesce(r_volunteer, '') = '' THEN
        RAISE EXCEPTION 'a saved call needs a row id, a voter and a code';
    END IF;
    SELECT * INTO v FROM phonebank.voters WHERE list_id = p_list_id AND voter_id = r_voter FOR UPDATE;
    have_voter := FOUND;
    -- after the voter's lock: a resend racing its original sees it committed
    SELECT * INTO l_dup FROM phonebank.results WHERE row_id = r_row_id;
    IF FOUND THEN
        RETURN jsonb_build_object('status', 'duplicate', 'overlaps', l_dup.overlaps, 'hold_lost', false,
                                  'dnc_taken_back', false);
    END IF;
    IF r_code = 'undo' THEN
        SELECT r.row_id, r.phone, r.code, r.volunteer, r.voter_id INTO t_row_id, t_phone, t_code, t_volunteer, t_voter
        FROM phonebank.results r WHERE r.row_id = r_undoes;
        IF p_is_login AND (t_row_id IS NULL OR t_volunteer <> p_email OR t_voter <> r_voter) THEN
            RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = 'you can undo only your own calls';
        END IF;
    ELSE
        IF p_is_login THEN
            IF NOT EXISTS (SELECT 1 FROM phonebank.codes c WHERE c.code = r_code) THEN
                RAISE EXCEPTION 'code ''%'' is not in the campaign''s script', r_code;
            END IF;
            -- the hold the server gave this login on this voter, still live: as good as its signature
            IF NOT (have_voter AND v.token = p_token AND v.holder = p_email AND v.since = p_since)
               AND NOT phonebank._token_ok(p_list_id, r_voter, p_email, p_since, p_token) THEN
                RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
                    MESSAGE = format('%s was never handed to %s — a call is saved on the voter you were given',
                                     r_voter, p_email);
            END IF;
        END IF;
        IF p_token IS NOT NULL THEN
            l_hold_lost := NOT have_voter OR v.token IS DISTINCT FROM p_token;
            SELECT r.row_id INTO l_overlaps FROM phonebank.results r
            WHERE r.list_id = p_list_id AND r.voter_id = r_voter AND r.volunteer <> r_volunteer
              AND r.seq > coalesce(p_since, 0) AND r.cancels IS NULL
            ORDER BY r.seq DESC LIMIT 1;
            l_overlaps := coalesce(l_overlaps, '');
        END IF;
    END IF;
    IF have_voter AND (p_version IS DISTINCT FROM v.version OR p_state IS NULL) THEN
        RETURN jsonb_build_object('status', 'stale', 'voter', phonebank._voter_json(p_list_id, v));
    END IF;
    INSERT INTO phonebank.results (row_id, list_id, recorded_at, volunteer, list, voter_id, phone, code, answers, note,
                         language, seconds, callback_at, undoes, "overlaps", cancels)
    VALUES (r_row_id, p_list_id, p_row[2], r_volunteer, p_row[4], r_voter, r_phone, r_code, coalesce(p_row[8], ''),
            coalesce(p_row[9], ''), coalesce(p_row[10], ''), coalesce(p_row[11], '0'), coalesce(p_row[12], ''),
            r_undoes, l_overlaps, CASE WHEN r_code = 'undo' AND r_undoes <> '' THEN r_undoes END)
    ON CONFLICT (row_id) DO NOTHING
    RETURNING seq INTO l_seq;
    IF l_seq IS NULL THEN  -- saved meanwhile by a resend on another connection (a voter not in the list)
        RETURN jsonb_build_object('status', 'duplicate', 'overlaps', l_overlaps, 'hold_lost', false,
                                  'dnc_taken_back', false);
    END IF;
    IF r_code <> 'undo' AND r_phone <> '' AND (SELECT c.effect FROM phonebank.codes c WHERE c.code = r_code) = 'do_not_call' THEN
        INSERT INTO phonebank.dnc (phone, added_at, source, reason, row_id, entry_key)
        VALUES (r_phone, p_row[2], 'call', r_code, r_row_id, md5(concat_ws(chr(31), r_phone, p_row[2], 'call', r_code, r_row_id)))
        ON CONFLICT (entry_key) DO NOTHING;
    ELSIF r_code = 'undo' AND t_row_id IS NOT NULL AND t_phone <> ''
          AND (SELECT c.effect FROM phonebank.codes c WHERE c.code = t_code) = 'do_not_call' THEN
        UPDATE phonebank.dnc SET active = false WHERE phone = t_phone AND row_id = t_row_id AND active AND source <> 'undo';
        IF FOUND THEN
            l_taken_back := true;
            INSERT INTO phonebank.dnc (phone, added_at, source, reason, row_id, entry_key, active)
            VALUES (t_phone, p_row[2], 'undo', 'undone call', t_row_id,
                    md5(concat_ws(chr(31), t_phone, p_row[2], 'undo', 'undone call', t_row_id)), false)
            ON CONFLICT (entry_key) DO NOTHING;
            UPDATE phonebank.voters SET blocked = false
            WHERE blocked AND t_phone = ANY (phones) AND phonebank._has_live_phone(phones, dead_phones);
        END IF;
    END IF;
    IF have_voter THEN
        l_dead := ARRAY(SELECT jsonb_array_elements_text(coalesce(p_state->'dead_phones', '[]'::jsonb)));
        UPDATE phonebank.voters SET
            version = version + 1,
            attempts = coalesce((p_state->>'attempts')::int, 0),
            finished = coalesce((p_state->>'finished')::boolean, false),
            next_at = coalesce((p_state->>'next_at')::timestamptz, '-infinity'),
            is_callback = coalesce((p_state->>'is_callback')::boolean, false),
            route_language = coalesce(p_state->>'route_language', ''),
            dead_phones = l_dead,
            blocked = NOT phonebank._has_live_phone(phones, l_dead),
            lease_until = CASE WHEN p_token IS NULL OR token IS DISTINCT FROM p_token THEN lease_until
                               WHEN p_release THEN NULL
                               ELSE l_now + make_interval(mins => p_claim_minutes) END,
            -- the volunteer moves on (save_and_claim): the hold ends in this same update
            holder = CASE WHEN p_release AND p_token IS NOT NULL AND token = p_token THEN NULL ELSE holder END,
            since = CASE WHEN p_release AND p_token IS NOT NULL AND token = p_token THEN NULL ELSE since END,
            token = CASE WHEN p_release AND p_token IS NOT NULL AND token = p_token THEN NULL ELSE token END
        WHERE list_id = p_list_id AND voter_id = r_voter;
    END IF;
    RETURN jsonb_build_object('status', 'saved', 'hold_lost', l_hold_lost, 'overlaps', l_overlaps,
                              'dnc_taken_back', l_taken_back, 'seq', l_seq,
                              'version', CASE WHEN have_voter THEN v.version + 1 END);
END $$;

-- Save one call (p_row: the 14 results fields), in one transaction with the hold check:
--   * a row id already saved changes nothing: {"status": "duplicate"} (a resent save is harmless);
--   * p_version must be the voter's state version the client folded (else {"status": "stale"} with the
--     voter's history; nothing saved — fold again and resend);
--   * with a hold (p_token, p_since): hold_lost when the voter's current hold is another; overlaps =
--     the row id of another volunteer's call on this voter saved since the hold began (the row is saved
--     marked with it);
--   * p_state: the voter's queue state after this call (phonebank.outcomes.fold over the history);
--   * a do_not_call code puts the number on the do-not-call list; an undo of such a call takes back the
--     entry that call added (dnc_taken_back) and lets voters held back only by it come back.
-- A volunteer's login saves only as itself, only a code of the script, only on a voter it was given.
CREATE OR REPLACE FUNCTION phonebank.save_call(p_list text, p_row text[], p_token text, p_since bigint,
                                               p_version int, p_state jsonb, p_now timestamptz)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = phonebank, pg_temp
    SET enable_seqscan = off SET jit = off AS $$
DECLARE
    me record;
    l record;
BEGIN
    me := _me(p_row[3], true);
    l := _list(p_list);
    RETURN _save(me.email, me.is_login, l.id, l.claim_minutes, p_list, p_row, p_token, p_since, p_version, p_state,
                 p_now, false);
END $$;

-- One round trip per voter: save the call (as save_call), ending the hold in the save's own update of
-- the voter row, and claim the volunteer's next one (_claim_as), in one transaction. A save that
-- comes back "stale" (the client folds the history again and resends) claims nothing. p_open: the open
-- zone classes, as claim_next (the client calls save_call instead when no zone is open).
CREATE OR REPLACE FUNCTION phonebank.save_and_claim(p_list text, p_row text[], p_token text, p_since bigint,
                                                    p_version int, p_state jsonb, p_now timestamptz,
                                                    p_language text, p_exclude text[], p_open int[])
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = phonebank, pg_temp
    SET enable_seqscan = off SET jit = off AS $$
DECLARE
    me record;
    l record;
    saved jsonb;
BEGIN
    me := _me(p_row[3], true);  -- the caller and the list, looked up once for the save and the claim
    l := _list(p_list);
    saved := _save(me.email, me.is_login, l.id, l.claim_minutes, p_list, p_row, p_token, p_since, p_version, p_state,
                   p_now, true);
    IF saved->>'status' = 'stale' THEN
        RETURN jsonb_build_object('saved', saved, 'next', NULL);
    END IF;
    RETURN jsonb_build_object('saved', saved, 'next',
        _claim_as(me.email, me.is_login, l.id, l.generation, l.n_keys, l.claim_minutes, p_language, p_exclude,
                  p_open, p_now, p_row[5], p_token, saved->>'status' = 'saved'));
END $$;

-- The volunteer's latest call in this list that is not undone, in save order (14 fields), or NULL.
CREATE OR REPLACE FUNCTION phonebank.last_saved(p_list text, p_volunteer text)
RETURNS text[] LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = phonebank, pg_temp
    SET enable_seqscan = off SET jit = off AS $$
DECLARE
    me record;
    l record;
BEGIN
    me := _me(p_volunteer, true);
    l := _list(p_list);
    RETURN (SELECT ARRAY[r.row_id, r.recorded_at, r.volunteer, r.list, r.voter_id, r.phone, r.code, r.answers,
                         r.note, r.language, r.seconds, r.callback_at, r.undoes, r.overlaps]
            FROM results r
            WHERE r.list_id = l.id AND r.volunteer = me.email AND r.cancels IS NULL
              AND NOT EXISTS (SELECT 1 FROM results u WHERE u.cancels = r.row_id)
            ORDER BY r.seq DESC LIMIT 1);
END $$;

-- "First Last" of a voter (the voter id when the list has no such voter). A login: a voter it was
-- given or has called.
CREATE OR REPLACE FUNCTION phonebank.voter_name(p_list text, p_voter_id text, p_volunteer text)
RETURNS text LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = phonebank, pg_temp
    SET enable_seqscan = off SET jit = off AS $$
DECLARE
    me record;
    l record;
    v voters;
    h text[];
    l_name text;
BEGIN
    me := _me(p_volunteer, false);
    l := _list(p_list);
    SELECT * INTO v FROM voters WHERE list_id = l.id AND voter_id = p_voter_id;
    IF NOT FOUND OR (me.is_login AND NOT _may_see(l.id, v, NULL, me.email)) THEN
        RETURN p_voter_id;
    END IF;
    h := (SELECT x.header FROM lists x WHERE x.id = l.id);
    l_name := concat_ws(' ', nullif(v.data[array_position(h, 'first_name')], ''),
                             nullif(v.data[array_position(h, 'last_name')], ''));
    RETURN coalesce(nullif(l_name, ''), p_voter_id);
END $$;

-- The calling functions: everything a volunteer's session does, one round trip each.
--
-- Each is SECURITY DEFINER (owned by phonebank_owner) with a fixed search_path; volunteers' logins
-- (members of phonebank_caller) may EXECUTE these and nothing else. Who is calling comes from
-- session_user mapped to phonebank.volunteers.login_role, never from an argument; an organizer's
-- connection (a member of phonebank_owner) names the volunteer instead (that is how one organizer
-- connection drives several volunteers in tests and tools).
--
-- Time: every function that needs "now" takes p_now; NULL means the server's clock, now(). Leases
-- and due times follow that one clock.
--
-- The rules of who may be called (phonebank.outcomes) and when (phonebank.hours) stay in Python: the
-- client computes the open zone keys and each voter's queue state, the server keeps them and hands out
-- voters in one short transaction with FOR UPDATE SKIP LOCKED.

-- == helpers (not granted to anyone) ==================================================================

-- Who is calling: (email, is_login). A volunteer's login is that volunteer, whatever p_volunteer says
-- (and naming another volunteer is refused); an organizer must name the volunteer.
CREATE OR REPLACE FUNCTION phonebank._me(p_volunteer text, p_need_name boolean, OUT email text,
                                         OUT is_login boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
DECLARE
    vol record;
BEGIN
    SELECT v.email, v.revoked_at INTO vol FROM volunteers v WHERE v.login_role = session_user::text;
    IF FOUND THEN
        IF vol.revoked_at IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
                MESSAGE = format('the login of %s was revoked — ask the organizer', vol.email);
        END IF;
        IF coalesce(p_volunteer, '') <> '' AND lower(p_volunteer) <> vol.email THEN
            RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
                MESSAGE = format('this login belongs to %s — it cannot act as %s', vol.email, p_volunteer);
        END IF;
        email := vol.email;
        is_login := true;
        RETURN;
    END IF;
    IF pg_has_role(session_user, 'phonebank_owner', 'MEMBER') THEN
        IF coalesce(p_volunteer, '') = '' AND p_need_name THEN
            RAISE EXCEPTION 'an organizer connection must name the volunteer';
        END IF;
        email := nullif(p_volunteer, '');
        is_login := false;
        RETURN;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
        MESSAGE = format('role %s is not a volunteer of this campaign — ask the organizer for an invitation', session_user);
END $$;

-- The list by name, with what the functions need from the campaign.
CREATE OR REPLACE FUNCTION phonebank._list(p_list text, OUT id int, OUT generation int, OUT n_keys int,
                                           OUT claim_minutes int)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
BEGIN
    SELECT l.id, l.generation, cardinality(l.zone_keys) INTO id, generation, n_keys FROM lists l WHERE l.name = p_list;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no list named ''%s'' in the database — available: %s',
            p_list, coalesce((SELECT string_agg(name, ', ' ORDER BY name) FROM lists), 'none'));
    END IF;
    claim_minutes := coalesce((SELECT c.claim_minutes FROM campaign c), 30);
END $$;

-- A number worth dialing is left: not dead for this voter, not on the do-not-call list.
CREATE OR REPLACE FUNCTION phonebank._has_live_phone(p_phones text[], p_dead text[])
RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM unnest(p_phones) AS p(phone)
                   WHERE p.phone <> '' AND NOT (p.phone = ANY (p_dead))
                     AND NOT EXISTS (SELECT 1 FROM dnc d WHERE d.phone = p.phone AND d.active))
$$;

-- A hold's signature: a token names one claim of one voter by one volunteer at one results position,
-- and only the server can make one.
CREATE OR REPLACE FUNCTION phonebank._sign(p_list_id int, p_voter_id text, p_volunteer text, p_since bigint,
                                           p_nonce text)
RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
    SELECT p_nonce || left(encode(sha256(convert_to(s.value || encode(sha256(convert_to(
        s.value || '|' || concat_ws('|', p_list_id, p_voter_id, p_volunteer, p_since, p_nonce), 'UTF8')), 'hex'),
        'UTF8')), 'hex'), 32)
    FROM secrets s WHERE s.name = 'hold'
$$;

CREATE OR REPLACE FUNCTION phonebank._token_ok(p_list_id int, p_voter_id text, p_volunteer text, p_since bigint,
                                               p_token text)
RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
    SELECT coalesce(p_token IS NOT NULL AND length(p_token) = 64
                    AND _sign(p_list_id, p_voter_id, p_volunteer, p_since, left(p_token, 32)) = p_token, false)
$$;

-- A voter's saved calls in this list, save order, as results CSV fields (phonebank.results.RESULT_COLUMNS).
CREATE OR REPLACE FUNCTION phonebank._history(p_list_id int, p_voter_id text)
RETURNS jsonb LANGUAGE sql STABLE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_array(r.row_id, r.recorded_at, r.volunteer, r.list, r.voter_id, r.phone,
                                                r.code, r.answers, r.note, r.language, r.seconds, r.callback_at,
                                                r.undoes, r.overlaps) ORDER BY r.seq), '[]'::jsonb)
    FROM results r WHERE r.list_id = p_list_id AND r.voter_id = p_voter_id
$$;

-- What a screen needs about one voter: the list row, numbers, state version, history and which of the
-- voter's numbers are on the do-not-call list.
CREATE OR REPLACE FUNCTION phonebank._voter_json(p_list_id int, p_voter phonebank.voters)
RETURNS jsonb LANGUAGE sql STABLE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
    SELECT jsonb_build_object(
        'voter_id', p_voter.voter_id, 'seq', p_voter.seq, 'zone_key', p_voter.zone_key,
        'phones', to_jsonb(p_voter.phones), 'data', to_jsonb(p_voter.data), 'version', p_voter.version,
        'dead_phones', to_jsonb(p_voter.dead_phones),
        'dnc', (SELECT coalesce(jsonb_agg(DISTINCT p.phone), '[]'::jsonb) FROM unnest(p_voter.phones) AS p(phone)
                WHERE EXISTS (SELECT 1 FROM dnc d WHERE d.phone = p.phone AND d.active)),
        'rows', _history(p_list_id, p_voter.voter_id))
$$;

-- May this volunteer's login see this voter? The one they hold, or one they have called.
CREATE OR REPLACE FUNCTION phonebank._may_see(p_list_id int, p_voter phonebank.voters, p_token text, p_email text)
RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
    SELECT coalesce(p_token IS NOT NULL AND p_voter.token = p_token, false)
        OR EXISTS (SELECT 1 FROM results r WHERE r.list_id = p_list_id AND r.voter_id = p_voter.voter_id
                                             AND r.volunteer = p_email)
$$;

-- == the calling functions (granted to phonebank_caller) ==============================================

-- Who this login is (NULL for an organizer).
CREATE OR REPLACE FUNCTION phonebank.whoami()
RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
    SELECT v.email FROM volunteers v WHERE v.login_role = session_user::text AND v.revoked_at IS NULL
$$;

CREATE OR REPLACE FUNCTION phonebank.campaign_script()
RETURNS text LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
BEGIN
    PERFORM _me(NULL, false);
    RETURN (SELECT c.script_text FROM campaign c);
END $$;

CREATE OR REPLACE FUNCTION phonebank.list_names()
RETURNS SETOF text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
    SELECT name FROM lists ORDER BY name
$$;

-- A list's header (column names of `data`), zone keys and generation.
CREATE OR REPLACE FUNCTION phonebank.list_info(p_list text)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
DECLARE
    l record;
BEGIN
    l := _list(p_list);
    RETURN (SELECT jsonb_build_object('id', x.id, 'name', x.name, 'header', to_jsonb(x.header),
                                      'zone_keys', to_jsonb(x.zone_keys), 'generation', x.generation,
                                      'voters', x.voters, 'claim_minutes', l.claim_minutes)
            FROM lists x WHERE x.id = l.id);
END $$;

-- Claim the next voter: the one this volunteer already holds here (a retried claim), else — in one
-- short transaction, FOR UPDATE SKIP LOCKED — due call-backs and voters waiting for a caller of this
-- language, then voters never called (list order), then retries that are due; only in p_open zone
-- keys, never p_exclude. A volunteer's login holds at most one voter: a new claim gives back the
-- one held. Returns {"generation": N, "voter": {...} | null}.
CREATE OR REPLACE FUNCTION phonebank.claim(p_list text, p_volunteer text, p_language text, p_exclude text[],
                                           p_open text[], p_now timestamptz)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = phonebank, pg_temp SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    me record;
    l record;
    v voters;
    l_now timestamptz := coalesce(p_now, now());
    l_exclude text[] := coalesce(p_exclude, '{}');
    l_open text[] := coalesce(p_open, '{}');
    l_language text := coalesce(p_language, '');
    l_all boolean;
    l_since bigint;
    l_token text;
    tries int := 0;
BEGIN
    me := _me(p_volunteer, true);
    l := _list(p_list);
    SELECT * INTO v FROM voters
    WHERE list_id = l.id AND holder = me.email AND lease_until > l_now
      AND voter_id <> ALL (l_exclude) AND zone_key = ANY (l_open)
    ORDER BY seq LIMIT 1 FOR UPDATE;
    IF FOUND THEN
        UPDATE voters SET lease_until = l_now + make_interval(mins => l.claim_minutes)
        WHERE list_id = l.id AND voter_id = v.voter_id;
        RETURN jsonb_build_object('generation', l.generation, 'voter',
            _voter_json(l.id, v) || jsonb_build_object('token', v.token, 'since', v.since));
    END IF;
    IF me.is_login THEN
        UPDATE voters SET holder = NULL, lease_until = NULL, token = NULL, since = NULL WHERE holder = me.email;
    END IF;
    l_all := cardinality(l_open) >= l.n_keys;
    LOOP
        tries := tries + 1;
        SELECT * INTO v FROM voters
        WHERE list_id = l.id AND attempts > 0 AND NOT finished AND NOT blocked AND (is_callback OR route_language <> '')
          AND next_at <= l_now AND zone_key = ANY (l_open) AND (route_language = '' OR route_language = l_language)
          AND (lease_until IS NULL OR lease_until <= l_now) AND voter_id <> ALL (l_exclude)
        ORDER BY next_at LIMIT 1 FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            IF l_all THEN
                SELECT * INTO v FROM voters
                WHERE list_id = l.id AND attempts = 0 AND NOT finished AND NOT blocked
                  AND (lease_until IS NULL OR lease_until <= l_now) AND voter_id <> ALL (l_exclude)
                ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED;
            ELSE
                SELECT c.* INTO v FROM unnest(l_open) AS k(zone_key) CROSS JOIN LATERAL (
                    SELECT * FROM voters x
                    WHERE x.list_id = l.id AND x.zone_key = k.zone_key AND x.attempts = 0 AND NOT x.finished
                      AND NOT x.blocked AND (x.lease_until IS NULL OR x.lease_until <= l_now)
                      AND x.voter_id <> ALL (l_exclude)
                    ORDER BY x.seq LIMIT 1 FOR UPDATE SKIP LOCKED) AS c
                ORDER BY c.seq LIMIT 1;
            END IF;
        END IF;
        IF NOT FOUND THEN
            IF l_all THEN
                SELECT * INTO v FROM voters
                WHERE list_id = l.id AND attempts > 0 AND NOT finished AND NOT blocked AND next_at <= l_now
                  AND (route_language = '' OR route_language = l_language)
                  AND (lease_until IS NULL OR lease_until <= l_now) AND voter_id <> ALL (l_exclude)
                ORDER BY next_at, seq LIMIT 1 FOR UPDATE SKIP LOCKED;
            ELSE
                SELECT c.* INTO v FROM unnest(l_open) AS k(zone_key) CROSS JOIN LATERAL (
                    SELECT * FROM voters x
                    WHERE x.list_id = l.id AND x.zone_key = k.zone_key AND x.attempts > 0 AND NOT x.finished
                      AND NOT x.blocked AND x.next_at <= l_now
                      AND (x.route_language = '' OR x.route_language = l_language)
                      AND (x.lease_until IS NULL OR x.lease_until <= l_now) AND x.voter_id <> ALL (l_exclude)
                    ORDER BY x.next_at, x.seq LIMIT 1 FOR UPDATE SKIP LOCKED) AS c
                ORDER BY c.next_at, c.seq LIMIT 1;
            END IF;
        END IF;
        IF NOT FOUND THEN
            RETURN jsonb_build_object('generation', l.generation, 'voter', NULL);
        END IF;
        EXIT WHEN _has_live_phone(v.phones, v.dead_phones) OR tries >= 1000;
        -- every number is dead or on the do-not-call list: out of the queue, and look again
        UPDATE voters SET blocked = true WHERE list_id = l.id AND voter_id = v.voter_id;
    END LOOP;
    IF tries >= 1000 AND NOT _has_live_phone(v.phones, v.dead_phones) THEN
        RETURN jsonb_build_object('generation', l.generation, 'voter', NULL);
    END IF;
    l_since := (SELECT coalesce(max(r.seq), 0) FROM results r);
    l_token := _sign(l.id, v.voter_id, me.email, l_since, replace(gen_random_uuid()::text, '-', ''));
    UPDATE voters SET holder = me.email, lease_until = l_now + make_interval(mins => l.claim_minutes),
                      token = l_token, since = l_since
    WHERE list_id = l.id AND voter_id = v.voter_id;
    RETURN jsonb_build_object('generation', l.generation, 'voter',
        _voter_json(l.id, v) || jsonb_build_object('token', l_token, 'since', l_since));
END $$;

-- One voter as the screen shows them now. A volunteer's login sees only the voter they hold (p_token)
-- or one they have called.
CREATE OR REPLACE FUNCTION phonebank.voter_offer(p_list text, p_voter_id text, p_token text, p_volunteer text)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
DECLARE
    me record;
    l record;
    v voters;
BEGIN
    me := _me(p_volunteer, false);
    l := _list(p_list);
    SELECT * INTO v FROM voters WHERE list_id = l.id AND voter_id = p_voter_id;
    IF NOT FOUND OR (me.is_login AND NOT _may_see(l.id, v, p_token, me.email)) THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found',
            MESSAGE = format('no voter %s in list ''%s'' for you', p_voter_id, p_list);
    END IF;
    RETURN jsonb_build_object('generation', l.generation, 'voter', _voter_json(l.id, v));
END $$;

-- Renew a hold for claim_minutes from now. False when the voter is no longer held under this token.
CREATE OR REPLACE FUNCTION phonebank.heartbeat(p_list text, p_voter_id text, p_token text, p_now timestamptz)
RETURNS boolean LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
DECLARE
    l record;
BEGIN
    PERFORM _me(NULL, false);  -- a revoked login is refused
    l := _list(p_list);
    UPDATE voters SET lease_until = coalesce(p_now, now()) + make_interval(mins => l.claim_minutes)
    WHERE list_id = l.id AND voter_id = p_voter_id AND token = p_token;
    RETURN FOUND;
END $$;

-- Give a voter back (nothing happens when the hold was taken over meanwhile).
CREATE OR REPLACE FUNCTION phonebank.release(p_list text, p_voter_id text, p_token text)
RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
DECLARE
    l record;
BEGIN
    l := _list(p_list);
    UPDATE voters SET holder = NULL, lease_until = NULL, token = NULL, since = NULL
    WHERE list_id = l.id AND voter_id = p_voter_id AND token = p_token;
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
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
DECLARE
    me record;
    l record;
    v voters;
    have_voter boolean;
    l_now timestamptz := coalesce(p_now, now());
    r_row_id text := p_row[1];
    r_volunteer text := p_row[3];
    r_voter text := p_row[5];
    r_phone text := coalesce(p_row[6], '');
    r_code text := p_row[7];
    r_undoes text := coalesce(p_row[13], '');
    l_dup results;
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
    me := _me(r_volunteer, true);
    IF me.is_login AND r_volunteer IS DISTINCT FROM me.email THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = format('this login belongs to %s — it cannot save a call as %s', me.email, r_volunteer);
    END IF;
    l := _list(p_list);
    IF p_row[4] IS DISTINCT FROM p_list THEN
        RAISE EXCEPTION 'the call names list ''%'' but is saved in list ''%''', p_row[4], p_list;
    END IF;
    IF coalesce(r_row_id, '') = '' OR coalesce(r_voter, '') = '' OR coalesce(r_code, '') = ''
       OR coalesce(r_volunteer, '') = '' THEN
        RAISE EXCEPTION 'a saved call needs a row id, a voter and a code';
    END IF;
    SELECT * INTO v FROM voters WHERE list_id = l.id AND voter_id = r_voter FOR UPDATE;
    have_voter := FOUND;
    -- after the voter's lock: a resend racing its original sees it committed
    SELECT * INTO l_dup FROM results WHERE row_id = r_row_id;
    IF FOUND THEN
        RETURN jsonb_build_object('status', 'duplicate', 'overlaps', l_dup.overlaps, 'hold_lost', false,
                                  'dnc_taken_back', false);
    END IF;
    IF r_code = 'undo' THEN
        SELECT r.row_id, r.phone, r.code, r.volunteer, r.voter_id INTO t_row_id, t_phone, t_code, t_volunteer, t_voter
        FROM results r WHERE r.row_id = r_undoes;
        IF me.is_login AND (t_row_id IS NULL OR t_volunteer <> me.email OR t_voter <> r_voter) THEN
            RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = 'you can undo only your own calls';
        END IF;
    ELSE
        IF me.is_login THEN
            IF NOT EXISTS (SELECT 1 FROM codes c WHERE c.code = r_code) THEN
                RAISE EXCEPTION 'code ''%'' is not in the campaign''s script', r_code;
            END IF;
            IF NOT _token_ok(l.id, r_voter, me.email, p_since, p_token) THEN
                RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
                    MESSAGE = format('%s was never handed to %s — a call is saved on the voter you were given',
                                     r_voter, me.email);
            END IF;
        END IF;
        IF p_token IS NOT NULL THEN
            l_hold_lost := NOT have_voter OR v.token IS DISTINCT FROM p_token;
            SELECT r.row_id INTO l_overlaps FROM results r
            WHERE r.list_id = l.id AND r.voter_id = r_voter AND r.volunteer <> r_volunteer
              AND r.seq > coalesce(p_since, 0) AND r.cancels IS NULL
            ORDER BY r.seq DESC LIMIT 1;
            l_overlaps := coalesce(l_overlaps, '');
        END IF;
    END IF;
    IF have_voter AND (p_version IS DISTINCT FROM v.version OR p_state IS NULL) THEN
        RETURN jsonb_build_object('status', 'stale', 'voter', _voter_json(l.id, v));
    END IF;
    INSERT INTO results (row_id, list_id, recorded_at, volunteer, list, voter_id, phone, code, answers, note,
                         language, seconds, callback_at, undoes, "overlaps", cancels)
    VALUES (r_row_id, l.id, p_row[2], r_volunteer, p_row[4], r_voter, r_phone, r_code, coalesce(p_row[8], ''),
            coalesce(p_row[9], ''), coalesce(p_row[10], ''), coalesce(p_row[11], '0'), coalesce(p_row[12], ''),
            r_undoes, l_overlaps, CASE WHEN r_code = 'undo' AND r_undoes <> '' THEN r_undoes END)
    ON CONFLICT (row_id) DO NOTHING
    RETURNING seq INTO l_seq;
    IF l_seq IS NULL THEN  -- saved meanwhile by a resend on another connection (a voter not in the list)
        RETURN jsonb_build_object('status', 'duplicate', 'overlaps', l_overlaps, 'hold_lost', false,
                                  'dnc_taken_back', false);
    END IF;
    IF r_code <> 'undo' AND r_phone <> '' AND (SELECT c.effect FROM codes c WHERE c.code = r_code) = 'do_not_call' THEN
        INSERT INTO dnc (phone, added_at, source, reason, row_id, entry_key)
        VALUES (r_phone, p_row[2], 'call', r_code, r_row_id, md5(concat_ws(chr(31), r_phone, p_row[2], 'call', r_code, r_row_id)))
        ON CONFLICT (entry_key) DO NOTHING;
    ELSIF r_code = 'undo' AND t_row_id IS NOT NULL AND t_phone <> ''
          AND (SELECT c.effect FROM codes c WHERE c.code = t_code) = 'do_not_call' THEN
        UPDATE dnc SET active = false WHERE phone = t_phone AND row_id = t_row_id AND active AND source <> 'undo';
        IF FOUND THEN
            l_taken_back := true;
            INSERT INTO dnc (phone, added_at, source, reason, row_id, entry_key, active)
            VALUES (t_phone, p_row[2], 'undo', 'undone call', t_row_id,
                    md5(concat_ws(chr(31), t_phone, p_row[2], 'undo', 'undone call', t_row_id)), false)
            ON CONFLICT (entry_key) DO NOTHING;
            UPDATE voters SET blocked = false
            WHERE blocked AND t_phone = ANY (phones) AND _has_live_phone(phones, dead_phones);
        END IF;
    END IF;
    IF have_voter THEN
        l_dead := ARRAY(SELECT jsonb_array_elements_text(coalesce(p_state->'dead_phones', '[]'::jsonb)));
        UPDATE voters SET
            version = version + 1,
            attempts = coalesce((p_state->>'attempts')::int, 0),
            finished = coalesce((p_state->>'finished')::boolean, false),
            next_at = coalesce((p_state->>'next_at')::timestamptz, '-infinity'),
            is_callback = coalesce((p_state->>'is_callback')::boolean, false),
            route_language = coalesce(p_state->>'route_language', ''),
            dead_phones = l_dead,
            blocked = NOT _has_live_phone(phones, l_dead),
            lease_until = CASE WHEN p_token IS NOT NULL AND token = p_token
                               THEN l_now + make_interval(mins => l.claim_minutes) ELSE lease_until END
        WHERE list_id = l.id AND voter_id = r_voter;
    END IF;
    RETURN jsonb_build_object('status', 'saved', 'hold_lost', l_hold_lost, 'overlaps', l_overlaps,
                              'dnc_taken_back', l_taken_back, 'seq', l_seq,
                              'version', CASE WHEN have_voter THEN v.version + 1 END);
END $$;

-- The volunteer's latest call in this list that is not undone, in save order (14 fields), or NULL.
CREATE OR REPLACE FUNCTION phonebank.last_saved(p_list text, p_volunteer text)
RETURNS text[] LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
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
RETURNS text LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
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

-- Voters by zone key, done or not, due or not (the client applies calling hours, as FileStore.counts).
CREATE OR REPLACE FUNCTION phonebank.queue_counts(p_list text, p_now timestamptz)
RETURNS TABLE (zone_key text, done boolean, due boolean, n bigint, next_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
DECLARE
    l record;
    l_now timestamptz := coalesce(p_now, now());
BEGIN
    PERFORM _me(NULL, false);
    l := _list(p_list);
    RETURN QUERY
        SELECT v.zone_key, (v.finished OR v.blocked), (v.attempts = 0 OR v.next_at <= l_now), count(*),
               min(v.next_at) FILTER (WHERE v.next_at > l_now)
        FROM voters v WHERE v.list_id = l.id GROUP BY 1, 2, 3;
END $$;

-- == privileges ========================================================================================
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA phonebank FROM PUBLIC;
GRANT USAGE ON SCHEMA phonebank TO phonebank_caller;
GRANT EXECUTE ON FUNCTION
    phonebank.whoami(),
    phonebank.campaign_script(),
    phonebank.list_names(),
    phonebank.list_info(text),
    phonebank.claim(text, text, text, text[], text[], timestamptz),
    phonebank.voter_offer(text, text, text, text),
    phonebank.heartbeat(text, text, text, timestamptz),
    phonebank.release(text, text, text),
    phonebank.save_call(text, text[], text, bigint, int, jsonb, timestamptz),
    phonebank.last_saved(text, text),
    phonebank.voter_name(text, text, text),
    phonebank.queue_counts(text, timestamptz)
TO phonebank_caller;

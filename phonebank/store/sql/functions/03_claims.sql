-- Claims: who gets which voter next, one voter to one caller.
--
-- * A claim is one short transaction, FOR UPDATE SKIP LOCKED; no transaction is held open during a call.
--   The hold is a lease (voters.holder, lease_until, token, since); a heartbeat renews it; the server's
--   clock decides (or p_now, the client's given clock: tests, rehearsals).
-- * holds: each volunteer's latest claim (one row per volunteer). A retried claim finds the voter held
--   there, and a login's next claim gives that voter back — so voters needs no index on holder, and a
--   claim, a heartbeat and a release change no indexed column of the voter row: PostgreSQL updates it
--   in place (a HOT update, no index entry written).
-- * voters.zone: the voter's *zone class* — zone keys whose zones keep the same UTC offsets (a list
--   load works them out), so a class is open exactly when its keys are; when only some zones are open a
--   claim probes the open classes instead of walking past closed voters.
-- * Claims, heartbeats and releases commit without waiting for the WAL flush (synchronous_commit off
--   for their own transaction only): they only move a lease — if the server crashes in the instant
--   after such a commit, the voter is back in the pool and a save on it is marked, as for any lapsed
--   hold. The setting is local to the transaction (set_config(..., true)), and a function's own SET
--   clause (search_path) does not undo it at the function's exit.

-- The classes whose every zone key is among p_open (what claim_next takes, from zone keys).
CREATE OR REPLACE FUNCTION phonebank._open_classes(p_list text, p_open text[])
RETURNS int[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(c.class ORDER BY c.class), '{}') FROM (
        SELECT l.zone_classes[z.pos] AS class, count(*) AS n, max(l.class_sizes[l.zone_classes[z.pos]]) AS size
        FROM phonebank.lists l, unnest(l.zone_keys) WITH ORDINALITY AS z(key, pos)
        WHERE l.name = p_list AND z.key = ANY (p_open) GROUP BY 1) c
    WHERE c.n = c.size
$$;

-- The claim itself (see phonebank.claim): p_open are zone classes (voters.zone), NULL for every zone.
-- p_release: a voter (voter_id, token) this volunteer is done with, given back first.
CREATE OR REPLACE FUNCTION phonebank._claim(p_list text, p_volunteer text, p_language text, p_exclude text[],
                                            p_open int[], p_now timestamptz, p_release_voter text,
                                            p_release_token text)
RETURNS jsonb LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    me record;
    l record;
BEGIN
    me := phonebank._me(p_volunteer, true);
    l := phonebank._list(p_list);
    RETURN phonebank._claim_as(me.email, me.is_login, l.id, l.generation, l.n_keys, l.claim_minutes, p_language,
                               p_exclude, p_open, p_now, p_release_voter, p_release_token, false);
END $$;

-- _claim for the caller (p_email, p_is_login) and the list (p_list_id, ...) already looked up.
-- p_released: the save in this transaction already gave back (p_release_voter, p_release_token).
CREATE OR REPLACE FUNCTION phonebank._claim_as(p_email text, p_is_login boolean, p_list_id int, p_generation int,
                                               p_n_keys int, p_claim_minutes int, p_language text,
                                               p_exclude text[], p_open int[], p_now timestamptz,
                                               p_release_voter text, p_release_token text, p_released boolean)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v phonebank.voters;
    h phonebank.holds;
    l_now timestamptz := coalesce(p_now, now());
    l_exclude text[] := coalesce(p_exclude, '{}');
    l_open int[] := coalesce(p_open, '{}');
    l_all boolean := p_open IS NULL;
    l_language text := coalesce(p_language, '');
    l_since bigint;
    l_token text;
    tries int := 0;
    cand record;
    l_found boolean;
    l_walked int;
    l_cands text[];
BEGIN
    IF p_release_voter IS NOT NULL AND NOT p_released THEN
        UPDATE phonebank.voters SET holder = NULL, lease_until = NULL, token = NULL, since = NULL
        WHERE list_id = p_list_id AND voter_id = p_release_voter AND token = p_release_token;
    END IF;
    SELECT * INTO h FROM phonebank.holds x WHERE x.volunteer = p_email;
    IF FOUND AND h.list_id = p_list_id AND NOT (h.voter_id = ANY (l_exclude))
       AND (h.voter_id, h.token) IS DISTINCT FROM (p_release_voter, p_release_token) THEN  -- not the one given back
        SELECT * INTO v FROM phonebank.voters
        WHERE list_id = p_list_id AND voter_id = h.voter_id AND token = h.token AND holder = p_email
          AND lease_until > l_now AND (l_all OR zone = ANY (l_open))
        FOR UPDATE;
        IF FOUND THEN  -- a retried claim: the voter already held
            UPDATE phonebank.voters SET lease_until = l_now + make_interval(mins => p_claim_minutes)
            WHERE list_id = p_list_id AND voter_id = v.voter_id;
            RETURN jsonb_build_object('generation', p_generation, 'voter',
                phonebank._voter_json(p_list_id, v) || jsonb_build_object('token', v.token, 'since', v.since));
        END IF;
    END IF;
    IF p_is_login AND h.voter_id IS NOT NULL
       AND (h.voter_id, h.token) IS DISTINCT FROM (p_release_voter, p_release_token) THEN  -- one voter at a time
        UPDATE phonebank.voters SET holder = NULL, lease_until = NULL, token = NULL, since = NULL
        WHERE list_id = h.list_id AND voter_id = h.voter_id AND token = h.token;
    END IF;
    l_all := l_all OR cardinality(l_open) >= p_n_keys;
    LOOP
        tries := tries + 1;
        SELECT * INTO v FROM phonebank.voters
        WHERE list_id = p_list_id AND attempts > 0 AND NOT finished AND NOT blocked AND (is_callback OR route_language <> '')
          AND next_at <= l_now AND (l_all OR zone = ANY (l_open)) AND (route_language = '' OR route_language = l_language)
          AND (lease_until IS NULL OR lease_until <= l_now) AND voter_id <> ALL (l_exclude)
        ORDER BY next_at LIMIT 1 FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            IF l_all THEN
                SELECT * INTO v FROM phonebank.voters
                WHERE list_id = p_list_id AND attempts = 0 AND NOT finished AND NOT blocked
                  AND (lease_until IS NULL OR lease_until <= l_now) AND voter_id <> ALL (l_exclude)
                ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED;
            ELSE
                -- most zones open: walk list order a little way (without locking), the first voter in an
                -- open zone that can be locked wins; few zones open, or open voters rare at the head of
                -- the list: probe each open zone for its first voter instead (locking there skips voters
                -- other claims are taking, so it never comes back empty while a voter is free)
                l_found := false;
                l_walked := 0;
                IF cardinality(l_open) * 2 >= p_n_keys THEN
                    FOR cand IN SELECT x.voter_id, x.zone FROM phonebank.voters x
                             WHERE x.list_id = p_list_id AND x.attempts = 0 AND NOT x.finished AND NOT x.blocked
                               AND (x.lease_until IS NULL OR x.lease_until <= l_now) AND x.voter_id <> ALL (l_exclude)
                             ORDER BY x.seq LOOP
                        l_walked := l_walked + 1;
                        EXIT WHEN l_walked > 64;
                        CONTINUE WHEN NOT (cand.zone = ANY (l_open));
                        SELECT * INTO v FROM phonebank.voters x
                        WHERE x.list_id = p_list_id AND x.voter_id = cand.voter_id AND x.attempts = 0 AND NOT x.finished
                          AND NOT x.blocked AND (x.lease_until IS NULL OR x.lease_until <= l_now)
                        FOR UPDATE SKIP LOCKED;
                        l_found := FOUND;
                        EXIT WHEN l_found;
                    END LOOP;
                END IF;
                IF NOT l_found THEN
                    -- each open zone's first voters (up to eight: claims in flight keep theirs locked until
                    -- their commit is on disk), without locking, in list order: the first that locks; when
                    -- the very first is being taken by another claim, this session goes on from its own
                    -- place among the others, so concurrent claims do not all chase the same voter
                    l_cands := ARRAY(SELECT c.voter_id FROM unnest(l_open) AS k(zone) CROSS JOIN LATERAL (
                                    SELECT x.voter_id, x.seq FROM phonebank.voters x
                                    WHERE x.list_id = p_list_id AND x.zone = k.zone AND x.attempts = 0 AND NOT x.finished
                                      AND NOT x.blocked AND (x.lease_until IS NULL OR x.lease_until <= l_now)
                                      AND x.voter_id <> ALL (l_exclude)
                                    ORDER BY x.seq LIMIT 8) AS c
                                ORDER BY c.seq LIMIT 48);
                    FOR i IN 1 .. cardinality(l_cands) LOOP
                        SELECT * INTO v FROM phonebank.voters x
                        WHERE x.list_id = p_list_id
                          AND x.voter_id = l_cands[CASE WHEN i = 1 THEN 1
                                                        ELSE 2 + (i - 2 + pg_backend_pid()) % (cardinality(l_cands) - 1) END]
                          AND x.attempts = 0 AND NOT x.finished AND NOT x.blocked
                          AND (x.lease_until IS NULL OR x.lease_until <= l_now)
                        FOR UPDATE SKIP LOCKED;
                        l_found := FOUND;
                        EXIT WHEN l_found;
                    END LOOP;
                END IF;
                IF NOT l_found THEN  -- every first voter was being taken: lock while probing (skips them)
                    SELECT c.* INTO v FROM unnest(l_open) AS k(zone) CROSS JOIN LATERAL (
                        SELECT * FROM phonebank.voters x
                        WHERE x.list_id = p_list_id AND x.zone = k.zone AND x.attempts = 0 AND NOT x.finished
                          AND NOT x.blocked AND (x.lease_until IS NULL OR x.lease_until <= l_now)
                          AND x.voter_id <> ALL (l_exclude)
                        ORDER BY x.seq LIMIT 1 FOR UPDATE SKIP LOCKED) AS c
                    ORDER BY c.seq LIMIT 1;
                    l_found := FOUND;
                END IF;
                IF NOT l_found THEN
                    v := NULL;
                END IF;
            END IF;
            l_found := v.voter_id IS NOT NULL;
        ELSE
            l_found := true;
        END IF;
        IF NOT l_found THEN
            IF l_all THEN
                SELECT * INTO v FROM phonebank.voters
                WHERE list_id = p_list_id AND attempts > 0 AND NOT finished AND NOT blocked AND next_at <= l_now
                  AND (route_language = '' OR route_language = l_language)
                  AND (lease_until IS NULL OR lease_until <= l_now) AND voter_id <> ALL (l_exclude)
                ORDER BY next_at, seq LIMIT 1 FOR UPDATE SKIP LOCKED;
            ELSE
                SELECT c.* INTO v FROM unnest(l_open) AS k(zone) CROSS JOIN LATERAL (
                    SELECT * FROM phonebank.voters x
                    WHERE x.list_id = p_list_id AND x.zone = k.zone AND x.attempts > 0 AND NOT x.finished
                      AND NOT x.blocked AND x.next_at <= l_now
                      AND (x.route_language = '' OR x.route_language = l_language)
                      AND (x.lease_until IS NULL OR x.lease_until <= l_now) AND x.voter_id <> ALL (l_exclude)
                    ORDER BY x.next_at, x.seq LIMIT 1 FOR UPDATE SKIP LOCKED) AS c
                ORDER BY c.next_at, c.seq LIMIT 1;
            END IF;
        END IF;
        IF v.voter_id IS NULL THEN
            RETURN jsonb_build_object('generation', p_generation, 'voter', NULL);
        END IF;
        EXIT WHEN phonebank._has_live_phone(v.phones, v.dead_phones) OR tries >= 1000;
        -- every number is dead or on the do-not-call list: out of the queue, and look again
        UPDATE phonebank.voters SET blocked = true WHERE list_id = p_list_id AND voter_id = v.voter_id;
    END LOOP;
    IF tries >= 1000 AND NOT phonebank._has_live_phone(v.phones, v.dead_phones) THEN
        RETURN jsonb_build_object('generation', p_generation, 'voter', NULL);
    END IF;
    l_since := (SELECT coalesce(max(r.seq), 0) FROM phonebank.results r);
    l_token := phonebank._sign(p_list_id, v.voter_id, p_email, l_since, replace(gen_random_uuid()::text, '-', ''));
    UPDATE phonebank.voters SET holder = p_email, lease_until = l_now + make_interval(mins => p_claim_minutes),
                                token = l_token, since = l_since
    WHERE list_id = p_list_id AND voter_id = v.voter_id;
    IF p_email IS NOT NULL THEN
        INSERT INTO phonebank.holds AS x (volunteer, list_id, voter_id, token) VALUES (p_email, p_list_id, v.voter_id, l_token)
        ON CONFLICT (volunteer) DO UPDATE SET list_id = excluded.list_id, voter_id = excluded.voter_id,
                                              token = excluded.token;
    END IF;
    RETURN jsonb_build_object('generation', p_generation, 'voter',
        phonebank._voter_json(p_list_id, v) || jsonb_build_object('token', l_token, 'since', l_since));
END $$;

-- Claim the next voter (the one this volunteer already holds here — a retried claim — else,
-- in one short transaction, FOR UPDATE SKIP LOCKED, due call-backs and voters waiting for a caller of
-- this language, then voters never called in list order, then retries that are due; only in p_open
-- zone keys, never p_exclude; a login holds at most one voter).
CREATE OR REPLACE FUNCTION phonebank.claim(p_list text, p_volunteer text, p_language text, p_exclude text[],
                                           p_open text[], p_now timestamptz)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = phonebank, pg_temp
    SET enable_seqscan = off SET jit = off AS $$
BEGIN
    RETURN phonebank._claim(p_list, p_volunteer, p_language, p_exclude, phonebank._open_classes(p_list, p_open),
                            p_now, NULL, NULL);
END $$;

-- claim, with the open zones as classes (list_info's zone_classes: a class is open when each of its
-- keys is; NULL: every zone is open), giving back first the voter (p_release_voter, p_release_token) the
-- caller is done with.
CREATE OR REPLACE FUNCTION phonebank.claim_next(p_list text, p_volunteer text, p_language text, p_exclude text[],
                                                p_open int[], p_now timestamptz, p_release_voter text,
                                                p_release_token text)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = phonebank, pg_temp
    SET enable_seqscan = off SET jit = off AS $$
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    RETURN phonebank._claim(p_list, p_volunteer, p_language, p_exclude, p_open, p_now, p_release_voter,
                            p_release_token);
END $$;

-- One voter as the screen shows them now. A volunteer's login sees only the voter they hold (p_token)
-- or one they have called.
CREATE OR REPLACE FUNCTION phonebank.voter_offer(p_list text, p_voter_id text, p_token text, p_volunteer text)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = phonebank, pg_temp
    SET enable_seqscan = off SET jit = off AS $$
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
RETURNS boolean LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = phonebank, pg_temp
    SET enable_seqscan = off SET jit = off AS $$
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

-- Give a voter back (nothing happens when the hold was taken over meanwhile).
CREATE OR REPLACE FUNCTION phonebank.release(p_list text, p_voter_id text, p_token text)
RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = phonebank, pg_temp
    SET enable_seqscan = off SET jit = off AS $$
DECLARE
    l record;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    l := _list(p_list);
    UPDATE voters SET holder = NULL, lease_until = NULL, token = NULL, since = NULL
    WHERE list_id = l.id AND voter_id = p_voter_id AND token = p_token;
END $$;

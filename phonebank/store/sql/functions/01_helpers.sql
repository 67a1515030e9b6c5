-- The helpers of the calling functions (not granted to anyone): who is calling, the list, a live
-- number, hold signatures, a voter's history and screen.
--
-- Plain PL/pgSQL run with the privileges of the calling function (no SECURITY DEFINER, no SET: their
-- plans are cached per session; SQL functions with subqueries are planned again at every call), every
-- table named with its schema.

-- Who is calling: (email, is_login). A volunteer's login is that volunteer, whatever p_volunteer says
-- (and naming another volunteer is refused); an organizer must name the volunteer.
CREATE OR REPLACE FUNCTION phonebank._me(p_volunteer text, p_need_name boolean, OUT email text,
                                         OUT is_login boolean)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    vol record;
BEGIN
    SELECT v.email, v.revoked_at INTO vol FROM phonebank.volunteers v WHERE v.login_role = session_user::text;
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
LANGUAGE plpgsql STABLE AS $$
BEGIN
    -- n_keys: the number of zone classes (what a claim's open zones are counted against); not the arrays,
    -- long ones are TOASTed
    SELECT l.id, l.generation, l.n_classes INTO id, generation, n_keys
    FROM phonebank.lists l WHERE l.name = p_list;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found', MESSAGE = format('no list named ''%s'' in the database — available: %s',
            p_list, coalesce((SELECT string_agg(x.name, ', ' ORDER BY x.name) FROM phonebank.lists x), 'none'));
    END IF;
    -- by its key: a subquery on the one-row table was planned again at every other call
    SELECT c.claim_minutes INTO claim_minutes FROM phonebank.campaign c WHERE c.id = 1;
    claim_minutes := coalesce(claim_minutes, 30);
END $$;

-- A number worth dialing is left: not dead for this voter, not on the do-not-call list.
CREATE OR REPLACE FUNCTION phonebank._has_live_phone(p_phones text[], p_dead text[])
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM unnest(p_phones) AS p(phone)
                   WHERE p.phone <> '' AND NOT (p.phone = ANY (p_dead))
                     AND NOT EXISTS (SELECT 1 FROM phonebank.dnc d WHERE d.phone = p.phone AND d.active));
END $$;

-- A hold's signature: a token names one claim of one voter by one volunteer at one results position,
-- and only the server can make one.
CREATE OR REPLACE FUNCTION phonebank._sign(p_list_id int, p_voter_id text, p_volunteer text, p_since bigint,
                                           p_nonce text)
RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT p_nonce || left(encode(sha256(convert_to(s.value || encode(sha256(convert_to(
        s.value || '|' || concat_ws('|', p_list_id, p_voter_id, p_volunteer, p_since, p_nonce), 'UTF8')), 'hex'),
        'UTF8')), 'hex'), 32)
            FROM phonebank.secrets s WHERE s.name = 'hold');
END $$;

CREATE OR REPLACE FUNCTION phonebank._token_ok(p_list_id int, p_voter_id text, p_volunteer text, p_since bigint,
                                               p_token text)
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN coalesce(p_token IS NOT NULL AND length(p_token) = 64
                    AND phonebank._sign(p_list_id, p_voter_id, p_volunteer, p_since, left(p_token, 32)) = p_token,
                    false);
END $$;

-- A voter's saved calls in this list, save order, as results CSV fields (phonebank.results.RESULT_COLUMNS).
CREATE OR REPLACE FUNCTION phonebank._history(p_list_id int, p_voter_id text)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_array(r.row_id, r.recorded_at, r.volunteer, r.list, r.voter_id,
                                                        r.phone, r.code, r.answers, r.note, r.language, r.seconds,
                                                        r.callback_at, r.undoes, r.overlaps) ORDER BY r.seq), '[]'::jsonb)
            FROM phonebank.results r WHERE r.list_id = p_list_id AND r.voter_id = p_voter_id);
END $$;

-- What a screen needs about one voter: the list row, numbers, state version, history (none for a
-- voter no saved call changed) and which of the voter's numbers are on the do-not-call list.
CREATE OR REPLACE FUNCTION phonebank._voter_json(p_list_id int, p_voter phonebank.voters)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN jsonb_build_object(
        'voter_id', p_voter.voter_id, 'seq', p_voter.seq, 'zone_key', p_voter.zone_key,
        'phones', to_jsonb(p_voter.phones), 'data', to_jsonb(p_voter.data), 'version', p_voter.version,
        'dead_phones', to_jsonb(p_voter.dead_phones),
        'dnc', (SELECT coalesce(jsonb_agg(DISTINCT p.phone), '[]'::jsonb) FROM unnest(p_voter.phones) AS p(phone)
                WHERE EXISTS (SELECT 1 FROM phonebank.dnc d WHERE d.phone = p.phone AND d.active)),
        -- a voter whose state no saved call changed has none (every save and every fold counts in version)
        'rows', CASE WHEN p_voter.version = 0 THEN '[]'::jsonb ELSE phonebank._history(p_list_id, p_voter.voter_id) END);
END $$;

-- May this volunteer's login see this voter? The one they hold, or one they have called.
CREATE OR REPLACE FUNCTION phonebank._may_see(p_list_id int, p_voter phonebank.voters, p_token text, p_email text)
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN coalesce(p_token IS NOT NULL AND p_voter.token = p_token, false)
        OR EXISTS (SELECT 1 FROM phonebank.results r WHERE r.list_id = p_list_id AND r.voter_id = p_voter.voter_id
                                                       AND r.volunteer = p_email);
END $$;

-- What a volunteer's session reads about the campaign and itself: its login, the script, the lists, a
-- list's header and zone keys; a login's own registration.

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

-- A list's header (column names of `data`), zone keys, their classes and generation.
CREATE OR REPLACE FUNCTION phonebank.list_info(p_list text)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
DECLARE
    l record;
BEGIN
    l := phonebank._list(p_list);
    RETURN (SELECT jsonb_build_object('id', x.id, 'name', x.name, 'header', to_jsonb(x.header),
                                      'zone_keys', to_jsonb(x.zone_keys), 'zone_classes', to_jsonb(x.zone_classes),
                                      'generation', x.generation, 'voters', x.voters,
                                      'claim_minutes', l.claim_minutes)
            FROM phonebank.lists x WHERE x.id = l.id);
END $$;

-- A volunteer's login records its own registration (first name, last name, ZIP): the organizer's
-- `db pull` and reports show the name, and the volunteer joining from a second computer is not asked
-- again. Only for itself (the login decides who), only the registration fields, bounded like the
-- roster's; an organizer's connection registers volunteers with `db push` (volunteers.csv) instead.
CREATE OR REPLACE FUNCTION phonebank.register_me(p_first text, p_last text, p_zip text, p_registered_at text)
RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
DECLARE
    me record;
BEGIN
    me := _me(NULL, false);
    IF NOT me.is_login THEN
        RAISE EXCEPTION 'only a volunteer''s login registers itself — an organizer registers volunteers with `phonebank db push`';
    END IF;
    IF coalesce(btrim(p_first), '') = '' OR length(p_first) > 100 OR length(coalesce(p_last, '')) > 100
       OR coalesce(p_zip, '') !~ '^[0-9]{5}$' OR length(coalesce(p_registered_at, '')) > 40
       OR concat(p_first, p_last) ~ '[[:cntrl:]]' THEN
        RAISE EXCEPTION 'a registration is a first name, a last name (at most 100 characters each, no control '
                        'characters) and a 5-digit ZIP';
    END IF;
    UPDATE volunteers SET first_name = btrim(p_first), last_name = btrim(coalesce(p_last, '')), zip = p_zip,
                          registered_at = coalesce(p_registered_at, '')
    WHERE email = me.email;
END $$;

-- This login's registration, or NULL when it has none yet.
CREATE OR REPLACE FUNCTION phonebank.my_registration()
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = phonebank, pg_temp AS $$
DECLARE
    me record;
BEGIN
    me := _me(NULL, false);
    RETURN (SELECT jsonb_build_object('first_name', v.first_name, 'last_name', v.last_name, 'zip', v.zip,
                                      'registered_at', v.registered_at)
            FROM volunteers v WHERE v.email = me.email AND me.is_login AND v.first_name <> '');
END $$;

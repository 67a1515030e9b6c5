-- Who may run what: nothing for PUBLIC; volunteers' logins (members of phonebank_caller) only the
-- calling functions, and no privilege on any table.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA phonebank FROM PUBLIC;
GRANT USAGE ON SCHEMA phonebank TO phonebank_caller;
GRANT EXECUTE ON FUNCTION
    phonebank.whoami(),
    phonebank.campaign_script(),
    phonebank.list_names(),
    phonebank.list_info(text),
    phonebank.my_registration(),
    phonebank.register_me(text, text, text, text),
    phonebank.claim(text, text, text, text[], text[], timestamptz),
    phonebank.claim_next(text, text, text, text[], int[], timestamptz, text, text),
    phonebank.voter_offer(text, text, text, text),
    phonebank.heartbeat(text, text, text, timestamptz),
    phonebank.release(text, text, text),
    phonebank.save_call(text, text[], text, bigint, int, jsonb, timestamptz),
    phonebank.save_and_claim(text, text[], text, bigint, int, jsonb, timestamptz, text, text[], int[]),
    phonebank.last_saved(text, text),
    phonebank.voter_name(text, text, text),
    phonebank.queue_counts(text, timestamptz)
TO phonebank_caller;

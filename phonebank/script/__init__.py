"""``scripts.yaml``: its schema (``schema``), loading with one-line problems (``load``) and the checks
for meaning (``checks``)."""

from .load import load_script, parse_script
from .schema import (
    CAMPAIGN_VARS,
    EFFECTS,
    ELECTION_FIELDS,
    VAR_RE,
    VOLUNTEER_FIELDS,
    VOTER_FIELDS,
    Answer,
    Calling,
    Campaign,
    Code,
    Election,
    Export,
    Hours,
    Localized,
    Question,
    Retry,
    Script,
    Section,
)

__all__ = [
    "CAMPAIGN_VARS", "EFFECTS", "ELECTION_FIELDS", "VAR_RE", "VOLUNTEER_FIELDS", "VOTER_FIELDS", "Answer", "Calling",
    "Campaign", "Code", "Election", "Export", "Hours", "Localized", "Question", "Retry", "Script", "Section",
    "load_script", "parse_script",
]

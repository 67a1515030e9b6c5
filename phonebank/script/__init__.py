"""``scripts.yaml``: its schema (``schema``), loading with one-line problems (``load``, PyYAML), the checks
for meaning (``checks``), and the validated script kept for the next command (``cached``: what
``load_script`` reads through, so `phonebank call` need not import PyYAML)."""

from .cached import load_script, parse_script
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

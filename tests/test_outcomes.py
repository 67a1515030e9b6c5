"""The outcome rules (``phonebank.outcomes.RULES``): what each effect does, and that the calling queue's
fold and the report's vectorized fold both read them from that one table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from phonebank import outcomes
from phonebank.outcomes import RULES, UNKNOWN_CODE, Rule, VoterOutcome, apply, fold
from phonebank.results import CsvResultsStore, ResultRow
from phonebank.script import EFFECTS, load_script

REPO = Path(__file__).resolve().parent.parent
T0 = dt.datetime(2017, 3, 11, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def script():
    return load_script(REPO / "scripts.yaml")


def row(code: str, minutes: int = 0, voter: str = "1", phone: str = "+13235550101", callback_at: str = "") -> ResultRow:
    return ResultRow((T0 + dt.timedelta(minutes=minutes)).isoformat(), "a@example.org", "l", voter, phone, code,
                     callback_at=callback_at)


def one(script, *rows: ResultRow) -> VoterOutcome:
    state = VoterOutcome("1")
    for r in rows:
        apply(script, state, r)
    return state


def test_every_effect_has_a_rule() -> None:
    assert set(RULES) == set(EFFECTS)
    assert all(rule.next_at in (outcomes.NEXT_NONE, outcomes.NEXT_AFTER, outcomes.NEXT_CALLBACK)
               for rule in [*RULES.values(), UNKNOWN_CODE])


def test_final_and_do_not_call_finish(script) -> None:
    assert one(script, row("supporter")).finished
    refused = one(script, row("refused"))
    assert refused.finished and refused.dead_phones == {"+13235550101"} and refused.next_at is None


def test_final_for_number_kills_the_number_only(script) -> None:
    state = one(script, row("wrong_number"))
    assert not state.finished and state.dead_phones == {"+13235550101"}
    assert outcomes.status(["+13235550101", "+13235550102"], state, set(), T0) == outcomes.CALLABLE
    assert outcomes.status(["+13235550101"], state, set(), T0) == outcomes.FINISHED


def test_retry_comes_back_after_hours_until_max_attempts(script) -> None:
    code = script.code("left_message")  # after_hours 48, max_attempts 2
    first = one(script, row("left_message"))
    assert not first.finished and first.next_at == T0 + dt.timedelta(hours=script.retry_after_hours(code))
    second = one(script, row("left_message"), row("left_message", 60))
    assert second.finished and second.next_at is None and second.attempts == script.max_attempts(code)


def test_retry_routes_the_language(script) -> None:
    assert one(script, row("language_spanish")).route_language == "es"
    assert one(script, row("language_spanish"), row("not_home", 5)).route_language == "es"


def test_callback_at_the_time_given_else_after_hours(script) -> None:
    at = "2017-03-14T18:00:00-07:00"
    assert one(script, row("call_back", callback_at=at)).next_at == dt.datetime.fromisoformat(at)
    code = script.code("call_back")
    assert one(script, row("call_back")).next_at == T0 + dt.timedelta(hours=script.retry_after_hours(code))
    assert one(script, row("call_back", callback_at=at), row("not_home", 5)).next_at == \
        T0 + dt.timedelta(minutes=5, hours=script.retry_after_hours(script.code("not_home")))


def test_a_code_no_longer_in_the_script_is_final(script) -> None:
    state = one(script, row("old_code"))
    assert state.finished and state.unknown_codes == {"old_code"} and not state.contacted


def test_contact_follows_the_code_not_the_effect(script) -> None:
    assert one(script, row("not_home"), row("supporter", 5)).contacted
    assert not one(script, row("not_home")).contacted


def _report_fold(script, tmp_path: Path, rows: list[ResultRow]):
    from phonebank.report.data import effective_mask, read_results
    from phonebank.report.state import fold_frame

    store = CsvResultsStore(tmp_path / "results")
    for r in rows:
        store.append(r)
    results = read_results(store.files("l"))
    return fold_frame(script, results.rows, effective_mask(results.rows))


@pytest.mark.parametrize("changed", [
    ("final", Rule()),  # a final code that no longer finishes
    ("retry", Rule(finishes=True)),  # a retry code that finishes at once
    ("final_for_number", Rule(next_at=outcomes.NEXT_AFTER, kills_number=False)),
    ("callback", Rule(kills_number=True, next_at=outcomes.NEXT_AFTER)),
])
def test_queue_and_report_read_the_same_rules(script, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              changed: tuple[str, Rule]) -> None:
    """Change one rule in ``outcomes.RULES``: the queue's fold and the report's fold both follow it."""
    monkeypatch.setitem(RULES, *changed)
    rows = [row("supporter", 0, "1"), row("not_home", 1, "2"), row("wrong_number", 2, "3"),
            row("call_back", 3, "4"), row("call_back", 4, "5", callback_at="2017-03-14T18:00:00-07:00")]
    queue = fold(script, rows)
    folded = _report_fold(script, tmp_path / changed[0], rows)
    ids = list(folded.voter_ids)
    for vid, outcome in queue.items():
        i = ids.index(vid)
        assert bool(folded.finished[i]) == outcome.finished, vid
        got = None if folded.next_at[i] == -(2 ** 63) else T0.replace(1970, 1, 1, 0, 0) + dt.timedelta(
            microseconds=int(folded.next_at[i]))
        assert got == outcome.next_at, vid
        dead = {p for v, p in zip(folded.dead_voter, folded.dead_phone, strict=True) if v == i}
        assert dead == outcome.dead_phones, vid


def test_rule_of_a_saved_code(script) -> None:
    """``rule_of``: what the stores ask of a saved code (does it list the number as do-not-call, kill it...)."""
    assert outcomes.rule_of(script, "refused").do_not_call and outcomes.rule_of(script, "wrong_number").kills_number
    assert outcomes.rule_of(script, "call_back").next_at == outcomes.NEXT_CALLBACK
    assert outcomes.rule_of(script, "renamed_since") is UNKNOWN_CODE

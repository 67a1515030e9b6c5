"""Calling from home with real processes on the real server (tests/pg.py): volunteers on their own folders
and homes (`phonebank join`), each running `phonebank call --plain` with answers piped or typed line by line.

* several volunteers call one campaign at once: each voter once, every call saved on the volunteer's
  computer and in the database, identities from the logins;
* a volunteer killed (SIGKILL) or frozen (SIGSTOP) while holding a voter: nobody gets that voter until the
  lease ends, then it returns to the pool; the frozen one, woken up (SIGCONT), saves late: kept, marked;
* the connection cut between the claim and the save — the server ends the backend, or the network goes
  down — the call is saved on the computer and delivered later, exactly once; no new voter while offline;
* a revoked volunteer is refused in one line.
"""

from __future__ import annotations

import signal
import time

import pytest

import figures
from callkit import voter
from homekit import T0, at, local_rows, offline_at_first_voter, open_campaign, pending, phonebank

pytestmark = pytest.mark.stress  # a promise suite: `pytest -m 'not stress'` leaves it out while working


@pytest.fixture
def campaign(tmp_path):
    c = open_campaign(tmp_path)
    yield c
    c.close()


# == several volunteers at once ===========================================================================

def test_volunteers_at_home_call_one_campaign_at_once(tmp_path):
    """Six volunteers, six folders, six homes: `phonebank join`, then `phonebank call --plain` at the same
    time with their answers piped (the first call registers their name), eight calls each."""
    # more voters than calls: each process's last claim (the voter it quits on) must never starve another's call
    voters = [voter(f"V{i:02d}", f"First{i:02d}", f"Last{i:02d}", f"+1213555{1000 + i}") for i in range(1, 61)]
    campaign = open_campaign(tmp_path, voters)
    try:
        emails = [f"vol{i}@example.org" for i in range(1, 7)]
        members = [campaign.join(email, register=False) for email in emails]
        for m in members:
            assert not m.ws.list_path("test").exists()  # no local list: the voters stay in the database
            assert m.invitation.password not in m.ws.settings_path.read_text()
            assert m.ws.database_setting() == m.invitation.url.replace(f":{m.invitation.password}@", "@")
            assert oct((m.home / ".pgpass").stat().st_mode & 0o777) == "0o600"
        answers = "Vol\nTester\n90033\n" + "n\n\ns\n" * 8 + "q\n"
        started = time.monotonic()
        callers = [campaign.call(email) for email in emails]
        for c in callers:
            c.send(answers)
        codes = [c.finish(timeout=180) for c in callers]
        took = time.monotonic() - started
        assert codes == [0] * 6, [c.text for c in callers]
        for email, c in zip(emails, callers, strict=True):
            assert f"Logged in as {email} (your campaign login says who you are: no email to type)." in c.text
            assert "Session summary: 8 calls" in c.text and "Traceback" not in c.text
        rows = campaign.rows()
        assert len(rows) == 48 and len({r[1] for r in rows}) == 48  # each voter called once
        for m in members:
            mine = [r for r in rows if r[2] == m.email]
            assert len(mine) == 8
            assert sorted(r.row_id for r in local_rows(m)) == sorted(r[0] for r in mine)  # the same calls, both places
            assert pending(m) == {}
        figures.record("home: concurrent volunteers",
                       f"6 `phonebank call --plain` processes x 8 calls on one campaign in {took:.1f} s (start to exit, "
                       "incl. interpreter start), 48 voters each called once, each volunteer's file = the database")
    finally:
        campaign.close()


# == a volunteer dies or freezes ==========================================================================

def test_a_killed_volunteer_s_voter_comes_back_only_when_the_lease_ends(campaign):
    for email in ("ana@example.org", "bo@example.org", "cy@example.org"):
        campaign.join(email)
    ana = campaign.call("ana@example.org", T0)
    assert ana.voter() == "María García"  # V1, held by Ana
    ana.signal(signal.SIGKILL)
    ana.proc.wait(30)
    assert campaign.holder("V1") == "ana@example.org"
    bo = campaign.call("bo@example.org", at(29))  # within Ana's 30 minutes
    assert bo.voter() == "José Hernández"
    bo.send("q")
    assert bo.finish() == 0
    cy = campaign.call("cy@example.org", at(31))  # after them: V1 is back in the pool
    assert cy.voter() == "María García"
    cy.send("n", "", "s")
    cy.expect("Saved: Not home / no answer for María García")
    cy.send("q")
    assert cy.finish() == 0
    assert [(v, who, code) for _, v, who, code, _ in campaign.rows()] == [("V1", "cy@example.org", "not_home")]
    assert local_rows(campaign.members["ana@example.org"]) == []
    figures.record("home: SIGKILL", "a killed volunteer's voter withheld from another at +29 min, handed out at +31 min "
                   "(claim_minutes 30), called once")


def test_a_frozen_volunteer_holds_until_the_lease_ends_and_a_late_save_is_kept_and_marked(campaign):
    for email in ("ana@example.org", "bo@example.org", "cy@example.org"):
        campaign.join(email)
    ana = campaign.call("ana@example.org", T0)
    assert ana.voter() == "María García"
    ana.signal(signal.SIGSTOP)
    bo = campaign.call("bo@example.org", at(29))
    assert bo.voter() == "José Hernández"  # María is still Ana's
    bo.send("q")
    assert bo.finish() == 0
    cy = campaign.call("cy@example.org", at(31))
    assert cy.voter() == "María García"
    cy.send("n", "", "s")
    cy.expect("Saved: Not home / no answer")
    cy.send("q")
    assert cy.finish() == 0
    ana.signal(signal.SIGCONT)  # Ana's laptop wakes up; she finishes the call she was on
    ana.send("n")
    ana.expect("Your hold on María García lapsed after 30 minutes")
    ana.send("", "s")
    ana.expect("Saved: Not home / no answer for María García")
    ana.expect("Another volunteer also called this voter while your hold had lapsed: both calls are saved")
    ana.voter()
    ana.send("q")
    assert ana.finish() == 0
    rows = campaign.rows("V1")
    assert [(who, code) for _, _, who, code, _ in rows] == [("cy@example.org", "not_home"),
                                                            ("ana@example.org", "not_home")]
    assert rows[0][4] == "" and rows[1][4] == rows[0][0]  # Ana's late call marked with Cy's
    assert [r.row_id for r in local_rows(campaign.members["ana@example.org"])] == [rows[1][0]]
    figures.record("home: SIGSTOP", "a frozen volunteer's voter withheld at +29 min, handed out at +31 min; woken by "
                   "SIGCONT, the late save kept and marked overlaps with the other call")


# == the connection cut between claim and save ============================================================

def test_the_server_ends_the_connection_between_claim_and_save(campaign):
    """pg_terminate_backend from the organizer's connection while the volunteer is on a call: the save
    reconnects and arrives once."""
    member = campaign.join("ana@example.org")
    ana = campaign.call("ana@example.org")
    assert ana.voter() == "María García"
    role = member.invitation.role
    before = campaign.conn.execute("SELECT pid FROM pg_stat_activity WHERE usename = %s", (role,)).fetchall()
    ended = campaign.conn.execute("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                                  "WHERE usename = %s", (role,)).fetchone()[0]
    assert ended == len(before) == 1
    ana.send("n", "", "s")
    ana.expect("Saved: Not home / no answer for María García")
    assert ana.voter() == "José Hernández"
    ana.send("q")
    assert ana.finish() == 0
    assert "Offline" not in ana.text  # a new connection at once: nothing to say
    rows = campaign.rows()
    assert [(v, who) for _, v, who, _, _ in rows] == [("V1", "ana@example.org")]
    assert [r.row_id for r in local_rows(member)] == [rows[0][0]] and pending(member) == {}


def test_the_network_drops_mid_call_the_call_is_kept_and_delivered_once(campaign):
    """The volunteer's network goes down after the claim: the call is finished and saved on the computer, one
    line says so, no new voter is offered; when the network is back, "Try again" delivers it, once."""
    with offline_at_first_voter(campaign) as (proxy, member, ana):
        ana.send("n")
        ana.expect(r"Offline: the campaign database cannot be reached\. Finish and save this call: it is kept on "
                   r"this computer and sent when the connection is back; no new voter until then\.")
        ana.send("", "s")
        ana.expect("Saved: Not home / no answer for María García")
        ana.expect(r"Offline: no new voter until the campaign database can be reached again; 1 saved call\(s\) are "
                   r"kept on this computer and will be sent then\.")
        ana.expect("What next\\?")
        assert campaign.rows() == [] and len(pending(member)) == 1
        ana.send("a")  # still down: the same line again
        ana.expect("Offline: no new voter")
        cut_at = time.monotonic()
        proxy.restore()
        ana.send("a")
        ana.expect(r"Sent 1 call\(s\) saved while offline to the campaign database\.")
        delivered_after = time.monotonic() - cut_at
        assert ana.voter() == "José Hernández"
        ana.send("n", "", "s")
        ana.expect("Saved: Not home / no answer for José Hernández")
        ana.voter()
        ana.send("q")
        assert ana.finish() == 0
        rows = campaign.rows()
        assert [(v, who) for _, v, who, _, _ in rows] == [("V1", "ana@example.org"), ("V2", "ana@example.org")]
        assert [r.row_id for r in local_rows(member)] == [r[0] for r in rows] and pending(member) == {}
        figures.record("home: network cut", f"a call saved offline delivered {delivered_after:.2f} s after the network "
                       "came back, once")


def test_a_call_saved_offline_is_sent_at_the_next_start_once(campaign):
    """Offline, the volunteer quits (or the computer is switched off); the next `phonebank call` sends the call
    first; the one after sends nothing again."""
    with offline_at_first_voter(campaign) as (proxy, member, ana):
        ana.send("i")  # Add Information -> the other codes
        ana.expect("Choose")
        ana.send("d", "", "s")  # wrong number, no note, save
        ana.expect("Saved: Wrong number")
        ana.expect(r"Try María García's next number, \(323\) 555-0102\?")  # offline, from what is known here
        ana.signal(signal.SIGKILL)  # the laptop is shut
        ana.proc.wait(30)
        saved = local_rows(member)
        assert len(saved) == 1 and list(pending(member)) == [saved[0].row_id] and campaign.rows() == []
        down = phonebank("call", "--plain", home=member.home, cwd=member.root, input="q\n")
        assert down.returncode == 1
        assert down.stderr.strip().endswith("1 call(s) saved on this computer wait to be sent at the next connection")
        proxy.restore()
        again = campaign.call("ana@example.org")
        again.expect(r"Sent 1 call\(s\) saved while offline to the campaign database\.")
        again.voter()
        again.send("q")
        assert again.finish() == 0
        third = campaign.call("ana@example.org")
        third.voter()
        third.send("q")
        assert third.finish() == 0 and "Sent" not in third.text
        rows = campaign.rows()
        assert [(r[0], r[1], r[3]) for r in rows] == [(saved[0].row_id, "V1", "wrong_number")]
        assert pending(member) == {}


# == a revoked volunteer ==================================================================================

def test_a_revoked_volunteer_is_refused_in_one_line(campaign):
    from phonebank.store import postgres

    member = campaign.join("ana@example.org")
    ana = campaign.call("ana@example.org")
    assert ana.voter() == "María García"
    assert postgres.revoke(campaign.conn, "ana@example.org") == 1  # her session is ended, her voter given back
    ana.send("n")
    ana.expect("Error: the campaign database refused your login")
    assert ana.finish() == 1
    assert campaign.holder("V1") is None
    done = phonebank("call", "--plain", home=member.home, cwd=member.root, input="q\n")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [
        f'Error: the campaign database refused your login (role "{member.invitation.role}" is not permitted to log '
        "in): it was revoked — ask the organizer for a new invitation"]

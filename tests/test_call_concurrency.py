"""Several calling sessions on one list at once: never the same voter, never a finished voter again."""

from __future__ import annotations

import json
import multiprocessing
import random
import time

from phonebank.results import ResultRow
from phonebank.script import load_script
from phonebank.store.files import FileStore

from callkit import Clock, la, make_workspace, read_rows, voter

CODES = ["supporter", "undecided", "other_candidate", "moved", "deceased", "not_home", "refused"]


def worker(root: str, email: str, log_path: str, seed: int) -> None:
    from phonebank.workspace import Workspace

    rng = random.Random(seed)
    ws = Workspace(__import__("pathlib").Path(root))
    script = load_script(ws.script_path)
    clock = Clock(la(2017, 3, 20, 18, 0))  # fixed: a not-home retry is not due again during the test
    queue = FileStore(ws, script, "test", clock)
    with open(log_path, "w") as log:
        while (offer := queue.next_voter(email)) is not None:
            taken = time.time()
            time.sleep(rng.random() / 500)
            queue.save(ResultRow(recorded_at=clock().isoformat(), volunteer=email, list="test",
                                   voter_id=offer.voter_id, phone=offer.phones[0], code=rng.choice(CODES)))
            released = time.time()
            queue.release(offer.hold)
            log.write(json.dumps([offer.voter_id, taken, released]) + "\n")


def test_four_processes_share_one_list(tmp_path):
    voters = [voter(f"V{i:04d}", "Voter", str(i), f"+1213555{i:04d}") for i in range(300)]
    ws = make_workspace(tmp_path / "ws", voters)
    FileStore(ws, load_script(ws.script_path), "test", Clock(la(2017, 3, 20, 18, 0))).close()  # build once
    ctx = multiprocessing.get_context("fork")
    procs = []
    for n in range(4):
        p = ctx.Process(target=worker, args=(str(ws.root), f"vol{n}@example.org", str(tmp_path / f"log{n}"), n))
        p.start()
        procs.append(p)
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    events = []
    for n in range(4):
        for line in (tmp_path / f"log{n}").read_text().splitlines():
            events.append((n, *json.loads(line)))
    offered = [e[1] for e in events]
    assert len(offered) == len(set(offered)) == 300  # every voter once: none shared, none finished re-offered
    assert len({e[0] for e in events}) > 1  # the work really was shared
    rows = read_rows(ws)
    assert len(rows) == len(events) == 300
    assert sorted(r["voter_id"] for r in rows) == sorted(offered)

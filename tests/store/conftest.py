"""The ``make_store`` fixture: one contract suite, every store behind the port.

Today the file store; a database store joins by adding its name to ``BACKENDS`` and a branch below.
"""

from __future__ import annotations

import pytest

from phonebank.script import load_script

BACKENDS = ["files"]


@pytest.fixture(params=BACKENDS)
def make_store(request):
    """``make_store(ws, clock, name="test")`` opens the calling store of list ``name``."""
    opened = []

    def make(ws, clock, name: str = "test", on_rebuild=None):
        from phonebank.store.files import FileStore

        store = FileStore(ws, load_script(ws.script_path), name, clock, on_rebuild=on_rebuild)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()

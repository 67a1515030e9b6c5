"""Create a new workspace from the template shipped inside the package (``phonebank/template/``).

The template is the repository's own sample workspace: ``template/scripts.yaml`` is byte-identical
to the repository's ``scripts.yaml`` and ``template/lists/ca34-sample.csv`` to ``lists/ca34-sample.csv``
(a test keeps them so).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .errors import DataError, WorkspaceError
from .fsutil import atomic_write, ensure_private_dir
from .workspace import DNC_FILE, LISTS_DIR, RESULTS_DIR, ROSTER_FILE, SCRIPT_FILE

SAMPLE_LIST = "ca34-sample.csv"


def template_dir():
    return resources.files("phonebank") / "template"


def create_workspace(root: Path, with_sample: bool = False) -> list[Path]:
    """Create a workspace at ``root`` (which may exist, but must not hold a workspace yet).

    Returns the paths created, in order. Raises WorkspaceError rather than overwrite anything.
    """
    if root.exists() and not root.is_dir():
        raise WorkspaceError(f"{root} is a file, not a folder — choose another path for the new workspace")
    taken = [n for n in (SCRIPT_FILE, LISTS_DIR, RESULTS_DIR, ROSTER_FILE, DNC_FILE) if (root / n).exists()]
    if taken:
        raise WorkspaceError(
            f"{root} already holds a workspace (found {', '.join(taken)}) — choose a new folder; "
            "nothing was changed"
        )
    template = template_dir()
    script = template / SCRIPT_FILE
    sample = template / LISTS_DIR / SAMPLE_LIST
    if not script.is_file() or (with_sample and not sample.is_file()):
        raise DataError("the workspace template is missing from this installation — reinstall phonebank")
    created: list[Path] = []
    if not root.exists():
        created.append(ensure_private_dir(root))
    with atomic_write(root / SCRIPT_FILE, "wb", encoding=None, newline=None) as fh:
        fh.write(script.read_bytes())
    created.append(root / SCRIPT_FILE)
    for name in (LISTS_DIR, RESULTS_DIR):
        created.append(ensure_private_dir(root / name))
    if with_sample:
        target = root / LISTS_DIR / SAMPLE_LIST
        with atomic_write(target, "wb", encoding=None, newline=None) as fh:
            fh.write(sample.read_bytes())
        created.append(target)
    return created

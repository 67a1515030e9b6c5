"""Load ``scripts.yaml``: PyYAML's safe loader only (no tags that build Python objects), the schema in
``schema.py`` (unknown keys rejected), then the checks for meaning in ``checks.py``. Every problem is one line
``scripts.yaml:LINE: what is wrong — how to fix it``, and all of them are reported at once.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import msgspec
import yaml
import yaml.reader

from ..errors import ScriptError
from .cached import MAX_BYTES, read_script_text
from .checks import check_meaning, line_at, path_label
from .schema import EFFECTS, Script


# -- loading --------------------------------------------------------------------------------------
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader, except that dates stay text: the schema parses them and reports bad ones
    with their line (PyYAML would raise a bare ValueError for 2017-02-30)."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_str)


MAX_ALIASES = 1000  # uses of an anchor (*name)
MAX_EXPANDED_NODES = 100_000  # values once every alias is expanded
MAX_EXPANDED_CHARS = 1 << 20  # characters of text once every alias is expanded
MAX_PROBLEMS = 50  # problems reported at once (after removing repeats)


def load_script(path: Path) -> Script:
    """Read, parse and validate ``path``, always from the file (``cached.load_script`` keeps the result).
    Raises ScriptError listing every problem."""
    return parse_script(read_script_text(path), path.name)


def parse_script(text: str, name: str = "scripts.yaml") -> Script:
    if len(text) > MAX_BYTES:
        raise ScriptError([f"{name}: the text is {len(text):,} characters (at most {MAX_BYTES:,}) — that is not a call "
                           "script; restore it from a backup or start from `phonebank init`"])
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScriptError([f"{name}:1: the file is empty — start from `phonebank init` or the sample scripts.yaml"])
        lines: dict[tuple, int] = {}
        problems: list[str] = []
        _walk(node, (), lines, problems, name)
        if problems:
            raise ScriptError(_capped(problems))
        _check_expansion(node, name)  # the walk above never expands an alias; converting and checking would
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise ScriptError([_yaml_problem(exc, name)]) from None
    except yaml.reader.ReaderError as exc:  # a NUL or control character
        line = text.count("\n", 0, max(0, exc.position)) + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        raise ScriptError([f"{name}:{line}: character #x{char:04x} is not allowed in a YAML file — delete it "
                           "(look for an invisible character on that line)"]) from None
    except yaml.YAMLError as exc:
        raise ScriptError([f"{name}: not valid YAML ({exc}) — fix the syntax"]) from None
    except (ValueError, TypeError, KeyError) as exc:  # `!!int abc`, `!!bool maybe`: a tagged value that cannot be built
        raise ScriptError([_shorten(f"{name}: a value cannot be read ({exc}) — remove the !!tag in front of it")]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ScriptError([f"{name}:1: expected a mapping of sections (campaign:, sections:, codes: ...) — see the sample scripts.yaml"])
    script, problems = _convert(data, lines, name)
    if script is not None:
        script.lines = lines
        problems += check_meaning(script, data, lines, name, text.splitlines())
    if problems:
        raise ScriptError(_capped(sorted(problems, key=_line_number)))  # file order
    assert script is not None  # _convert gives a script or problems
    return script


def _capped(problems: list[str]) -> list[str]:
    """Problems shortened, repeats removed (an alias used many times repeats its problems), at most
    MAX_PROBLEMS of them and a line saying how many more."""
    unique = list(dict.fromkeys(_shorten(p) for p in problems))
    if len(unique) <= MAX_PROBLEMS:
        return unique
    return unique[:MAX_PROBLEMS] + [f"... and {len(unique) - MAX_PROBLEMS:,} more problems — fix these first"]


def _check_expansion(root: yaml.Node, name: str) -> None:
    """Refuse a document whose aliases (*name) would expand it past MAX_EXPANDED_NODES values or
    MAX_EXPANDED_CHARS characters (a "billion laughs"), or that uses more than MAX_ALIASES aliases.
    Each node is sized once (memoized), so the check is linear in the file, not in the expansion."""
    sizes: dict[int, tuple[int, int]] = {}
    seen_at: dict[int, int] = {}
    aliases = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            nodes, chars = 1, 0
            for child in _children(node):  # a child not sized yet is its own ancestor: endless
                n, c = sizes.get(id(child), (MAX_EXPANDED_NODES + 1, MAX_EXPANDED_CHARS + 1))
                nodes, chars = nodes + n, chars + c
            sizes[key] = (min(nodes, MAX_EXPANDED_NODES + 1), min(chars, MAX_EXPANDED_CHARS + 1))
            continue
        if key in seen_at:
            aliases += 1
            if aliases > MAX_ALIASES:
                raise ScriptError([f"{name}:{node.start_mark.line + 1}: more than {MAX_ALIASES:,} aliases (*name) — "
                                   "write the values out, or use fewer anchors"])
            continue
        seen_at[key] = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = (1, len(node.value))
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))
    nodes, chars = sizes[id(root)]
    if nodes > MAX_EXPANDED_NODES or chars > MAX_EXPANDED_CHARS:
        what = f"{MAX_EXPANDED_NODES:,} values" if nodes > MAX_EXPANDED_NODES else f"{MAX_EXPANDED_CHARS:,} characters"
        raise ScriptError([f"{name}: its aliases (*name) expand to more than {what} — that is not a call script; "
                           "write the values out, or use fewer anchors"])


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [item for pair in node.value for item in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


_LONG_QUOTED = re.compile(r"'([^'\n]{60})[^'\n]{4,}'")


def _shorten(problem: str) -> str:
    """Never echo a huge value back: quoted values over 60 characters are cut, lines capped at 300."""
    problem = _LONG_QUOTED.sub(lambda m: f"'{m.group(1)}...'", problem)
    return problem if len(problem) <= 300 else problem[:297] + "..."


def _line_number(problem: str) -> int:
    m = re.match(r"[^:]*:(\d+):", problem)
    return int(m.group(1)) if m else 0


def _yaml_problem(exc: yaml.MarkedYAMLError, name: str) -> str:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 1
    problem = exc.problem or exc.context or "syntax error"
    if "constructor for the tag" in problem or "could not determine a constructor" in str(exc):
        tag = re.search(r"'([^']*)'", problem)
        shown = tag.group(1).replace("tag:yaml.org,2002:", "!!") if tag else "a tag"
        return f"{name}:{line}: tag {shown} is not allowed — scripts.yaml holds plain text and numbers only; remove the tag"
    if "another document" in problem:
        return f"{name}:{line}: a second YAML document starts here (---) — keep everything in one document"
    return f"{name}:{line}: YAML syntax error: {problem} — check the indentation and quoting on that line"


_UNORDERED_TAGS = {"tag:yaml.org,2002:set", "tag:yaml.org,2002:omap", "tag:yaml.org,2002:pairs"}


def _walk(node: yaml.Node, path: tuple, lines: dict, problems: list[str], name: str,
          visited: set[int] | None = None) -> None:
    """Record the line of every node by path; catch unsafe tags and duplicate keys."""
    lines[path] = node.start_mark.line + 1
    visited = set() if visited is None else visited
    if id(node) in visited:  # an alias (*name) of a node already walked: never expand it again
        return
    visited.add(id(node))
    if node.tag in _UNORDERED_TAGS:
        problems.append(f"{name}:{node.start_mark.line + 1}: tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not "
                        "allowed — write a plain list like [en, es] or a plain mapping")
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue  # a list or mapping used as a key: the constructor reports it
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(
                    f"{name}:{line}: key '{key}' appears twice in this block (first on line {seen[key]}) — keep one"
                )
            seen[key] = line
            lines[path + (key,)] = line
            _walk(value_node, path + (key,), lines, problems, name, visited)
            lines[path + (key,)] = line
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), lines, problems, name, visited)


_MSGSPEC_PATH = re.compile(r"\.(\w+)|\[(\d+)\]|\[\.\.\.\]")


def _parse_path(where: str) -> tuple:
    out: list[Any] = []
    for m in _MSGSPEC_PATH.finditer(where):
        if m.group(1) is not None:
            out.append(m.group(1))
        elif m.group(2) is not None:
            out.append(int(m.group(2)))
    return tuple(out)


_KINDS = {"str": "text", "int": "a whole number", "float": "a number", "bool": "true/false",
          "object": "a block of key: value lines", "array": "a list", "null": "nothing", "date": "a date"}


def _kind(m: re.Match) -> str:
    return _KINDS.get(m.group(1), m.group(1))


def _describe(message: str, base: tuple, lines: dict, name: str, value: Any) -> str:
    """Turn a msgspec ValidationError message into one scripts.yaml problem line."""
    key_error = re.search(r" - at `key` in `\$(.*)`$", message)
    if key_error:  # a mapping key of the wrong type, e.g. branches: {yes: ...} read as true
        text, where = message[: key_error.start()], key_error.group(1)
    else:
        text, _, where = message.partition(" - at `$")
    rel = _parse_path(where.rstrip("`")) if where else ()
    path = base + rel
    m = re.match(r"Object contains unknown field `(\w+)`", text)
    if m:
        field = m.group(1)
        path = path + (field,)
        line = line_at(lines, path)
        return f"{name}:{line}: unknown key '{field}' in {path_label(path[:-1])} — remove it or fix its spelling"
    m = re.match(r"Object missing required field `(\w+)`", text)
    if m:
        line = line_at(lines, path)
        return f"{name}:{line}: {path_label(path)} is missing '{m.group(1)}' — add it"
    line = line_at(lines, path)
    got = _value_at(value, rel)
    if key_error and "got `bool`" in text:
        return (f"{name}:{line}: a key in {path_label(path)} was read as true/false — YAML reads yes/no/on/off "
                'as true/false: put the key in quotes, e.g. "yes": ...')
    if isinstance(got, bool):
        return (f"{name}:{line}: {path_label(path)} was read as {str(got).lower()} — YAML reads yes/no/on/off as "
                'true/false: put the value in quotes, e.g. "yes"')
    if text.startswith("Invalid enum value"):
        return f"{name}:{line}: effect '{got}' does not exist — use one of: {', '.join(EFFECTS)}"
    if path[:2] == ("calling", "hours") and len(path) == 3 and type(got) is int:
        hours, minutes = divmod(got, 60)
        return (f"{name}:{line}: calling hours {path[2]} {hours}:{minutes:02d} was read as the number {got} "
                f'(YAML reads unquoted times as minutes) — put the time in quotes: {path[2]}: "{hours:02d}:{minutes:02d}"')
    if "date" in text:
        return f"{name}:{line}: {path_label(path)} '{got}' is not a date — write the date as YYYY-MM-DD, e.g. 2017-04-04"
    text = re.sub(r"`(\w+)`", _kind, text[:1].lower() + text[1:])
    hint = "fix the value"
    if "expected a block of key: value lines, got text" in text:
        hint = "give one text per language on its own line under it, e.g. en: ... and es: ..."
    return f"{name}:{line}: {path_label(path)}: {text} — {hint}"


def _value_at(value: Any, rel: tuple) -> Any:
    for key in rel:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _convert(data: dict, lines: dict, name: str) -> tuple[Script | None, list[str]]:
    """Convert to the schema, collecting one problem per item rather than stopping at the first."""
    if "lines" not in data:
        try:
            return msgspec.convert(data, Script), []
        except msgspec.ValidationError:
            pass
    problems: list[str] = []
    fields = {f.name: f for f in msgspec.structs.fields(Script) if f.name != "lines"}
    for key in data:
        if key not in fields:
            problems.append(
                f"{name}:{line_at(lines, (key,))}: unknown key '{key}' at the top level — remove it or fix its "
                f"spelling (allowed: {', '.join(fields)})"
            )
    for fname, field in fields.items():
        if fname not in data:
            if field.required:
                problems.append(f"{name}:1: the top level is missing '{fname}' — add a '{fname}:' block")
            continue
        value = data[fname]
        item_type = _list_item_type(field.type)
        if item_type is not None and isinstance(value, list):
            for i, item in enumerate(value):
                try:
                    msgspec.convert(item, item_type)
                except msgspec.ValidationError as exc:
                    problems.append(_describe(str(exc), (fname, i), lines, name, item))
        else:
            try:
                msgspec.convert(value, field.type)
            except msgspec.ValidationError as exc:
                problems.append(_describe(str(exc), (fname,), lines, name, value))
    if not problems:  # should not happen, but never hide the original error
        try:
            msgspec.convert(data, Script)
        except msgspec.ValidationError as exc:
            problems.append(_describe(str(exc), (), lines, name, data))
    return None, problems


def _list_item_type(tp: Any) -> Any:
    origin = getattr(tp, "__origin__", None)
    if origin is list:
        return tp.__args__[0]
    return None


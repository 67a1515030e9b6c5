"""Load and validate ``scripts.yaml``: the campaign, elections, call script, survey and response codes.

The file is parsed with PyYAML's safe loader only (no tags that build Python objects), checked against
the msgspec schema below (unknown keys rejected), then checked for meaning: duplicate ids, branches to
missing sections, unknown variables, dates. Every problem is one line
``scripts.yaml:LINE: what is wrong — how to fix it``, and all of them are reported at once.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Literal

import msgspec
import yaml
import yaml.reader

from .errors import ScriptError
from .hours import parse_hhmm

Localized = dict[str, str]
EFFECTS = ("final", "final_for_number", "retry", "callback", "do_not_call")
Effect = Literal["final", "final_for_number", "retry", "callback", "do_not_call"]
RESERVED_CODES = {"undo"}
MAX_HOURS = 8760  # a year: a longer retry delay is a typo
VOTER_FIELDS = ("first_name", "last_name", "city", "zip", "state", "language", "age", "party")
VOLUNTEER_FIELDS = ("first_name", "last_name")
CAMPAIGN_VARS = ("candidate", "campaign_name", "district", "website", "contact_email", "volunteer_signup")
ELECTION_FIELDS = ("name", "date", "weekday", "countdown")
_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
VAR_RE = re.compile(r"\{([^{}]*)\}")
EARLIEST_CALL, LATEST_CALL = "08:00", "21:00"  # the window calling.hours must fit in, in the voter's time
MAX_LAST_CALL_MINUTES = 120


class _Base(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class Campaign(_Base, kw_only=True, forbid_unknown_fields=True):
    name: str
    candidate: str
    district: str
    website: str
    contact_email: str
    volunteer_signup: str
    time_zone: str = "America/Los_Angeles"
    languages: list[str] = msgspec.field(default_factory=lambda: ["en"])


class Hours(_Base, kw_only=True, forbid_unknown_fields=True):
    start: str = "09:00"
    end: str = "21:00"
    # no new voter is handed out when the window closes within this many minutes in the voter's time
    last_call_minutes: int = 10


class Retry(_Base, kw_only=True, forbid_unknown_fields=True):
    after_hours: float = 24
    max_attempts: int = 3


class Calling(_Base, kw_only=True, forbid_unknown_fields=True):
    hours: Hours = msgspec.field(default_factory=Hours)
    retry: Retry = msgspec.field(default_factory=Retry)
    claim_minutes: int = 30


class Election(_Base, kw_only=True, forbid_unknown_fields=True):
    id: str
    date: dt.date
    name: Localized
    ours: bool = True
    reminder: Localized | None = None


class Answer(_Base, kw_only=True, forbid_unknown_fields=True):
    id: str
    label: Localized
    van_response: str | None = None
    pdi_flag: str | None = None


class Question(_Base, kw_only=True, forbid_unknown_fields=True):
    id: str
    text: Localized
    answers: list[Answer]
    van_question: str | None = None
    pdi_question: str | None = None

    def answer(self, answer_id: str) -> Answer | None:
        return next((a for a in self.answers if a.id == answer_id), None)


class Section(_Base, kw_only=True, forbid_unknown_fields=True):
    id: str
    text: Localized
    title: Localized | None = None
    ask: str | None = None
    branches: dict[str, str] | None = None
    next: str | None = None


class Code(_Base, kw_only=True, forbid_unknown_fields=True):
    id: str
    label: Localized
    effect: Effect
    contact: bool = False
    support: int | None = None
    after_hours: float | None = None
    max_attempts: int | None = None
    route_language: str | None = None
    van_result: str | None = None
    pdi_flag: str | None = None


class Export(_Base, kw_only=True, forbid_unknown_fields=True):
    van_support_question: str | None = None
    van_contact_type: str = "Phone"
    pdi_support_question: str | None = None
    pdi_acquisition_type: str = "Volunteer Phone Bank"


class Script(_Base, kw_only=True, forbid_unknown_fields=True, dict=True):
    version: int
    campaign: Campaign
    calling: Calling = msgspec.field(default_factory=Calling)
    elections: list[Election] = msgspec.field(default_factory=list)
    questions: list[Question] = msgspec.field(default_factory=list)
    sections: list[Section]
    codes: list[Code]
    export: Export = msgspec.field(default_factory=Export)
    # filled in by load_script, not read from the file
    lines: dict = msgspec.field(default_factory=dict)

    # -- look-ups -------------------------------------------------------------------------------
    def code(self, code_id: str) -> Code | None:
        index = self.__dict__.get("_code_index")
        if index is None:  # built once: the queue and the reports look codes up for every row
            index = self.__dict__["_code_index"] = {}
            for c in self.codes:
                index.setdefault(c.id, c)
        return index.get(code_id)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def election(self, election_id: str) -> Election | None:
        return next((e for e in self.elections if e.id == election_id), None)

    @property
    def contact_codes(self) -> list[Code]:
        return [c for c in self.codes if c.contact]

    @property
    def other_codes(self) -> list[Code]:
        return [c for c in self.codes if not c.contact]

    def retry_after_hours(self, code: Code) -> float:
        return self.calling.retry.after_hours if code.after_hours is None else code.after_hours

    def max_attempts(self, code: Code) -> int:
        return self.calling.retry.max_attempts if code.max_attempts is None else code.max_attempts

    def line_of(self, *path: Any) -> int | None:
        """Line in scripts.yaml of the node at ``path`` (e.g. ``("codes", 3)``), if known."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)

    def next_section(self, section: Section, answer: str | None = None) -> Section | None:
        """The section that follows ``section``, given the answer to its question (if any)."""
        if section.branches and answer is not None and answer in section.branches:
            target = section.branches[answer]
        elif section.next:
            target = section.next
        else:
            idx = self.sections.index(section)
            return self.sections[idx + 1] if idx + 1 < len(self.sections) else None
        return None if target == "end" else self.section(target)


# -- loading --------------------------------------------------------------------------------------
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader, except that dates stay text: the schema parses them and reports bad ones
    with their line (PyYAML would raise a bare ValueError for 2017-02-30)."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_str)


def load_script(path: Path) -> Script:
    """Read, parse and validate ``path``. Raises ScriptError listing every problem."""
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ScriptError([f"{name}: file not found — create it with `phonebank init` or restore it"]) from None
    except UnicodeDecodeError as exc:
        raise ScriptError([f"{name}: not UTF-8 text ({exc.reason}) — save the file as UTF-8"]) from None
    except OSError as exc:
        raise ScriptError([f"{name}: cannot read ({exc.strerror}) — check the path and permissions"]) from None
    return parse_script(text, name)


def parse_script(text: str, name: str = "scripts.yaml") -> Script:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScriptError([f"{name}:1: the file is empty — start from `phonebank init` or the sample scripts.yaml"])
        lines: dict[tuple, int] = {}
        problems: list[str] = []
        _walk(node, (), lines, problems, name)
        if problems:
            raise ScriptError(problems)
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
        problems += _check_meaning(script, data, lines, name, text.splitlines())
    if problems:
        raise ScriptError([_shorten(p) for p in sorted(problems, key=_line_number)])  # file order
    return script


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
        line = _line(lines, path)
        return f"{name}:{line}: unknown key '{field}' in {_label(path[:-1])} — remove it or fix its spelling"
    m = re.match(r"Object missing required field `(\w+)`", text)
    if m:
        line = _line(lines, path)
        return f"{name}:{line}: {_label(path)} is missing '{m.group(1)}' — add it"
    line = _line(lines, path)
    got = _value_at(value, rel)
    if key_error and "got `bool`" in text:
        return (f"{name}:{line}: a key in {_label(path)} was read as true/false — YAML reads yes/no/on/off "
                'as true/false: put the key in quotes, e.g. "yes": ...')
    if isinstance(got, bool):
        return (f"{name}:{line}: {_label(path)} was read as {str(got).lower()} — YAML reads yes/no/on/off as "
                'true/false: put the value in quotes, e.g. "yes"')
    if text.startswith("Invalid enum value"):
        return f"{name}:{line}: effect '{got}' does not exist — use one of: {', '.join(EFFECTS)}"
    if path[:2] == ("calling", "hours") and len(path) == 3 and type(got) is int:
        hours, minutes = divmod(got, 60)
        return (f"{name}:{line}: calling hours {path[2]} {hours}:{minutes:02d} was read as the number {got} "
                f'(YAML reads unquoted times as minutes) — put the time in quotes: {path[2]}: "{hours:02d}:{minutes:02d}"')
    if "date" in text:
        return f"{name}:{line}: {_label(path)} '{got}' is not a date — write the date as YYYY-MM-DD, e.g. 2017-04-04"
    text = re.sub(r"`(\w+)`", _kind, text[:1].lower() + text[1:])
    hint = "fix the value"
    if "expected a block of key: value lines, got text" in text:
        hint = "give one text per language on its own line under it, e.g. en: ... and es: ..."
    return f"{name}:{line}: {_label(path)}: {text} — {hint}"


def _value_at(value: Any, rel: tuple) -> Any:
    for key in rel:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _label(path: tuple) -> str:
    if not path:
        return "the top level"
    parts = []
    for p in path:
        parts.append(f"[{p + 1}]" if isinstance(p, int) else ("." if parts else "") + str(p))
    return "".join(parts).replace(".[", "[")


def _line(lines: dict, path: tuple) -> int:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


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
                f"{name}:{_line(lines, (key,))}: unknown key '{key}' at the top level — remove it or fix its "
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


def _check_meaning(s: Script, data: dict, lines: dict, name: str, source: list[str] | None = None) -> list[str]:
    """Checks the schema cannot express: ids, references, variables, times, languages."""
    problems: list[str] = []

    def at(*path: Any) -> str:
        return f"{name}:{_line(lines, path)}"

    if s.version != 1:
        problems.append(f"{at('version')}: version {s.version} is not supported — use version: 1")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(s.campaign.time_zone)
    except Exception:
        problems.append(
            f"{at('campaign', 'time_zone')}: unknown time zone '{s.campaign.time_zone}' — use an IANA name such as America/Los_Angeles"
        )
    langs = s.campaign.languages or ["en"]
    for i, lang in enumerate(langs):
        if not re.fullmatch(r"[a-z]{2}", str(lang)):
            problems.append(f"{at('campaign', 'languages', i)}: language '{lang}' is not a two-letter code — use e.g. en, es")

    problems += _check_hours(s.calling.hours, data, at)
    if not 1 <= s.calling.retry.max_attempts <= 100:
        problems.append(f"{at('calling', 'retry', 'max_attempts')}: max_attempts must be between 1 and 100 — fix the number")
    if not 0 <= s.calling.retry.after_hours <= MAX_HOURS:  # also false for NaN
        problems.append(f"{at('calling', 'retry', 'after_hours')}: after_hours must be a number of hours from 0 to {MAX_HOURS} — fix the number")
    if not 1 <= s.calling.claim_minutes <= 24 * 60:
        problems.append(f"{at('calling', 'claim_minutes')}: claim_minutes must be between 1 and 1440 — fix the number")

    def check_ids(items: list, key: str, what: str) -> set[str]:
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            if not _ID_RE.match(item.id):
                problems.append(
                    f"{at(key, i, 'id')}: {what} id '{item.id}' is not valid — use lower-case letters, digits and _ (e.g. not_home)"
                )
            if item.id in seen:
                problems.append(
                    f"{at(key, i, 'id')}: duplicate {what} id '{item.id}' (also item {seen[item.id] + 1}) — give each {what} its own id"
                )
            seen.setdefault(item.id, i)
        return set(seen)

    election_ids = check_ids(s.elections, "elections", "election")
    question_ids = check_ids(s.questions, "questions", "question")
    section_ids = check_ids(s.sections, "sections", "section")
    code_ids = check_ids(s.codes, "codes", "code")
    for i, c in enumerate(s.codes):
        if c.id in RESERVED_CODES:
            problems.append(f"{at('codes', i, 'id')}: code id '{c.id}' is reserved for correcting rows — pick another id")
        if c.support is not None and not 1 <= c.support <= 5:
            problems.append(f"{at('codes', i, 'support')}: support {c.support} is outside the 1–5 scale — use 1 (strong support) to 5 (strong oppose)")
        if c.contact and c.support is None:
            problems.append(f"{at('codes', i)}: contact code '{c.id}' has no support level — add support: 1..5")
        if c.effect != "retry" and (c.after_hours is not None or c.max_attempts is not None):
            problems.append(f"{at('codes', i)}: code '{c.id}' sets after_hours/max_attempts but its effect is {c.effect} — use effect: retry or remove them")
        if c.max_attempts is not None and not 1 <= c.max_attempts <= 100:
            problems.append(f"{at('codes', i, 'max_attempts')}: max_attempts must be between 1 and 100 — fix the number")
        if c.after_hours is not None and not 0 <= c.after_hours <= MAX_HOURS:  # also false for NaN
            problems.append(f"{at('codes', i, 'after_hours')}: after_hours must be a number of hours from 0 to {MAX_HOURS} — fix the number")
        if c.route_language is not None and c.route_language not in langs:
            problems.append(f"{at('codes', i, 'route_language')}: route_language '{c.route_language}' is not in campaign.languages — add it there or fix it")
    if not s.contact_codes:
        problems.append(f"{at('codes')}: no contact codes — add at least one code with contact: true (e.g. supporter)")
    del code_ids

    for i, q in enumerate(s.questions):
        check_ids_answers = {}
        for j, a in enumerate(q.answers):
            if not _ID_RE.match(a.id):
                problems.append(f"{at('questions', i, 'answers', j, 'id')}: answer id '{a.id}' is not valid — use lower-case letters, digits and _")
            if a.id in check_ids_answers:
                problems.append(f"{at('questions', i, 'answers', j, 'id')}: duplicate answer id '{a.id}' in question '{q.id}' — give each answer its own id")
            check_ids_answers[a.id] = j
        if not q.answers:
            problems.append(f"{at('questions', i)}: question '{q.id}' has no answers — add at least two")

    for i, sec in enumerate(s.sections):
        if sec.ask is not None and sec.ask not in question_ids:
            problems.append(f"{at('sections', i, 'ask')}: section '{sec.id}' asks question '{sec.ask}', which does not exist — add it under questions: or fix the id")
        if sec.next is not None and sec.next != "end" and sec.next not in section_ids:
            problems.append(f"{at('sections', i, 'next')}: section '{sec.id}' goes next to '{sec.next}', which does not exist — use an existing section id or end")
        if sec.branches:
            question = s.question(sec.ask) if sec.ask else None
            if sec.ask is None:
                problems.append(f"{at('sections', i, 'branches')}: section '{sec.id}' branches but asks no question — add ask: QUESTION_ID")
            for answer, target in sec.branches.items():
                if target != "end" and target not in section_ids:
                    problems.append(
                        f"{at('sections', i, 'branches', answer)}: branch '{answer}' of section '{sec.id}' goes to section '{target}', which does not exist — use an existing section id or end"
                    )
                if question is not None and question.answer(answer) is None:
                    problems.append(
                        f"{at('sections', i, 'branches', answer)}: branch '{answer}' is not an answer of question '{question.id}' — use one of: {', '.join(a.id for a in question.answers)}"
                    )

    # languages and variables in every text
    def check_text(loc: Localized | None, path: tuple, required: bool = True) -> None:
        if loc is None:
            return
        for lang in langs:
            if required and lang not in loc:
                problems.append(f"{at(*path)}: {_label(path)} has no '{lang}' version — add a line '{lang}: ...' under it")
        for lang, text in loc.items():
            if lang not in langs:
                problems.append(f"{at(*path, lang)}: language '{lang}' is not in campaign.languages ({', '.join(langs)}) — add it there or remove this text")
                continue
            for var in VAR_RE.findall(text):
                reason = _bad_variable(var, election_ids)
                if reason:
                    line = _line_with(source or [], _line(lines, (*path, lang)), "{" + var + "}")
                    problems.append(f"{name}:{line}: unknown variable {{{var}}} — {reason}")

    for i, e in enumerate(s.elections):
        check_text(e.name, ("elections", i, "name"))
        check_text(e.reminder, ("elections", i, "reminder"))
    for i, q in enumerate(s.questions):
        check_text(q.text, ("questions", i, "text"))
        for j, a in enumerate(q.answers):
            check_text(a.label, ("questions", i, "answers", j, "label"))
    for i, sec in enumerate(s.sections):
        check_text(sec.text, ("sections", i, "text"))
        check_text(sec.title, ("sections", i, "title"))
    for i, c in enumerate(s.codes):
        check_text(c.label, ("codes", i, "label"))
    return problems


_RULES = "federal and most state rules allow calls 08:00–21:00 in the voter's time"
_FIX_OUTSIDE = {  # (key, too early?) -> how to fix
    ("start", True): f"set start to {EARLIEST_CALL} or later",
    ("start", False): f'set start between {EARLIEST_CALL} and the end, e.g. start: "09:00"',
    ("end", True): f'set end between the start and {LATEST_CALL}, e.g. end: "{LATEST_CALL}"',
    ("end", False): f"set end to {LATEST_CALL} or earlier",
}


def _check_hours(h: Hours, data: dict, at: Any) -> list[str]:
    """calling.hours: two HH:MM times inside 08:00–21:00, start before end, and last_call_minutes 0–120
    leaving some of the window to hand out voters in."""
    problems: list[str] = []
    calling = data.get("calling")
    given = calling.get("hours") if isinstance(calling, dict) else None
    given = given if isinstance(given, dict) else {}
    earliest, latest = parse_hhmm(EARLIEST_CALL), parse_hhmm(LATEST_CALL)
    times: dict[str, dt.time] = {}
    for key in ("start", "end"):
        raw = getattr(h, key)
        where = at("calling", "hours", key)
        if str(raw).strip() == "24:00":  # was accepted as "until midnight"
            problems.append(f"{where}: calling hours {key} 24:00 is after {LATEST_CALL} — {_RULES}; {_FIX_OUTSIDE[key, False]}")
            continue
        try:
            t = times[key] = parse_hhmm(raw)
        except ValueError:
            value = given.get(key, raw)
            problems.append(f"{where}: calling hours {key} '{value}' is not a time — write it in quotes as HH:MM, e.g. \"09:00\"")
            continue
        if t < earliest:
            problems.append(f"{where}: calling hours {key} {t:%H:%M} is before {EARLIEST_CALL} — {_RULES}; {_FIX_OUTSIDE[key, True]}")
        elif t > latest:
            problems.append(f"{where}: calling hours {key} {t:%H:%M} is after {LATEST_CALL} — {_RULES}; {_FIX_OUTSIDE[key, False]}")
    start, end = times.get("start"), times.get("end")
    window_ok = not problems and start is not None and end is not None
    if window_ok and start >= end:
        window_ok = False
        problems.append(f"{at('calling', 'hours')}: calling hours start {start:%H:%M} is not before end {end:%H:%M} — fix the window")
    minutes = h.last_call_minutes
    where = at("calling", "hours", "last_call_minutes")
    if not 0 <= minutes <= MAX_LAST_CALL_MINUTES:
        problems.append(f"{where}: calling hours last_call_minutes {minutes} is not between 0 and {MAX_LAST_CALL_MINUTES} — "
                        "give the minutes before the window closes when no new voter is handed out, e.g. 10")
    elif window_ok:
        length = (end.hour - start.hour) * 60 + end.minute - start.minute
        if minutes >= length:
            default = "" if "last_call_minutes" in given else " (the default)"
            problems.append(f"{where}: calling hours last_call_minutes {minutes}{default} leaves no time to hand out voters "
                            f"in the {start:%H:%M}–{end:%H:%M} window — set last_call_minutes below {length} or widen the window")
    return problems


def _line_with(source: list[str], start: int, needle: str, within: int = 60) -> int:
    """The first line from ``start`` that contains ``needle`` (a text may span several lines)."""
    for number in range(start, min(start + within, len(source)) + 1):
        if needle in source[number - 1]:
            return number
    return start


def _bad_variable(var: str, election_ids: set[str]) -> str | None:
    """Why ``{var}`` cannot be filled, or None when it can."""
    parts = var.split(".")
    if parts[0] == "voter" and len(parts) == 2:
        if parts[1] in VOTER_FIELDS:
            return None
        return "voter fields are " + ", ".join(VOTER_FIELDS)
    if parts[0] == "volunteer" and len(parts) == 2:
        if parts[1] in VOLUNTEER_FIELDS:
            return None
        return "volunteer fields are " + ", ".join(VOLUNTEER_FIELDS)
    if parts[0] == "election" and len(parts) == 3:
        if parts[1] not in election_ids:
            return f"no election with id '{parts[1]}' — use one of: {', '.join(sorted(election_ids)) or '(none)'}"
        if parts[2] not in ELECTION_FIELDS:
            return "election fields are " + ", ".join(ELECTION_FIELDS)
        return None
    if len(parts) == 1 and var in CAMPAIGN_VARS:
        return None
    return "use {voter.FIELD}, {volunteer.FIELD}, {election.ID.FIELD} or one of " + ", ".join(
        "{" + v + "}" for v in CAMPAIGN_VARS
    )

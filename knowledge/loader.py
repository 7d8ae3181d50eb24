"""Load and validate the knowledge base's YAML files, naming file, line and field for every problem.

YAML is composed with PyYAML's SafeLoader (the parser behind `yaml.safe_load`) so that every
value keeps its line number; anything but plain YAML types is rejected, never constructed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from knowledge.model import KnowledgeBase, Location, Topic, WarningSign
from knowledge.text import tokens

DEFAULT_DIR = Path(__file__).parent / "data"
MAX_FILE_BYTES = 1_000_000

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_TOPIC_KINDS = ("condition", "mechanism", "overview")
_URGENCIES = ("urgent", "soon")
_REFUSED = object()  # a value whose tag was refused: already reported, not to be reported again

# field -> (type, required); "phrases" means a non-empty list of non-empty strings.
_SCHEMAS: dict[str, dict[str, tuple[str, bool]]] = {
    "topics": {
        "id": ("id", True), "kind": ("str", True), "title": ("str", True), "summary": ("str", True),
        "more": ("str", True), "phrases": ("phrases", True), "locations": ("ids", False),
        "cues": ("phrases", False), "not_when": ("phrases", False), "source": ("str", True),
    },
    "locations": {
        "id": ("id", True), "title": ("str", True), "phrases": ("phrases", True),
        "summary": ("str", True), "not_when": ("phrases", False), "source": ("str", True),
    },
    "warnings": {
        "id": ("id", True), "title": ("str", True), "phrases": ("phrases", True),
        "together": ("groups", False), "not_when": ("phrases", False), "advice": ("str", True), "urgency": ("str", True),
        "source": ("str", True),
    },
}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class KnowledgeError(Exception):
    """The knowledge base has problems; each one says where it is and what is wrong."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class _Entry:
    section: str
    values: dict[str, Any]
    lines: dict[str, int]
    file: str
    line: int


def load_knowledge(directory: Path | str | None = None) -> KnowledgeBase:
    """Read every *.yaml file in `directory` (default: the bundled knowledge) or raise KnowledgeError."""
    entries, problems = _read_directory(Path(directory) if directory else DEFAULT_DIR)
    problems += _check_entries(entries)
    if problems:
        raise KnowledgeError(problems)
    return _build(entries)


def check_knowledge(directory: Path | str | None = None) -> list[Problem]:
    """Every problem in the knowledge base; an empty list means it is clean."""
    try:
        load_knowledge(directory)
    except KnowledgeError as error:
        return error.problems
    return []


def _read_directory(directory: Path) -> tuple[list[_Entry], list[Problem]]:
    if not directory.is_dir():
        return [], [Problem(str(directory), 0, "-", "no such knowledge directory")]
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        return [], [Problem(str(directory), 0, "-", "no .yaml files in this directory")]
    entries: list[_Entry] = []
    problems: list[Problem] = []
    for path in files:
        file_entries, file_problems = _read_file(path)
        entries += file_entries
        problems += file_problems
    return entries, problems


def _read_file(path: Path) -> tuple[list[_Entry], list[Problem]]:
    name = path.name
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return [], [Problem(name, 0, "-", f"file is larger than {MAX_FILE_BYTES // 1_000_000} MB")]
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return [], [Problem(name, 0, "-", "file is not UTF-8 text")]
    except OSError as error:
        return [], [Problem(name, 0, "-", f"cannot read file ({error.strerror})")]
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        return [], [Problem(name, line, "-", f"not valid YAML ({getattr(error, 'problem', error)})")]
    if root is None:
        return [], [Problem(name, 1, "-", "file is empty")]
    if not isinstance(root, yaml.MappingNode):
        return [], [Problem(name, _line(root), "-", "expected a mapping with topics, locations or warnings")]
    problems: list[Problem] = []
    entries: list[_Entry] = []
    for key_node, value_node in root.value:
        section = key_node.value
        if section not in _SCHEMAS:
            problems.append(Problem(name, _line(key_node), str(section), f"unknown section; use one of {', '.join(_SCHEMAS)}"))
            continue
        if not isinstance(value_node, yaml.SequenceNode):
            problems.append(Problem(name, _line(value_node), section, "expected a list of entries"))
            continue
        for index, item in enumerate(value_node.value):
            where = f"{section}[{index}]"
            if not isinstance(item, yaml.MappingNode):
                problems.append(Problem(name, _line(item), where, "expected a mapping (key: value lines)"))
                continue
            values = _plain(item, name, where, problems)
            if isinstance(values, dict):
                lines = {str(k.value): _line(v) for k, v in item.value}
                entries.append(_Entry(section, values, lines, name, _line(item)))
    return entries, problems


def _plain(node: yaml.Node, file: str, where: str, problems: list[Problem]) -> Any:
    """Plain Python data from a node, refusing tags that would construct anything else."""
    if isinstance(node, yaml.ScalarNode):
        try:
            return yaml.SafeLoader("").construct_object(node)
        except yaml.YAMLError:
            problems.append(Problem(file, _line(node), where, f"tag {node.tag} is not allowed"))
            return _REFUSED
    if node.tag not in _PLAIN_TAGS:
        problems.append(Problem(file, _line(node), where, f"tag {node.tag} is not allowed"))
        return _REFUSED
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, file, where, problems) for item in node.value]
    return {_plain(k, file, where, problems): _plain(v, file, f"{where}.{k.value}", problems) for k, v in node.value}


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _check_entries(entries: list[_Entry]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, _Entry] = {}
    for entry in entries:
        problems += _check_fields(entry)
        entry_id = entry.values.get("id")
        if isinstance(entry_id, str):
            if entry_id in seen:
                first = seen[entry_id]
                problems.append(Problem(entry.file, entry.lines.get("id", entry.line), "id",
                                        f"duplicate id '{entry_id}' (first defined in {first.file}:{first.lines.get('id', first.line)})"))
            else:
                seen[entry_id] = entry
    location_ids = {e.values.get("id") for e in entries if e.section == "locations"}
    for entry in entries:
        refs = entry.values.get("locations") if entry.section == "topics" else None
        for ref in refs if isinstance(refs, list) else []:
            if isinstance(ref, str) and ref not in location_ids:
                problems.append(Problem(entry.file, entry.lines.get("locations", entry.line), "locations",
                                        f"'{ref}' is not the id of any location"))
    return problems


def _check_fields(entry: _Entry) -> list[Problem]:
    schema = _SCHEMAS[entry.section]
    entry_id = entry.values.get("id")
    label = f"{entry.section}[{entry_id}]" if isinstance(entry_id, str) else entry.section
    problems: list[Problem] = []

    def problem(field: str, message: str) -> None:
        problems.append(Problem(entry.file, entry.lines.get(field, entry.line), f"{label}.{field}", message))

    for field in entry.values:
        if field not in schema:
            problem(str(field), f"unknown field; allowed: {', '.join(schema)}")
    for field, (kind, required) in schema.items():
        if field not in entry.values:
            if required:
                problem(field, "missing required field")
            continue
        message = _type_problem(kind, entry.values[field])
        if message and not _refused(entry.values[field]):
            problem(field, message)
    if entry.section == "topics" and entry.values.get("kind") not in _TOPIC_KINDS:
        problem("kind", f"must be one of {', '.join(_TOPIC_KINDS)}")
    if entry.section == "warnings" and entry.values.get("urgency") not in _URGENCIES:
        problem("urgency", f"must be one of {', '.join(_URGENCIES)}")
    return problems


def _refused(value: Any) -> bool:
    return value is _REFUSED or isinstance(value, list) and any(_refused(v) for v in value)


def _type_problem(kind: str, value: Any) -> str | None:
    if kind == "id":
        return None if isinstance(value, str) and _ID.match(value) else "must be lower_case_with_underscores text"
    if kind == "str":
        return None if isinstance(value, str) and value.strip() else "must be non-empty text"
    if kind == "ids":
        return None if isinstance(value, list) and all(isinstance(v, str) for v in value) else "must be a list of ids"
    if kind == "phrases":
        return _phrases_problem(value)
    if not isinstance(value, list) or not value:
        return "must be a non-empty list of phrase lists"
    for group in value:
        message = _phrases_problem(group)
        if message:
            return message
    return None


def _phrases_problem(value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return "must be a non-empty list of phrases"
    for phrase in value:
        if not isinstance(phrase, str):
            return f"phrase {phrase!r} is not text"
        if not [t for t in tokens(phrase) if t != "|"]:
            return f"empty phrase {phrase!r}"
    return None


def _build(entries: list[_Entry]) -> KnowledgeBase:
    topics, locations, warnings = [], [], []
    for entry in entries:
        v = entry.values
        if entry.section == "topics":
            topics.append(Topic(v["id"], v["kind"], v["title"], v["summary"].strip(), v["more"].strip(),
                                tuple(v["phrases"]), tuple(v.get("locations") or ()), tuple(v.get("cues") or ()),
                                v["source"], tuple(v.get("not_when") or ())))
        elif entry.section == "locations":
            locations.append(Location(v["id"], v["title"], tuple(v["phrases"]), v["summary"].strip(), v["source"],
                                      tuple(v.get("not_when") or ())))
        else:
            warnings.append(WarningSign(v["id"], v["title"], tuple(v["phrases"]), v["advice"].strip(), v["urgency"],
                                        v["source"], tuple(tuple(g) for g in v.get("together") or ()),
                                        tuple(v.get("not_when") or ())))
    return KnowledgeBase(tuple(topics), tuple(locations), tuple(warnings))

"""Load and validate the knowledge base's YAML files, naming file, line and field for every problem.

YAML is composed with PyYAML's SafeLoader (the parser behind `yaml.safe_load`) so that every
value keeps its line number; anything but plain YAML types is rejected, never constructed.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from knowledge.model import KnowledgeBase
from knowledge.schema import REFUSED, build, check_entry, references, sections

DEFAULT_DIR = Path(__file__).parent / "data"
MAX_FILE_BYTES = 1_000_000

_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


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
    node: yaml.MappingNode
    file: str

    @property
    def line(self) -> int:
        return _line(self.node)

    def line_of(self, field: str) -> int:
        return next((_line(v) for k, v in self.node.value if k.value == field), self.line)


def load_knowledge(directory: Path | str | None = None) -> KnowledgeBase:
    """Read every *.yaml file in `directory` (default: the bundled knowledge) or raise KnowledgeError."""
    directory = Path(directory) if directory else DEFAULT_DIR
    entries, problems = _read_directory(directory)
    problems += _check_entries(entries, directory, complete=not problems)
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
    known = sections()
    for key_node, value_node in root.value:
        section = key_node.value
        if section not in known:
            problems.append(Problem(name, _line(key_node), str(section), f"unknown section; use one of {', '.join(known)}"))
            continue
        many = known[section].many
        items = value_node.value if many and isinstance(value_node, yaml.SequenceNode) else [value_node]
        if many and not isinstance(value_node, yaml.SequenceNode):
            problems.append(Problem(name, _line(value_node), section, "expected a list of entries"))
            continue
        for index, item in enumerate(items):
            where = f"{section}[{index}]" if many else section
            if not isinstance(item, yaml.MappingNode):
                problems.append(Problem(name, _line(item), where, "expected a mapping (key: value lines)"))
                continue
            values = _plain(item, name, where, problems)
            if isinstance(values, dict):
                entries.append(_Entry(section, values, item, name))
    return entries, problems


def _plain(node: yaml.Node, file: str, where: str, problems: list[Problem]) -> Any:
    """Plain Python data from a node, refusing tags that would construct anything else."""
    if isinstance(node, yaml.ScalarNode):
        try:
            return yaml.SafeLoader("").construct_object(node)
        except yaml.YAMLError:
            problems.append(Problem(file, _line(node), where, f"tag {node.tag} is not allowed"))
            return REFUSED
    if node.tag not in _PLAIN_TAGS:
        problems.append(Problem(file, _line(node), where, f"tag {node.tag} is not allowed"))
        return REFUSED
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, file, where, problems) for item in node.value]
    return {_plain(k, file, where, problems): _plain(v, file, f"{where}.{k.value}", problems) for k, v in node.value}


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _check_entries(entries: list[_Entry], directory: Path, complete: bool) -> list[Problem]:
    """Fields, unique ids, references, and (when every file could be read) the sections a pack needs."""
    problems: list[Problem] = []
    known = sections()
    seen: dict[str, _Entry] = {}
    singles: dict[str, _Entry] = {}
    for entry in entries:
        cls, many = known[entry.section].entry, known[entry.section].many
        entry_id = entry.values.get("id")
        label = f"{entry.section}[{entry_id}]" if many and isinstance(entry_id, str) else entry.section
        before = len(problems)
        check_entry(cls, entry.values, entry.node,
                    label, lambda line, field, message: problems.append(Problem(entry.file, line, field, message)))
        if len(problems) == before and hasattr(cls, "problems"):  # what the types cannot say
            problems += [Problem(entry.file, entry.line_of(field), f"{label}.{field}", message)
                         for field, message in build(cls, entry.values).problems()]
        if not many:
            if entry.section in singles:
                first = singles[entry.section]
                problems.append(Problem(entry.file, entry.line, entry.section,
                                        f"given twice (first in {first.file}:{first.line})"))
            singles.setdefault(entry.section, entry)
        elif isinstance(entry_id, str):
            if entry_id in seen:
                first = seen[entry_id]
                problems.append(Problem(entry.file, entry.line_of("id"), "id",
                                        f"duplicate id '{entry_id}' (first defined in {first.file}:{first.line_of('id')})"))
            else:
                seen[entry_id] = entry
    for section, spec in known.items():
        if complete and spec.required and section not in singles:
            problems.append(Problem(directory.name, 0, section,
                                    f"missing section; one file must say `{section}:` (see the bundled {section}.yaml)"))
    for entry in entries if complete else []:  # an unreadable file would leave references dangling
        for field, section, ref in references(known[entry.section].entry, entry.values):
            if ref not in {e.values.get("id") for e in entries if e.section == section}:
                problems.append(Problem(entry.file, entry.line_of(field), field,
                                        f"'{ref}' is not the id of any {section.rstrip('s')}"))
    return problems


def _build(entries: list[_Entry]) -> KnowledgeBase:
    values: dict[str, Any] = {}
    for section, spec in sections().items():
        built = [build(spec.entry, e.values) for e in entries if e.section == section]
        if spec.many or built:
            values[section] = tuple(built) if spec.many else built[0]
    return KnowledgeBase(**values)

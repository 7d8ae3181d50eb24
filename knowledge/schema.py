"""The pack's schema, read from the dataclasses in knowledge.model rather than written again.

Field names, required or optional (a field without a default is required) and types come from
the dataclasses' fields and type hints; ids, allowed values, references and placeholders from
their `rule(...)` metadata. Values are checked against that, then entries are built by keyword.
"""
from __future__ import annotations

import re
import typing
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields, is_dataclass
from functools import cache
from typing import Any

import yaml

from knowledge.model import KnowledgeBase
from knowledge.text import BREAK, tokens

_ID = re.compile(r"^[a-z][a-z0-9_]*$")

Report = Callable[[int, str, str], None]  # (line, field, message)


class Refused:
    """A value whose YAML tag was refused: already reported, never reported again."""


REFUSED = Refused()


@dataclass(frozen=True)
class Spec:
    """One field of an entry, as the dataclass declares it."""

    name: str
    hint: Any
    required: bool
    is_id: bool = False
    one_of: tuple[str, ...] = ()
    refers_to: str = ""
    contains: tuple[str, ...] = ()


@cache
def specs(cls: type) -> dict[str, Spec]:
    hints = typing.get_type_hints(cls)
    return {f.name: Spec(f.name, hints[f.name], f.default is MISSING and f.default_factory is MISSING,
                         **{k: v for k, v in f.metadata.items() if k in ("is_id", "one_of", "refers_to", "contains")})
            for f in fields(cls)}


@dataclass(frozen=True)
class Section:
    """A top-level key of the pack's files: a list of entries, or one mapping."""

    entry: type
    many: bool
    required: bool


def sections() -> dict[str, Section]:
    """The fields of KnowledgeBase, as sections."""
    return {spec.name: Section(_item(spec.hint), _item(spec.hint) is not spec.hint, spec.required and
                               _item(spec.hint) is spec.hint) for spec in specs(KnowledgeBase).values()}


def _item(hint: Any) -> Any:
    """`X` for `tuple[X, ...]`, else the hint itself."""
    args = typing.get_args(hint)
    return args[0] if typing.get_origin(hint) is tuple and len(args) == 2 and args[1] is Ellipsis else hint


def check_entry(cls: type, values: dict, node: yaml.MappingNode, label: str, report: Report) -> None:
    """Report every field of `values` (read from `node`) that does not fit `cls`."""
    schema = specs(cls)
    value_nodes = {str(key.value): value for key, value in node.value}
    for name in values:
        if name not in schema:
            report(_line(value_nodes.get(str(name), node)), f"{label}.{name}", f"unknown field; allowed: {', '.join(schema)}")
    for spec in schema.values():
        where = f"{label}.{spec.name}"
        if spec.name not in values:
            if spec.required:
                report(_line(node), where, "missing required field")
            continue
        value, value_node = values[spec.name], value_nodes[spec.name]
        if _refused(value):
            continue
        message = _problem(spec, value)
        if message:
            report(_line(value_node), where, message)
        elif is_dataclass(_item(spec.hint)):
            _check_nested(_item(spec.hint), value, value_node, where, report)


def _check_nested(cls: type, value: Any, node: yaml.Node, where: str, report: Report) -> None:
    items = zip(value, node.value) if isinstance(value, list) else [(value, node)]
    seen: set[str] = set()
    for number, (item, item_node) in enumerate(items):
        item_id = item.get("id") if isinstance(item, dict) else None
        label = f"{where}[{item_id if isinstance(item_id, str) else number}]" if isinstance(value, list) else where
        if isinstance(item_id, str):
            if item_id in seen:
                report(_line(item_node), f"{label}.id", f"duplicate id '{item_id}'")
            seen.add(item_id)
        check_entry(cls, item, item_node, label, report)


def _problem(spec: Spec, value: Any) -> str | None:
    hint, item = spec.hint, _item(spec.hint)
    if hint is str:
        return _text_problem(spec, value)
    if hint is bool:
        return None if isinstance(value, bool) else "must be true or false"
    if hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
        return None if ok else "must be a positive number"
    if typing.get_origin(hint) is dict:
        if typing.get_args(hint)[1] is str:
            ok = isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                                 for k, v in value.items())
            return None if ok else "must be a mapping of text to text"
        ok = isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, list) and v
                                             and all(isinstance(t, str) for t in v) for k, v in value.items())
        return None if ok else "must be a mapping of names to non-empty lists of text"
    if is_dataclass(item):
        if item is hint:
            return None if isinstance(value, dict) else "expected a mapping (key: value lines)"
        return None if isinstance(value, list) and value and all(isinstance(v, dict) for v in value) \
            else "must be a non-empty list of entries (key: value lines)"
    if item is str and spec.refers_to:
        return None if isinstance(value, list) and all(isinstance(v, str) for v in value) else "must be a list of ids"
    if item is str:
        return _phrases_problem(value) or next((f"{phrase!r} must contain {', '.join(missing)}" for phrase in value
                                                if (missing := [p for p in spec.contains if p not in phrase])), None)
    if not isinstance(value, list) or not value:
        return "must be a non-empty list of phrase lists"
    return next(filter(None, map(_phrases_problem, value)), None)


def _text_problem(spec: Spec, value: Any) -> str | None:
    if spec.is_id:
        return None if isinstance(value, str) and _ID.match(value) else "must be lower_case_with_underscores text"
    if not isinstance(value, str) or not value.strip():
        return "must be non-empty text"
    if spec.one_of and value not in spec.one_of:
        return f"must be one of {', '.join(spec.one_of)}"
    missing = [p for p in spec.contains if p not in value]
    return f"must contain {', '.join(missing)}" if missing else None


def _phrases_problem(value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return "must be a non-empty list of phrases"
    for phrase in value:
        if not isinstance(phrase, str):
            return f"phrase {phrase!r} is not text"
        if not [t for t in tokens(phrase) if t != BREAK]:
            return f"empty phrase {phrase!r}"
    return None


def references(cls: type, values: dict) -> list[tuple[str, str, str]]:
    """(field, section, id) for every id `values` gives that must name an entry of another section."""
    found = []
    for spec in specs(cls).values():
        value = values.get(spec.name)
        if spec.refers_to:
            for ref in value if isinstance(value, list) else [value]:
                if isinstance(ref, str):
                    found.append((spec.name, spec.refers_to, ref))
    return found


def build(cls: type, values: dict) -> Any:
    """An entry of `cls` from checked values, by keyword."""
    return cls(**{name: _convert(spec.hint, values[name]) for name, spec in specs(cls).items() if name in values})


def _convert(hint: Any, value: Any) -> Any:
    item = _item(hint)
    if hint is str:
        return value.strip()
    if hint is bool:
        return value
    if hint is float:
        return float(value)
    if typing.get_origin(hint) is dict:
        return {str(k): v.strip() if isinstance(v, str) else tuple(v) for k, v in value.items()}
    if is_dataclass(item):
        return build(item, value) if item is hint else tuple(build(item, v) for v in value)
    if item is str:
        return tuple(value)
    return tuple(tuple(group) for group in value)


def _refused(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_refused(v) for v in value.values())
    return value is REFUSED or isinstance(value, list) and any(_refused(v) for v in value)


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1

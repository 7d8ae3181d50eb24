"""The assistant's own sentences (not knowledge), loaded once from prompts.yaml into typed values.

Keeping them as data in one file means wording is reviewed and changed in one place, and a test
can check that no sentence names what the current input mode cannot do (a microphone to a
keyboard user, a voice when speech is off).
"""
from __future__ import annotations

import string
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from voice.errors import VoiceError

PROMPTS_FILE = Path(__file__).with_name("prompts.yaml")
_PLACEHOLDERS = {"example", "text", "words", "places", "signs", "question", "place"}
_LISTS = ("help", "not_sure_answers", "place_answers")  # keys that hold a list of sentences


@dataclass(frozen=True)
class ByMode:
    """Re-prompts after silences in a row, worded for speech or for a keyboard."""

    spoken: tuple[tuple[str, ...], ...]
    typed: tuple[tuple[str, ...], ...]

    def get(self, typed: bool) -> tuple[tuple[str, ...], ...]:
        return self.typed if typed else self.spoken


@dataclass(frozen=True)
class VoiceWords:
    """What a voice command says when it changes the voice, is at its limit, or speech is off."""

    muted: str
    changed: str = ""
    at_limit: str = ""


@dataclass(frozen=True)
class Prompts:
    help: tuple[str, ...]
    describe_prompts: ByMode
    after_answer_prompts: ByMode
    yes_no_prompts: ByMode
    read_back: str
    confirm_sign: str
    say_again: str
    not_sure: str
    not_caught: str
    not_caught_again: str
    finish_question: str
    more_question: str
    stray_yes: str
    stray_no: str
    polite: str
    hello: str
    guided_where: str
    place_check: str
    where_again: str
    no_place: str
    not_sure_answers: tuple[str, ...]
    place_answers: tuple[str, ...]
    place_reading: str
    sign_reading: str
    safety_unclear: str
    which_sign: str
    safety_no: str
    anything_else: str
    more_first: str
    more_none: str
    start_again: str
    wait: str
    goodbye: str
    voice: dict[str, VoiceWords]
    or_word: str

    def spoken_list(self, items: list[str] | tuple[str, ...]) -> str:
        """'a, b, or c' (or just 'a'); items that hold commas themselves are kept apart with semicolons."""
        items = list(items)
        if len(items) < 2:
            return "".join(items)
        between = "; " if any("," in item for item in items) else ", "
        return f"{between.join(items[:-1])}{between}{self.or_word} {items[-1]}"


@cache
def load_prompts(path: Path = PROMPTS_FILE) -> Prompts:
    """Read and check the prompts file; a problem names the key."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise VoiceError(f"cannot read the assistant's prompts {path}: {error}") from None
    if not isinstance(raw, dict):
        raise VoiceError(f"{path}: expected a mapping of prompt names to sentences")
    names = {f.name for f in fields(Prompts)}
    if set(raw) != names:
        problems = [f"missing {k}" for k in sorted(names - set(raw))] + [f"unknown {k}" for k in sorted(set(raw) - names)]
        raise VoiceError(f"{path}: {', '.join(problems)}")
    for key, value in raw.items():
        _check_placeholders(path, key, value)
    values: dict[str, Any] = dict(raw)
    for key in _LISTS:
        values[key] = _sentences(path, key, raw[key])
    if not all("{place}" in answer for answer in values["place_answers"]):
        raise VoiceError(f"{path}: place_answers: every answer needs {{place}}")
    for key in ("describe_prompts", "after_answer_prompts", "yes_no_prompts"):
        modes = raw[key]
        if not isinstance(modes, dict) or set(modes) != {"spoken", "typed"}:
            raise VoiceError(f"{path}: {key}: expected 'spoken' and 'typed' lists")
        values[key] = ByMode(_steps(path, f"{key}.spoken", modes["spoken"]), _steps(path, f"{key}.typed", modes["typed"]))
    if not isinstance(raw["voice"], dict):
        raise VoiceError(f"{path}: voice: expected a mapping of commands")
    try:
        values["voice"] = {name: VoiceWords(**words) for name, words in raw["voice"].items()}
    except TypeError as error:
        raise VoiceError(f"{path}: voice: {error}") from None
    for key in names - {*_LISTS, "yes_no_prompts", "describe_prompts", "after_answer_prompts", "voice"}:
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise VoiceError(f"{path}: {key}: expected one sentence")
    return Prompts(**values)


def _sentences(path: Path, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(s, str) and s.strip() for s in value):
        raise VoiceError(f"{path}: {key}: expected a list of sentences")
    return tuple(value)


def _steps(path: Path, key: str, value: object) -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, list) or not value:
        raise VoiceError(f"{path}: {key}: expected a list of prompts")
    return tuple(_sentences(path, f"{key}[{n}]", step) for n, step in enumerate(value))


def _check_placeholders(path: Path, key: str, value: object) -> None:
    if isinstance(value, dict):
        for name, inner in value.items():
            _check_placeholders(path, f"{key}.{name}", inner)
    elif isinstance(value, list):
        for inner in value:
            _check_placeholders(path, key, inner)
    elif isinstance(value, str):
        used = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        if used - _PLACEHOLDERS:
            raise VoiceError(f"{path}: {key}: unknown placeholder {', '.join(sorted(used - _PLACEHOLDERS))}")

"""Score the matcher on evaluation cases (format: shared/eval/FORMAT.md).

Audio cases are scored through a `transcribe` callable the caller supplies, so this module
stays free of audio and engines. When it gives the recogniser's confidence and other guesses
(a `Transcript`), warning signs the assistant would confirm before advising are listed too.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol, Sequence

import yaml

from knowledge.matcher import Matcher
from knowledge.model import KnowledgeBase, Match
from knowledge.understanding import Guess, understand
from knowledge.text import words

_CASE_KEYS = {"id", "say", "audio", "topics", "locations", "warnings", "out_of_scope"}


class CasesError(Exception):
    """The cases file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Case:
    id: str
    say: str
    topics: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    out_of_scope: bool = False
    audio: Path | None = None


@dataclass(frozen=True)
class CaseResult:
    case: Case
    heard: str
    match: Match
    ok: bool
    word_errors: int = 0
    confirm: tuple[str, ...] = ()  # signs the assistant would ask about ("Did you say ...?") before advising
    unsure: bool = False  # the assistant would say it is not sure it understood, and explain nothing


@dataclass
class Summary:
    results: list[CaseResult] = field(default_factory=list)

    def scores(self) -> dict[str, float | int | None]:
        rs = self.results
        warned = [r for r in rs if r.case.warnings]
        calm = [r for r in rs if not r.case.warnings]
        with_topics = [r for r in rs if r.case.topics]
        oos = [r for r in rs if r.case.out_of_scope]
        in_scope = [r for r in rs if not r.case.out_of_scope]
        listed = sum(len(r.case.locations) for r in rs)
        audio = [r for r in rs if r.case.audio]
        ref_words = sum(len(r.case.say.split()) for r in audio)
        return {
            "cases": len(rs),
            "warning_recall": _share(warned, lambda r: set(r.case.warnings) <= set(r.match.warnings) | set(r.confirm)),
            "warning_false_alarms": _share(calm, lambda r: bool(r.match.warnings)),
            "exact_warnings": _share(rs, lambda r: set(r.case.warnings) == set(r.match.warnings)),
            "topic_hit_at_3": _share(with_topics, _topic_hit),
            "location_recall": (sum(len(set(r.case.locations) & set(r.match.locations)) for r in rs) / listed) if listed else None,
            "confirm_rate": _share(calm, lambda r: bool(r.confirm)),
            "out_of_scope_accuracy": _share(oos, lambda r: not r.match.topics or r.unsure),
            "in_scope_called_out_of_scope": _share(in_scope, lambda r: r.match.out_of_scope),
            "word_error_rate": (sum(r.word_errors for r in audio) / ref_words) if ref_words else None,
            "passed": sum(r.ok for r in rs),
        }


def load_cases(path: Path | str) -> list[Case]:
    """Read a cases file, or raise CasesError naming the case and field that is wrong."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CasesError(f"{path}: cannot read ({error.strerror})") from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise CasesError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(data, dict) or data.get("version") != 1 or not isinstance(data.get("cases"), list):
        raise CasesError(f"{path}: expected 'version: 1' and a list 'cases'")
    cases, seen = [], set()
    for number, raw in enumerate(data["cases"], 1):
        cases.append(_case(raw, number, path))
        if cases[-1].id in seen:
            raise CasesError(f"{path}: case {number}: duplicate id '{cases[-1].id}'")
        seen.add(cases[-1].id)
    return cases


def _case(raw: object, number: int, path: Path) -> Case:
    where = f"{path}: case {number}"
    if not isinstance(raw, dict):
        raise CasesError(f"{where}: expected a mapping")
    unknown = set(raw) - _CASE_KEYS
    if unknown:
        raise CasesError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    if not isinstance(raw.get("id"), (str, int)) or not isinstance(raw.get("say"), str):
        raise CasesError(f"{where}: 'id' and 'say' (text) are required")
    lists = {}
    for key in ("topics", "locations", "warnings"):
        value = raw.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise CasesError(f"{where} ({raw['id']}): '{key}' must be a list of ids")
        lists[key] = tuple(value)
    audio = raw.get("audio")
    if audio is not None and not isinstance(audio, str):
        raise CasesError(f"{where} ({raw['id']}): 'audio' must be a file path")
    return Case(str(raw["id"]), raw["say"], lists["topics"], lists["locations"], lists["warnings"],
                bool(raw.get("out_of_scope", False)), path.parent / audio if audio else None)


class Heard(Protocol):
    """A transcript with the recogniser's confidence and other guesses (the recogniser's `Transcript`)."""

    text: str
    confidence: float
    alternatives: Sequence[Guess]


def evaluate(cases: list[Case], kb: KnowledgeBase,
             transcribe: Callable[[Path], str | Heard] | None = None) -> Summary:
    """Run every case; audio cases go through `transcribe` when it is given, else their `say` text
    (exact words: nothing to confirm)."""
    summary = Summary()
    matcher = Matcher(kb)
    for case in cases:
        spoken = transcribe(case.audio) if case.audio and transcribe else None
        heard = case.say if spoken is None else spoken if isinstance(spoken, str) else spoken.text
        understood = understand(heard, matcher.match, typed=spoken is None,
                                confidence=getattr(spoken, "confidence", 1.0),
                                alternatives=getattr(spoken, "alternatives", ()))
        result = understood.match
        errors = word_errors(case.say, heard) if spoken is not None else 0
        summary.results.append(CaseResult(case, heard, result, _passes(case, result), errors,
                                          understood.confirm, understood.unsure))
    return summary


def _passes(case: Case, result: Match) -> bool:
    return (set(case.warnings) == set(result.warnings)
            and set(case.locations) <= set(result.locations)
            and (not case.topics or _topic_hit_ids(case.topics, result))
            and (not case.out_of_scope or not result.topics))


def _topic_hit(r: CaseResult) -> bool:
    return _topic_hit_ids(r.case.topics, r.match)


def _topic_hit_ids(wanted: tuple[str, ...], result: Match) -> bool:
    return bool(set(wanted) & {t.id for t in result.topics[:3]})


def _share(items: list[CaseResult], test: Callable[[CaseResult], bool]) -> float | None:
    return sum(map(test, items)) / len(items) if items else None


def word_errors(reference: str, hypothesis: str) -> int:
    """Word-level edit distance (substitutions + insertions + deletions) between normalised words,
    so "can't" against "can not" or "11" against "eleven" is no error."""
    ref = words(reference)
    hyp = words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


"""Sessions files (shared/eval/FORMAT.md, "Sessions"): a person with a fixed truth per session."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.evaluation import CasesError

_SESSION_KEYS = {"id", "says", "audio", "truth"}
_TRUTH_KEYS = {"locations", "warnings", "topics", "out_of_scope"}


@dataclass(frozen=True)
class Truth:
    """What is true of the person: the simulated person answers every question from this."""

    locations: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    out_of_scope: bool = False


@dataclass(frozen=True)
class SessionCase:
    id: str
    says: str  # the first description, spoken with the chosen voice
    truth: Truth
    audio: Path | None = None  # a recording of `says` to use instead of synthesis


def holds_sessions(path: Path | str) -> bool:
    """True when the YAML file at `path` is a sessions file rather than a cases file."""
    data = _read(Path(path))
    return isinstance(data, dict) and "sessions" in data and "cases" not in data


def load_sessions(path: Path | str) -> list[SessionCase]:
    """Read a sessions file, or raise CasesError naming the session and the key that is wrong."""
    path = Path(path)
    data = _read(path)
    if not isinstance(data, dict) or data.get("version") != 1 or not isinstance(data.get("sessions"), list):
        raise CasesError(f"{path}: expected 'version: 1' and a list 'sessions'")
    sessions: list[SessionCase] = []
    seen: set[str] = set()
    for number, raw in enumerate(data["sessions"], 1):
        session = _session(raw, f"{path}: session {number}", path.parent)
        if session.id in seen:
            raise CasesError(f"{path}: session {number}: duplicate id '{session.id}'")
        seen.add(session.id)
        sessions.append(session)
    return sessions


def _read(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CasesError(f"{path}: cannot read ({error.strerror})") from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise CasesError(f"{path}: not valid YAML ({error})") from None


def _session(raw: object, where: str, folder: Path) -> SessionCase:
    if not isinstance(raw, dict):
        raise CasesError(f"{where}: expected a mapping")
    unknown = set(raw) - _SESSION_KEYS
    if unknown:
        raise CasesError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    if not isinstance(raw.get("id"), (str, int)) or not isinstance(raw.get("says"), str) or not raw["says"].strip():
        raise CasesError(f"{where}: 'id' and 'says' (text) are required")
    where = f"{where} ({raw['id']})"
    truth = raw.get("truth")
    if not isinstance(truth, dict):
        raise CasesError(f"{where}: 'truth' must be a mapping of {', '.join(sorted(_TRUTH_KEYS))}")
    unknown = set(truth) - _TRUTH_KEYS
    if unknown:
        raise CasesError(f"{where}: unknown truth key(s) {', '.join(sorted(map(str, unknown)))}")
    lists = {}
    for key in ("locations", "warnings", "topics"):
        value = truth.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise CasesError(f"{where}: 'truth.{key}' must be a list of ids")
        lists[key] = tuple(value)
    if not isinstance(truth.get("out_of_scope", False), bool):
        raise CasesError(f"{where}: 'truth.out_of_scope' must be true or false")
    audio = raw.get("audio")
    if audio is not None and not isinstance(audio, str):
        raise CasesError(f"{where}: 'audio' must be a file path")
    return SessionCase(str(raw["id"]), raw["says"],
                       Truth(lists["locations"], lists["warnings"], lists["topics"], truth.get("out_of_scope", False)),
                       folder / audio if audio else None)

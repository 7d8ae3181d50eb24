"""Find the Vosk model directory and check it is whole before libvosk sees it.

libvosk reports a bad model only as "Failed to create a model" and can abort the
whole process on some broken ones, so every fixable problem is caught here
first and worded for the user.
"""
from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Mapping

from voice.errors import VoiceError

ENV_VAR = "VOSK_MODEL_PATH"
CACHE_SUBDIR = Path(".cache") / "vosk"
MODEL_PREFIX = "vosk-model-"
DOWNLOAD_HINT = ("download vosk-model-small-en-us-0.15 from alphacephei.com/vosk/models and unzip it "
                 "into ~/.cache/vosk, or pass --model DIR")

FST_MAGIC = 2125659606
STATE_BYTES = {"vector": 12, "const": 20}  # the smallest a state can take in each OpenFst file type
ARC_BYTES = 16


@dataclass(frozen=True)
class ModelLocation:
    """Where the model is and which setting named it (option, config, environment or cache)."""

    path: Path
    source: str


def find_model(option: Path | str | None = None, configured: Path | str | None = None,
               environ: Mapping[str, str] | None = None, home: Path | None = None) -> ModelLocation | None:
    """The first model named by --model, the config file, $VOSK_MODEL_PATH, then ~/.cache/vosk.

    A named directory is returned even if it is broken, so the user hears what is wrong
    with the one they chose instead of silently getting another.
    """
    environ = os.environ if environ is None else environ
    for source, value in _named(option, configured, environ):
        if value:
            return ModelLocation(Path(value).expanduser(), source)
    cached = _cached_models((Path.home() if home is None else home) / CACHE_SUBDIR)
    return ModelLocation(cached[0], "cache") if cached else None


def _named(option: Path | str | None, configured: Path | str | None,
           environ: Mapping[str, str]) -> list[tuple[str, Path | str | None]]:
    return [("option", option), ("config", configured), ("environment", environ.get(ENV_VAR))]


def require_model(option: Path | str | None = None, configured: Path | str | None = None,
                  environ: Mapping[str, str] | None = None, home: Path | None = None) -> ModelLocation:
    """Like find_model, but the model must exist and be whole (raises VoiceError otherwise)."""
    location = find_model(option, configured, environ, home)
    if location is None:
        raise VoiceError(f"No Vosk model found: {DOWNLOAD_HINT}.")
    check_model_dir(location.path)
    return location


def model_problem(path: Path) -> str | None:
    """What would stop libvosk loading the model at `path`, or None when it is whole."""
    try:
        check_model_dir(path)
    except VoiceError as error:
        return str(error)
    return None


@dataclass(frozen=True)
class ModelStatus:
    """One model folder the assistant could use, what is wrong with it (None when whole), and
    whether the assistant would listen with it now."""

    path: Path
    source: str
    problem: str | None
    in_use: bool


def model_status(option: Path | str | None = None, configured: Path | str | None = None,
                 environ: Mapping[str, str] | None = None, home: Path | None = None) -> list[ModelStatus]:
    """Every model the assistant can see (named one, $VOSK_MODEL_PATH, vosk's cache), checked.

    The one find_model chooses is in use only when whole: a broken one leaves the assistant on
    PocketSphinx.
    """
    environ = os.environ if environ is None else environ
    chosen = find_model(option, configured, environ, home)
    named = [(Path(value).expanduser(), source) for source, value in _named(option, configured, environ) if value]
    cached = sorted(_cached_models((Path.home() if home is None else home) / CACHE_SUBDIR))
    seen: set[Path] = set()
    statuses = []
    for path, source in [*named, *((child, "cache") for child in cached)]:
        if path in seen:
            continue
        seen.add(path)
        problem = model_problem(path)
        statuses.append(ModelStatus(path, source, problem, problem is None and chosen is not None
                                    and chosen.path == path))
    return statuses


def check_model_dir(path: Path) -> None:
    """Raise VoiceError naming the first problem that would stop libvosk loading the model at `path`."""
    path = Path(path)
    if not path.exists():
        raise VoiceError(f"Vosk model folder {path} does not exist: {DOWNLOAD_HINT}.")
    if not path.is_dir():
        raise VoiceError(f"Vosk model path {path} is a file, not a folder: unzip it and pass the folder.")
    if not any(path.iterdir()):
        raise VoiceError(f"Vosk model folder {path} is empty: {DOWNLOAD_HINT}.")
    nested = _nested_model(path)
    if nested is not None:
        raise VoiceError(f"{path} holds a Vosk model one level down: use --model {nested}.")
    missing = [name for name in _required_files(path) if not (path / name).is_file()]
    present = [name for name in _required_files(path) if (path / name).is_file()]
    if missing and not present:
        raise VoiceError(f"{path} is not a Vosk model folder (no {missing[0]}): {DOWNLOAD_HINT}.")
    if missing:
        raise VoiceError(f"Vosk model in {path} is incomplete (missing {missing[0]}): "
                         f"copy or unzip the whole model again.")
    empty = [name for name in present if (path / name).stat().st_size == 0 and name != "graph/disambig_tid.int"]
    truncated = [name for name in present if name.endswith(".fst") and _fst_truncated(path / name)]
    if empty or truncated:
        raise VoiceError(f"Vosk model in {path} is half-copied ({(empty + truncated)[0]} is cut short): "
                         f"copy or unzip the whole model again.")
    if "--endpoint.silence-phones" not in (path / "conf" / "model.conf").read_text(errors="replace"):
        raise VoiceError(f"Vosk model in {path} has no --endpoint.silence-phones in conf/model.conf: "
                         f"use an official Vosk model or restore its conf/model.conf.")


def _required_files(path: Path) -> list[str]:
    """A v2-layout model; its graph is either a full HCLG or the runtime-grammar pair."""
    graph = (["graph/HCLr.fst", "graph/Gr.fst", "graph/disambig_tid.int"]
             if (path / "graph" / "HCLr.fst").exists() else ["graph/HCLG.fst"])
    return ["am/final.mdl", "conf/mfcc.conf", "conf/model.conf", *graph, "graph/words.txt"]


def _nested_model(path: Path) -> Path | None:
    """The model folder inside `path`, when the user named the folder it was unzipped into."""
    if (path / "am").exists() or (path / "conf").exists():
        return None
    inner = [child for child in path.iterdir() if (child / "am" / "final.mdl").is_file()]
    return inner[0] if len(inner) == 1 else None


def _fst_truncated(path: Path) -> bool:
    """True when the file is shorter than its own header says (a copy that stopped part-way)."""
    data_size = path.stat().st_size
    with path.open("rb") as handle:
        try:
            (magic,) = struct.unpack("<i", handle.read(4))
            if magic != FST_MAGIC:
                return False  # not an OpenFst header we know; leave it to libvosk
            fst_type = _read_fst_string(handle)
            if fst_type not in STATE_BYTES:
                return False
            _read_fst_string(handle)
            _, _, _, _, num_states, num_arcs = struct.unpack("<iiQqqq", handle.read(40))
        except (struct.error, UnicodeDecodeError, ValueError):
            return True
        header_size = handle.tell()
    return data_size < header_size + num_states * STATE_BYTES[fst_type] + num_arcs * ARC_BYTES


def _read_fst_string(handle: BinaryIO) -> str:
    (length,) = struct.unpack("<i", handle.read(4))
    if not 0 <= length <= 64:
        raise ValueError("bad FST header string")
    return handle.read(length).decode()


def _cached_models(cache: Path) -> list[Path]:
    """vosk-model-* folders in vosk's cache, small English first, then other English, newest version first."""
    try:
        models = [child for child in cache.iterdir() if child.name.startswith(MODEL_PREFIX) and child.is_dir()]
    except OSError:  # no cache yet, or one this user cannot read: no cached model either way
        return []
    return sorted(models, key=_preference)


def _preference(path: Path) -> tuple:
    name = path.name
    rank = 0 if name.startswith("vosk-model-small-en-us") else 1 if "-en-" in name else 2
    version = tuple(-int(part) for part in re.findall(r"\d+", name))
    return rank, version, name

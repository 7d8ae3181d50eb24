"""Settings: defaults, the YAML config file, then command-line options, in that order of strength.

Every key is documented in the README; an unknown key or a wrong type stops the program with a
message naming the file and the key, because a silently ignored setting at a kiosk is a bug
nobody will notice.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml

from voice.errors import VoiceError

ENGINES = ("auto", "vosk", "pocketsphinx")


@dataclass(frozen=True)
class Settings:
    engine: str = "auto"  # auto: Vosk when a model is found, else PocketSphinx
    model: str | None = None  # Vosk model directory
    input_device: str | None = None  # name or index; None: the system default
    output_device: str | None = None
    rate: int = 160  # speech rate, words per minute
    volume: float = 0.7  # 0 to 1
    voice: str | None = None  # pyttsx3 voice id or part of its name
    silence: float = 0.5  # seconds of silence that end an utterance
    restrict_vocabulary: bool = False  # Vosk: only the knowledge base's and the commands' words
    listen_timeout: float = 8.0  # seconds to wait for speech before a re-prompt
    idle_timeout: float = 60.0  # kiosk: seconds of silence before the next person is greeted
    kiosk: bool = False
    knowledge: str | None = None  # knowledge directory; None: the bundled one
    mute: bool = False  # keyboard mode: print replies without speaking them
    large: bool = False  # large, high-contrast captions
    log_dir: str | None = None  # write transcripts and audio here; None: nothing is written


_TYPES: dict[str, tuple[type, ...]] = {
    "engine": (str,), "model": (str,), "input_device": (str, int), "output_device": (str, int),
    "rate": (int,), "volume": (int, float), "voice": (str,), "silence": (int, float),
    "listen_timeout": (int, float), "idle_timeout": (int, float), "kiosk": (bool,),
    "restrict_vocabulary": (bool,), "knowledge": (str,),
    "mute": (bool,), "large": (bool,), "log_dir": (str,),
}
_RANGES = {"rate": (60, 400), "volume": (0.0, 1.0), "silence": (0.2, 3.0), "listen_timeout": (1.0, 600.0),
           "idle_timeout": (5.0, 86400.0)}


def default_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "symptom-voice" / "config.yaml"


def load_settings(path: Path | str | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """Defaults, then the config file (`path`, or the default location if it exists), then `overrides`."""
    explicit = path is not None
    path = Path(path) if path else default_config_path()
    values: dict[str, Any] = {}
    if explicit or path.exists():
        values = _read(path)
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    for key, value in values.items():
        _check(path, key, value)
    settings = replace(Settings(), **{k: (str(v) if k.endswith("_device") else v) for k, v in values.items()})
    return settings


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VoiceError(f"config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise VoiceError(f"cannot read config file {path} ({error})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise VoiceError(f"config file {path}{where} is not valid YAML") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise VoiceError(f"config file {path} must be a mapping of key: value lines")
    known = {f.name for f in fields(Settings)}
    unknown = sorted(str(k) for k in data if k not in known)
    if unknown:
        raise VoiceError(f"config file {path}: unknown key(s) {', '.join(unknown)}; "
                         f"known keys: {', '.join(sorted(known))}")
    return data


def _check(path: Path, key: str, value: Any) -> None:
    if value is None:
        return
    types = _TYPES[key]
    if isinstance(value, bool) and bool not in types or not isinstance(value, types):
        wanted = " or ".join({"str": "text", "int": "a whole number", "float": "a number", "bool": "true or false"}[t.__name__]
                             for t in types)
        raise VoiceError(f"config {path}: '{key}' must be {wanted} (got {value!r})")
    if key == "engine" and value not in ENGINES:
        raise VoiceError(f"config {path}: 'engine' must be one of {', '.join(ENGINES)} (got {value!r})")
    low, high = _RANGES.get(key, (None, None))
    if low is not None and not low <= value <= high:
        raise VoiceError(f"config {path}: '{key}' must be between {low} and {high} (got {value})")

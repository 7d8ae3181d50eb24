"""Settings, declared once: defaults, then the YAML config file, then command-line options.

Each setting is one field of `Settings`; its metadata holds the help text, the command-line flag,
the range (with its unit) and, for the voice, the step a spoken "faster" or "quieter" takes. The
type comes from the annotation. Validation, the argparse options and the dialogue's `VoiceLimits`
are all derived from these fields, so a bound can no longer disagree with itself (the dialogue
once stopped "faster" at 260 words per minute while the config allowed 400).

A stdlib dataclass with field metadata rather than pydantic + pydantic-settings: about twenty flat
scalars do not justify two more dependencies (one a compiled extension) on an offline kiosk, and
both pydantic's messages and pydantic-settings' command-line source would need rewording to name
where a bad value came from (`--rate` or `FILE:key`), which takes a few lines here.

An unknown key, a wrong type or a value out of range stops the program with one line naming
where the value came from, because a silently ignored setting at a kiosk is a bug nobody notices.
"""
from __future__ import annotations

import argparse
import difflib
import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

import yaml

from voice.errors import VoiceError

ENGINES = ("auto", "vosk", "pocketsphinx")


@dataclass(frozen=True)
class Spec:
    """What the program knows about one setting besides its type and default."""

    help: str
    flag: str | None = None  # command-line option; None: config file only
    metavar: str | None = None
    low: float | None = None  # inclusive range
    high: float | None = None
    unit: str = ""
    step: float | None = None  # what one spoken "faster"/"louder" changes
    choices: tuple[str, ...] = ()


def _setting(default: Any, help: str, **spec: Any) -> Any:
    return field(default=default, metadata={"spec": Spec(help, **spec)})


@dataclass(frozen=True)
class Settings:
    """Every setting, once: type, default, help, option, range (see `Spec`)."""

    engine: str = _setting("auto", "speech recogniser; auto: Vosk when a model is found, else PocketSphinx",
                           flag="--engine", choices=ENGINES)
    model: str | None = _setting(None, "Vosk model folder", flag="--model", metavar="DIR")
    input_device: str | None = _setting(None, "microphone by name (part of it) or number (see: symptom-voice devices)",
                                        flag="--input-device", metavar="NAME|N")
    output_device: str | None = _setting(None, "speaker by name (part of it) or number (see: symptom-voice devices)",
                                         flag="--output-device", metavar="NAME|N")
    # espeak-ng speaks anything below 80 words per minute at 80 (measured: 40, 60 and 80 all take 6.21 s).
    rate: int = _setting(160, "speaking rate", flag="--rate", metavar="WPM", low=80, high=400,
                         unit="words per minute", step=25)
    # Below 0.1 (-20 dB) speech is lost at a kiosk; no speech at all is --mute.
    volume: float = _setting(0.7, "speaking volume", flag="--volume", metavar="LEVEL", low=0.1, high=1.0, step=0.15)
    voice: str | None = _setting(None, "espeak-ng voice id or part of its name (see: symptom-voice voices)",
                                 flag="--voice", metavar="VOICE")
    silence: float = _setting(0.5, "pause that ends what you say", flag="--silence", metavar="SECONDS",
                              low=0.2, high=3.0, unit="seconds")
    restrict_vocabulary: bool = _setting(False,
                                         "Vosk only: recognise just the knowledge base's and the commands' words")
    listen_timeout: float = _setting(8.0, "wait for speech this long before a gentle re-prompt",
                                     low=1.0, high=600.0, unit="seconds")
    idle_timeout: float = _setting(60.0, "kiosk: silence before the next person is greeted", flag="--idle-timeout",
                                   metavar="SECONDS", low=5.0, high=86400.0, unit="seconds")
    kiosk: bool = _setting(False, "kiosk: forget each person after the idle timeout", flag="--kiosk")
    knowledge: str | None = _setting(None, "knowledge folder (default: the bundled one)", flag="--kb", metavar="DIR")
    mute: bool = _setting(False, "print replies without speaking them (typed, spoken or recorded input)", flag="--mute")
    large: bool = _setting(False, "large, high-contrast captions", flag="--large")
    log_dir: str | None = _setting(None, "save transcripts and heard audio here (nothing is saved otherwise)",
                                   flag="--log", metavar="DIR")
    emergency_number: str = _setting("your local emergency number", "what to call in an emergency, as it is said",
                                     flag="--emergency-number", metavar="NUMBER")
    crisis_line: str | None = _setting(None, "a crisis line to name to someone who speaks of harming themselves",
                                       flag="--crisis-line", metavar="NUMBER")


@dataclass(frozen=True)
class Declared:
    """One setting as declared: name, value type (without None), whether None is allowed, default, spec."""

    name: str
    type: type
    optional: bool
    default: Any
    spec: Spec


def _declare() -> dict[str, Declared]:
    hints = get_type_hints(Settings)
    declared = {}
    for f in fields(Settings):
        kinds = get_args(hints[f.name]) if get_origin(hints[f.name]) in (Union, UnionType) else (hints[f.name],)
        (kind,) = [k for k in kinds if k is not type(None)]
        declared[f.name] = Declared(f.name, kind, type(None) in kinds, f.default, f.metadata["spec"])
    return declared


DECLARED = _declare()


def _bound(name: str, part: str) -> Any:
    return DECLARED[name].type(getattr(DECLARED[name].spec, part))


@dataclass(frozen=True)
class VoiceLimits:
    """Speech rate and volume for the dialogue: the starting values, and the steps and bounds of
    the spoken voice commands, which are the settings' own steps and ranges."""

    rate: int = DECLARED["rate"].default
    rate_step: int = _bound("rate", "step")
    min_rate: int = _bound("rate", "low")
    max_rate: int = _bound("rate", "high")
    volume: float = DECLARED["volume"].default
    volume_step: float = _bound("volume", "step")
    min_volume: float = _bound("volume", "low")
    max_volume: float = _bound("volume", "high")


def voice_limits(settings: Settings) -> VoiceLimits:
    """The dialogue's voice limits, starting from the configured rate and volume."""
    return VoiceLimits(rate=settings.rate, volume=settings.volume)


def default_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "symptom-voice" / "config.yaml"


def load_settings(path: Path | str | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """Defaults, then the config file (`path`, or the default location if it exists), then `overrides`.

    `overrides` come from the command line, by setting name; None means "not given". Their
    errors name the setting's flag, the file's errors name `FILE:key`.
    """
    explicit = path is not None
    path = Path(path) if path else default_config_path()
    values: dict[str, Any] = {}
    if explicit or path.exists():
        values = {key: check(key, value, f"{path}:{key}") for key, value in _read(path).items()}
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = check(key, value, DECLARED[key].spec.flag or key)
    return Settings(**values)


def check(name: str, value: Any, where: str) -> Any:
    """`value` for setting `name` as its declared type (text from the command line is parsed);
    VoiceError naming `where` when it is not acceptable."""
    declared = DECLARED[name]
    spec = declared.spec
    if value is None:
        if declared.optional:
            return None
        raise VoiceError(f"{where}: needs a value (default: {declared.default})")
    value = _as_type(declared.type, value, where)
    if spec.choices and value not in spec.choices:
        raise VoiceError(f"{where}: must be one of {', '.join(spec.choices)} (got {value!r})")
    if spec.low is not None and not spec.low <= value <= spec.high:
        unit = f" {spec.unit}" if spec.unit else ""
        raise VoiceError(f"{where}: must be between {spec.low:g} and {spec.high:g}{unit} (got {value:g})")
    return value


def _as_type(kind: type, value: Any, where: str) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise VoiceError(f"{where}: must be true or false (got {value!r})")
    if kind is str:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)  # `input_device: 3`, `emergency_number: 112`
        if not isinstance(value, str):
            raise VoiceError(f"{where}: must be text or a whole number (got {value!r})")
        if not value.strip():
            raise VoiceError(f"{where}: must not be empty")
        return value
    wanted = "a whole number" if kind is int else "a number"
    if isinstance(value, str):
        try:
            value = kind(value)
        except ValueError:
            raise VoiceError(f"{where}: must be {wanted} (got {value!r})") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or kind is int and isinstance(value, float):
        raise VoiceError(f"{where}: must be {wanted} (got {value!r})")
    if math.isnan(value):
        raise VoiceError(f"{where}: must be {wanted} (got nan)")
    return kind(value)


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
    unknown = sorted(str(k) for k in data if k not in DECLARED)
    if unknown:
        hints = [f"{k} (did you mean {close[0]}?)" if (close := difflib.get_close_matches(k, DECLARED, 1)) else k
                 for k in unknown]
        raise VoiceError(f"config file {path}: unknown key(s) {', '.join(hints)}; "
                         f"known keys: {', '.join(sorted(DECLARED))}")
    return data


def add_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup, names: tuple[str, ...],
                suppress: bool = False) -> None:
    """The command-line options of settings `names`, as declared. Values stay unconverted (None
    when not given) for `load_settings` to check; `suppress` leaves unset options out of the
    namespace, so a subcommand does not overwrite an option given before it."""
    for name in names:
        declared = DECLARED[name]
        spec = declared.spec
        if spec.flag is None:
            continue
        default = argparse.SUPPRESS if suppress else None
        help = spec.help + _help_suffix(declared)
        if declared.type is bool:
            parser.add_argument(spec.flag, action=argparse.BooleanOptionalAction, default=default, help=help)
        else:
            parser.add_argument(spec.flag, default=default, metavar=spec.metavar, choices=spec.choices or None,
                                help=help)


def _help_suffix(declared: Declared) -> str:
    spec = declared.spec
    parts = []
    if spec.low is not None:
        parts.append(f"{spec.low:g} to {spec.high:g}{' ' + spec.unit if spec.unit else ''}")
    if declared.default not in (None, False):
        default = declared.default
        parts.append(f"default: {default:g}" if isinstance(default, float) else f"default: {default}")
    return f" ({'; '.join(parts)})" if parts else ""


def dest(name: str) -> str:
    """The argparse attribute of setting `name`'s option."""
    flag = DECLARED[name].spec.flag
    return flag.lstrip("-").replace("-", "_") if flag else name

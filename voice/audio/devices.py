"""Audio devices through sounddevice (PortAudio): finding them, and errors a user can act on.

The microphone (`voice.audio.microphone`) and the speaker (`voice.audio.speaker`) open their
streams through here.

sounddevice is imported inside functions: importing it fails when the PortAudio library is
missing, and WAV-only use of the program must keep working on such machines.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Literal

from voice.errors import VoiceError

Device = int | str | None
Kind = Literal["input", "output"]

_LIST_HINT = "`symptom-voice devices` lists them"
_PA_DEVICE_UNAVAILABLE = -9985
_PA_GONE_CODES = (-9996, -9993, -9988, -9986, -9999)


class NoDeviceError(VoiceError):
    """No device of the kind at all, or no audio system: the assistant can do without the default one."""


@dataclass(frozen=True)
class DeviceInfo:
    """One PortAudio device as `symptom-voice devices` shows it."""

    index: int
    name: str
    host_api: str
    input_channels: int
    output_channels: int
    default_sample_rate: float
    default_input: bool
    default_output: bool

    @property
    def is_input(self) -> bool:
        return self.input_channels > 0

    @property
    def is_output(self) -> bool:
        return self.output_channels > 0


def sounddevice_module() -> ModuleType:
    try:
        import sounddevice
    except OSError as exc:
        raise NoDeviceError(
            "the PortAudio library is missing: install it (Debian/Ubuntu: `sudo apt-get install libportaudio2`)"
            " or use WAV files instead of the microphone and speaker"
        ) from exc
    except ImportError as exc:
        raise VoiceError("the sounddevice package is missing: install it with `pip install sounddevice`") from exc
    return sounddevice


def refresh_devices() -> None:
    """Re-scan devices: PortAudio lists them only when it starts, so anything plugged in
    (or a sound server started) later stays invisible until this runs. Closes open streams."""
    sd = sounddevice_module()
    try:
        sd._terminate()
        sd._initialize()
    except sd.PortAudioError as exc:
        raise VoiceError(f"cannot restart the audio system: {_one_line(exc)}; check the sound server is running") from exc


def list_devices() -> list[DeviceInfo]:
    """Every device PortAudio sees, with which ones are the default input and output."""
    sd = sounddevice_module()
    try:
        devices = sd.query_devices()
        host_apis = [api["name"] for api in sd.query_hostapis()]
        default_in, default_out = sd.default.device
    except sd.PortAudioError as exc:
        raise VoiceError(f"cannot list audio devices: {_one_line(exc)}; check the sound server is running") from exc
    return [
        DeviceInfo(
            index=device["index"],
            name=device["name"],
            host_api=host_apis[device["hostapi"]],
            input_channels=device["max_input_channels"],
            output_channels=device["max_output_channels"],
            default_sample_rate=float(device["default_samplerate"]),
            default_input=device["index"] == default_in,
            default_output=device["index"] == default_out,
        )
        for device in devices
    ]


def find_device(device: Device, kind: Kind) -> DeviceInfo:
    """Resolve None (the default), an index, or a case-insensitive name substring to one device."""
    noun = "microphone (input device)" if kind == "input" else "speaker (output device)"
    candidates = [d for d in list_devices() if (d.is_input if kind == "input" else d.is_output)]
    if not candidates:
        raise NoDeviceError(f"no {noun} found: connect one and check the sound server (PulseAudio/PipeWire) is running")
    if device is None:
        for candidate in candidates:
            if candidate.default_input if kind == "input" else candidate.default_output:
                return candidate
        raise VoiceError(f"there is no default {noun}: choose one by number or name ({_LIST_HINT})")
    text = str(device).strip()
    if isinstance(device, int) or text.isdigit():
        for candidate in candidates:
            if candidate.index == int(text):
                return candidate
        raise VoiceError(f"there is no {kind} device number {text} ({_LIST_HINT})")
    needle = text.lower()
    exact = [d for d in candidates if d.name.lower() == needle]
    matches = exact or [d for d in candidates if needle in d.name.lower()]
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(f"{d.index} '{d.name}'" for d in (matches or candidates))
    if matches:
        raise VoiceError(f"{kind} device name '{text}' matches several devices ({names}); use a longer name or the number")
    raise VoiceError(f"no {kind} device matches '{text}'; available: {names} ({_LIST_HINT})")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def stream_error(exc: Exception, what: str) -> VoiceError:
    """Turn a PortAudioError into a message that says what the user can do.

    "Error querying device" is sounddevice's word for a device number PortAudio no longer lists:
    a sound process started while the sound server was down sees no devices at all."""
    code = exc.args[1] if len(exc.args) > 1 else None
    if code == _PA_DEVICE_UNAVAILABLE:
        return VoiceError(f"the {what} is busy or unavailable: close other programs using it, or choose another device")
    if code in _PA_GONE_CODES or str(exc).startswith("Error querying device"):
        return VoiceError(
            f"the {what} is not available (unplugged, or the sound server stopped): reconnect it and try again ({_LIST_HINT})"
        )
    return VoiceError(f"the {what} failed: {_one_line(exc)}; reconnect it or choose another device ({_LIST_HINT})")

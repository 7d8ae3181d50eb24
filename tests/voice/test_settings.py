"""Settings: one declaration, the config file, command-line overrides, clear errors, and the
dialogue's voice limits taken from the same declaration."""
import argparse

import pytest
from hypothesis import given, settings as hypothesis_settings
from hypothesis import strategies as st

from voice.app import build_dialogue
from voice.conversation.dialogue import Dialogue, VoiceLimits
from voice.conversation.events import Heard, SetVoice, SpeechDone, Start
from voice.errors import VoiceError
from bundled import KB, match
from voice.settings import DECLARED, Settings, add_options, load_settings, voice_limits


def test_defaults_without_a_file(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert load_settings() == Settings()


def test_default_location_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "symptom-voice").mkdir()
    (tmp_path / "symptom-voice/config.yaml").write_text("rate: 140\nkiosk: true\n")
    assert load_settings().rate == 140 and load_settings().kiosk


def test_command_line_beats_the_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("rate: 140\nvolume: 0.5\ninput_device: 3\n")
    settings = load_settings(path, {"rate": 200, "volume": None})
    assert (settings.rate, settings.volume, settings.input_device) == (200, 0.5, "3")


def test_command_line_text_is_parsed_as_declared(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    settings = load_settings(None, {"rate": "120", "silence": "0.2", "kiosk": True, "crisis_line": "988"})
    assert (settings.rate, settings.silence, settings.kiosk, settings.crisis_line) == (120, 0.2, True, "988")


def test_a_number_is_fine_for_a_text_setting(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("emergency_number: 112\ncrisis_line: 988\n")
    settings = load_settings(path)
    assert (settings.emergency_number, settings.crisis_line) == ("112", "988")
    assert Settings().emergency_number == "your local emergency number" and Settings().crisis_line is None


@pytest.mark.parametrize("text, message", [
    ("rate: fast\n", "rate: must be a whole number (got 'fast')"),
    ("rate: 160.5\n", "rate: must be a whole number (got 160.5)"),
    ("kiosk: 1\n", "kiosk: must be true or false (got 1)"),
    ("volume: 3\n", "volume: must be between 0.1 and 1 (got 3)"),
    ("volume: .nan\n", "volume: must be a number (got nan)"),
    ("rate: 60\n", "rate: must be between 80 and 400 words per minute (got 60)"),
    ("silence: 5\n", "silence: must be between 0.2 and 3 seconds (got 5)"),
    ("engine: whisper\n", "engine: must be one of auto, vosk, pocketsphinx (got 'whisper')"),
    ("rate:\n", "rate: needs a value (default: 160)"),
    ("voice: ''\n", "voice: must not be empty"),
    ("input_device: [1, 2]\n", "input_device: must be text or a whole number (got [1, 2])"),
])
def test_a_bad_value_in_the_file_is_named_file_colon_key(tmp_path, text, message):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(VoiceError) as error:
        load_settings(path)
    assert str(error.value) == f"{path}:{message}"


@pytest.mark.parametrize("text, message", [
    ("colour: blue\n", "unknown key(s) colour"),
    ("rates: 140\n", "unknown key(s) rates (did you mean rate?)"),
    ("- a list\n", "must be a mapping"),
    ("rate: [\n", "is not valid YAML"),
])
def test_bad_files_name_the_file(tmp_path, text, message):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(VoiceError) as error:
        load_settings(path)
    assert message in str(error.value) and str(path) in str(error.value)


def test_a_named_file_must_exist(tmp_path):
    with pytest.raises(VoiceError, match="does not exist"):
        load_settings(tmp_path / "missing.yaml")


@pytest.mark.parametrize("name, value, message", [
    ("rate", 5, "--rate: must be between 80 and 400 words per minute (got 5)"),
    ("rate", "fast", "--rate: must be a whole number (got 'fast')"),
    ("volume", "5", "--volume: must be between 0.1 and 1 (got 5)"),
    ("silence", "0.1", "--silence: must be between 0.2 and 3 seconds (got 0.1)"),
    ("idle_timeout", "2", "--idle-timeout: must be between 5 and 86400 seconds (got 2)"),
])
def test_a_bad_option_blames_the_option_not_a_file(tmp_path, monkeypatch, name, value, message):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "symptom-voice").mkdir()
    (tmp_path / "symptom-voice/config.yaml").write_text("rate: 140\nvolume: 0.5\n")  # good values, not to blame
    with pytest.raises(VoiceError) as error:
        load_settings(None, {name: value})
    assert str(error.value) == message


def test_options_are_derived_from_the_declaration():
    parser = argparse.ArgumentParser()
    add_options(parser, tuple(DECLARED))
    options = {action.dest: action for action in parser._actions}
    flagged = [d for d in DECLARED.values() if d.spec.flag]
    assert {d.spec.flag for d in flagged} <= {s for a in parser._actions for s in a.option_strings}
    assert "80 to 400 words per minute; default: 160" in options["rate"].help
    assert options["engine"].choices == DECLARED["engine"].spec.choices
    assert parser.parse_args(["--no-kiosk", "--rate", "90"]).kiosk is False
    assert parser.parse_args([]).rate is None  # not given: the file or the default decides


# --- the dialogue's voice limits come from the same declaration ------------------------------

def test_voice_limits_are_the_declared_ranges_and_steps():
    rate, volume = DECLARED["rate"].spec, DECLARED["volume"].spec
    assert VoiceLimits() == voice_limits(Settings())
    assert (VoiceLimits.min_rate, VoiceLimits.max_rate, VoiceLimits.rate_step) == (rate.low, rate.high, rate.step)
    assert (VoiceLimits.min_volume, VoiceLimits.max_volume, VoiceLimits.volume_step) == (
        volume.low, volume.high, volume.step)
    assert voice_limits(Settings(rate=300, volume=0.4)) == VoiceLimits(rate=300, volume=0.4)


def listening_dialogue(settings: Settings) -> Dialogue:
    dialogue = build_dialogue(KB, settings, understand=match)
    dialogue.handle(Start())
    dialogue.handle(SpeechDone())
    return dialogue


DIRECTION = {"faster": ("rate", 1), "slower": ("rate", -1), "louder": ("volume", 1), "quieter": ("volume", -1)}


@pytest.mark.parametrize("configured, command", [
    ({"rate": 400}, "faster"), ({"rate": 80}, "slower"), ({"volume": 0.1}, "quieter"), ({"volume": 1.0}, "louder"),
])
def test_a_voice_command_at_a_configured_bound_changes_nothing(configured, command):
    """rate 400 + "faster" used to drop to 260; rate 60 + "slower" rose to 85; volume 0.1 + "quieter" to 0.25."""
    dialogue = listening_dialogue(Settings(**configured))
    before = dialogue.voice
    actions = dialogue.handle(Heard(command))
    assert dialogue.voice == before and not any(isinstance(a, SetVoice) for a in actions)


@pytest.mark.parametrize("configured, command, expected", [
    ({"rate": 390}, "faster", 400), ({"rate": 90}, "slower", 80),
    ({"volume": 0.2}, "quieter", 0.1), ({"volume": 0.95}, "louder", 1.0),
])
def test_a_voice_command_near_a_bound_stops_at_it(configured, command, expected):
    dialogue = listening_dialogue(Settings(**configured))
    dialogue.handle(Heard(command))
    assert getattr(dialogue.voice, DIRECTION[command][0]) == expected


@given(rate=st.integers(80, 400), volume=st.floats(0.1, 1.0).map(lambda v: round(v, 2)),
       commands=st.lists(st.sampled_from(sorted(DIRECTION)), min_size=1, max_size=12))
@hypothesis_settings(max_examples=60, deadline=None)
def test_voice_commands_only_move_the_way_asked_and_stay_in_range(rate, volume, commands):
    dialogue = listening_dialogue(Settings(rate=rate, volume=volume))
    for command in commands:
        before = dialogue.voice
        dialogue.handle(Heard(command))
        dialogue.handle(SpeechDone())
        attribute, sign = DIRECTION[command]
        assert (getattr(dialogue.voice, attribute) - getattr(before, attribute)) * sign >= 0
        assert 80 <= dialogue.voice.rate <= 400 and 0.1 <= dialogue.voice.volume <= 1.0

"""Settings: defaults, the config file, command-line overrides, and clear errors."""
import pytest

from voice.settings import Settings, load_settings
from voice.errors import VoiceError


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


@pytest.mark.parametrize("text, message", [
    ("colour: blue\n", "unknown key(s) colour"),
    ("rate: fast\n", "'rate' must be a whole number (got 'fast')"),
    ("kiosk: 1\n", "'kiosk' must be true or false"),
    ("volume: 3\n", "'volume' must be between 0.0 and 1.0"),
    ("engine: whisper\n", "'engine' must be one of auto, vosk, pocketsphinx"),
    ("- a list\n", "must be a mapping"),
    ("rate: [\n", "is not valid YAML"),
])
def test_bad_files_name_the_key(tmp_path, text, message):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(VoiceError, match=None) as error:
        load_settings(path)
    assert message in str(error.value) and str(path) in str(error.value)


def test_a_named_file_must_exist(tmp_path):
    with pytest.raises(VoiceError, match="does not exist"):
        load_settings(tmp_path / "missing.yaml")

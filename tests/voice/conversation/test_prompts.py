"""The assistant's own sentences: one checked file, worded for the input mode."""
from __future__ import annotations

import pytest
import yaml

from voice.conversation.prompts import PROMPTS_FILE, load_prompts
from voice.errors import VoiceError


def test_the_bundled_prompts_load():
    prompts = load_prompts()
    assert prompts.help and prompts.voice["slower"].changed and prompts.voice["stop"].muted
    assert prompts.spoken_list(["a", "b", "c"]) == "a, b, or c" and prompts.spoken_list(["a"]) == "a"
    assert prompts.spoken_list(["a, b", "c"]) == "a, b; or c"


def test_keyboard_wording_never_mentions_speech():
    prompts = load_prompts()
    typed = [s for group in (prompts.describe_prompts, prompts.after_answer_prompts, prompts.yes_no_prompts)
             for step in group.typed for s in step]
    assert typed
    for sentence in typed:
        assert not any(word in sentence.lower() for word in ("microphone", "hear", "speak", "say ", "listening"))


@pytest.mark.parametrize("change,problem", [
    (lambda raw: raw.pop("goodbye"), "missing goodbye"),
    (lambda raw: raw.update(extra="x"), "unknown extra"),
    (lambda raw: raw.update(goodbye="Bye {name}"), "goodbye: unknown placeholder name"),
    (lambda raw: raw.update(describe_prompts={"spoken": []}), "describe_prompts"),
    (lambda raw: raw.update(goodbye=""), "goodbye: expected one sentence"),
])
def test_a_broken_prompts_file_names_the_key(tmp_path, change, problem):
    raw = yaml.safe_load(PROMPTS_FILE.read_text())
    change(raw)
    path = tmp_path / "prompts.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(VoiceError, match=problem):
        load_prompts(path)

"""The Vosk recogniser on the real libvosk, with a tiny model written by tests/support/vosk_test_model.py.

That model hears one word per stretch of loud audio and nothing in silence, so
synthetic bursts stand in for speech: their times are known exactly.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from synthetic_sound import RATE, sound
from voice.asr.endpointing import TurnPolicy
from voice.asr.recognizer import MAX_ALTERNATIVES, Recognizer, Transcript
from voice.asr.utterances import UtteranceEnded, UtteranceStream
from voice.errors import VoiceError
from voice.asr.vosk_model import ModelLocation, check_model_dir, find_model, require_model
from voice.asr.vosk import VoskModel, VoskRecognizer, load_model
from vosk_test_model import (write_corrupt_model, write_half_copied_model, write_model_without,
                             write_test_model)
from paths import ROOT

TOLERANCE = 0.1  # seconds between a burst's edge and its word's time (one 30 ms frame plus slack)


def decode(recognizer: VoskRecognizer, pcm: bytes, rate: int = RATE, chunk: float = 0.05) -> Transcript:
    """Feed `pcm` chunk by chunk as one utterance and finish it."""
    step = int(rate * chunk) * 2
    for offset in range(0, len(pcm), step):
        recognizer.accept(pcm[offset:offset + step])
    return recognizer.finish()


def stream(recognizer: VoskRecognizer, pcm: bytes, policy: TurnPolicy | None = None,
           max_utterance: float = 20.0, chunk: float = 0.05) -> list[tuple[float, Transcript]]:
    """Feed `pcm` behind the endpointer; each endpoint as (seconds of audio fed so far, its transcript)."""
    utterances = UtteranceStream(recognizer, policy, max_utterance)
    step = int(RATE * chunk) * 2
    ended = []
    for offset in range(0, len(pcm), step):
        for event in utterances.feed(pcm[offset:offset + step]):
            if isinstance(event, UtteranceEnded):
                ended.append(((offset + step) / (2 * RATE), event.transcript))
    return ended


@pytest.fixture(scope="module")
def plain_model(tmp_path_factory: pytest.TempPathFactory) -> VoskModel:
    return load_model(write_test_model(tmp_path_factory.mktemp("vosk") / "plain"))


@pytest.fixture(scope="module")
def grammar_model(tmp_path_factory: pytest.TempPathFactory) -> VoskModel:
    path = tmp_path_factory.mktemp("vosk") / "grammar"
    return load_model(write_test_model(path, ("alpha", "bravo", "charlie"), grammar=True))


def test_loads_the_model_once_and_shares_it(plain_model: VoskModel) -> None:
    assert plain_model.load_time > 0
    assert plain_model.sample_rate == RATE
    assert not plain_model.supports_grammar
    first, second = VoskRecognizer(plain_model), VoskRecognizer(plain_model)
    assert first.model.model is second.model.model
    assert first.load_time == plain_model.load_time
    assert isinstance(first, Recognizer)


def test_loads_from_a_path(tmp_path: Path) -> None:
    recognizer = VoskRecognizer(write_test_model(tmp_path / "m"))
    assert recognizer.load_time > 0
    assert decode(recognizer, sound([("quiet", 0.3), ("noise", 0.4)])).text == "alpha"


def test_bursts_become_words_at_their_times(plain_model: VoskModel) -> None:
    recognizer = VoskRecognizer(plain_model)
    transcript = decode(recognizer, sound([("quiet", 0.5), ("noise", 0.4), ("quiet", 0.4), ("tone", 0.6),
                                           ("quiet", 1.5)]))
    assert transcript.text == "alpha alpha"
    assert transcript.engine == "vosk"
    expected = [(0.5, 0.9), (1.3, 1.9)]
    for word, (start, end) in zip(transcript.words, expected):
        assert word.start == pytest.approx(start, abs=TOLERANCE)
        assert word.end == pytest.approx(end, abs=TOLERANCE)


@pytest.mark.parametrize("silence", [0.5, 1.0, 1.5])
def test_the_endpointer_ends_the_utterance_after_the_silence_setting(plain_model: VoskModel, silence: float) -> None:
    pcm = sound([("quiet", 0.4), ("noise", 0.5), ("quiet", 3.0)])
    ((ended_at, transcript),) = stream(VoskRecognizer(plain_model), pcm, TurnPolicy(silence))
    assert transcript.text == "alpha"
    assert silence <= ended_at - 0.9 <= silence + 0.2


def test_the_silence_setting_changes_where_utterances_split(plain_model: VoskModel) -> None:
    """A pause longer than libvosk's own endpoint rule (0.5 s) no longer ends the utterance by itself."""
    pcm = sound([("quiet", 0.3), ("noise", 0.4), ("quiet", 1.0), ("noise", 0.4), ("quiet", 2.0)])
    recognizer = VoskRecognizer(plain_model)
    assert [t.text for _, t in stream(recognizer, pcm, TurnPolicy(0.5))] == ["alpha", "alpha"]
    assert [t.text for _, t in stream(recognizer, pcm, TurnPolicy(1.5))] == ["alpha alpha"]


def test_word_times_count_from_the_start_of_each_utterance(plain_model: VoskModel) -> None:
    recognizer = VoskRecognizer(plain_model)
    pcm = sound([("quiet", 0.3), ("noise", 0.4), ("quiet", 1.5)])
    first, second = decode(recognizer, pcm), decode(recognizer, pcm)
    assert first.words[0].start == pytest.approx(0.3, abs=TOLERANCE)
    assert second.words[0].start == pytest.approx(0.3, abs=TOLERANCE)


def test_silence_alone_gives_no_endpoint_and_an_empty_result(plain_model: VoskModel) -> None:
    recognizer = VoskRecognizer(plain_model)
    assert stream(recognizer, sound([("quiet", 6.0)])) == []
    assert recognizer.partial() == ""
    empty = recognizer.finish()
    assert (empty.text, empty.words, empty.confidence) == ("", (), 0.0)


def test_partial_result_shows_words_before_the_end(plain_model: VoskModel) -> None:
    recognizer = VoskRecognizer(plain_model)
    recognizer.accept(sound([("quiet", 0.3), ("noise", 1.0)]))
    assert recognizer.partial() == "alpha"
    assert recognizer.finish().text == "alpha"
    assert recognizer.partial() == ""


def test_finish_ends_the_utterance_and_starts_afresh(plain_model: VoskModel) -> None:
    recognizer = VoskRecognizer(plain_model)
    recognizer.accept(sound([("quiet", 0.3), ("noise", 0.4), ("quiet", 0.1)]))
    assert recognizer.finish().text == "alpha"
    assert recognizer.finish().text == ""


def test_reset_drops_what_was_heard(plain_model: VoskModel) -> None:
    recognizer = VoskRecognizer(plain_model)
    recognizer.accept(sound([("quiet", 0.3), ("noise", 0.4)]))
    recognizer.reset()
    assert recognizer.partial() == ""
    assert recognizer.finish().text == ""
    recognizer.accept(sound([("quiet", 0.3), ("noise", 0.4)]))
    recognizer.reset()
    transcript = decode(recognizer, sound([("quiet", 0.2), ("noise", 0.4), ("quiet", 1.5)]))
    assert transcript.text == "alpha"
    assert transcript.words[0].start == pytest.approx(0.2, abs=TOLERANCE)


def test_long_speech_is_cut_at_max_utterance(plain_model: VoskModel) -> None:
    ended = stream(VoskRecognizer(plain_model), sound([("quiet", 0.3), ("noise", 3.0)]), max_utterance=1.0)
    assert ended
    assert ended[0][0] < 2.0
    assert ended[0][1].text == "alpha"


def test_confidences_are_per_word_and_averaged(plain_model: VoskModel) -> None:
    transcript = decode(VoskRecognizer(plain_model), sound([("quiet", 0.3), ("noise", 0.4), ("quiet", 0.5),
                                                            ("noise", 0.4), ("quiet", 1.5)]))
    assert len(transcript.words) == 2
    assert all(0.0 < word.confidence <= 1.0 for word in transcript.words)
    assert transcript.confidence == pytest.approx(sum(w.confidence for w in transcript.words) / 2)


def test_alternatives_and_word_confidences_come_from_the_n_best_list(grammar_model: VoskModel) -> None:
    """To the test model every word sounds alike, so each of the three is as likely as the others."""
    recognizer = VoskRecognizer(grammar_model, vocabulary=["alpha", "bravo", "charlie"])
    transcript = decode(recognizer, sound([("quiet", 0.3), ("noise", 0.4), ("quiet", 0.3), ("tone", 0.4),
                                           ("quiet", 0.5)]))
    assert len(transcript.words) == 2
    assert len(transcript.alternatives) == MAX_ALTERNATIVES
    texts = [a.text for a in transcript.alternatives]
    assert transcript.text not in texts and len(set(texts)) == len(texts)
    assert all(len(t.split()) == 2 and set(t.split()) <= {"alpha", "bravo", "charlie"} for t in texts)
    assert all(a.score == pytest.approx(0.0) for a in transcript.alternatives)
    assert all(w.confidence == pytest.approx(1 / 3, abs=0.05) for w in transcript.words)


def test_alternatives_span_the_segments_of_one_utterance(grammar_model: VoskModel) -> None:
    """A pause longer than libvosk's own endpoint rule splits its results; the utterance joins them."""
    recognizer = VoskRecognizer(grammar_model, vocabulary=["alpha", "bravo", "charlie"])
    transcript = decode(recognizer, sound([("quiet", 0.3), ("noise", 0.4), ("quiet", 1.2), ("tone", 0.4),
                                           ("quiet", 0.5)]))
    assert len(transcript.text.split()) == 2
    assert transcript.words[1].start == pytest.approx(1.9, abs=TOLERANCE)
    assert len(transcript.alternatives) == MAX_ALTERNATIVES
    assert all(len(a.text.split()) == 2 for a in transcript.alternatives)


def test_one_possible_reading_has_no_alternatives(plain_model: VoskModel) -> None:
    transcript = decode(VoskRecognizer(plain_model), sound([("quiet", 0.3), ("noise", 0.4), ("quiet", 0.5)]))
    assert transcript.text == "alpha" and transcript.alternatives == ()
    assert transcript.words[0].confidence == 1.0


def test_vocabulary_restricts_and_switches(grammar_model: VoskModel) -> None:
    burst = sound([("quiet", 0.3), ("noise", 0.4), ("quiet", 1.5)])
    recognizer = VoskRecognizer(grammar_model)
    assert recognizer.vocabulary is None
    assert decode(recognizer, burst).text == "alpha"
    recognizer.set_vocabulary(["Bravo", "zulu"])
    assert recognizer.vocabulary == ["bravo"]
    assert decode(recognizer, burst).text == "bravo"
    recognizer.set_vocabulary(["charlie"])
    transcript = decode(recognizer, burst)
    assert transcript.text == "charlie"
    assert transcript.words[0].start == pytest.approx(0.3, abs=TOLERANCE)
    recognizer.set_vocabulary(None)
    assert decode(recognizer, burst).text == "alpha"


def test_vocabulary_keeps_unk_when_the_model_has_it(tmp_path: Path) -> None:
    model = load_model(write_test_model(tmp_path / "m", ("alpha", "bravo", "[unk]"), grammar=True))
    assert VoskRecognizer(model, vocabulary=["bravo"]).vocabulary == ["bravo", "[unk]"]
    assert VoskRecognizer(model, vocabulary=["zulu"]).vocabulary == ["[unk]"]


def test_vocabulary_is_ignored_without_runtime_grammars(plain_model: VoskModel) -> None:
    recognizer = VoskRecognizer(plain_model, vocabulary=["bravo"])
    assert recognizer.vocabulary is None
    assert decode(recognizer, sound([("quiet", 0.3), ("noise", 0.4), ("quiet", 1.5)])).text == "alpha"


def test_audio_below_the_model_rate_is_refused(plain_model: VoskModel) -> None:
    with pytest.raises(VoiceError, match="16000 Hz"):
        VoskRecognizer(plain_model, sample_rate=8000)


def test_audio_at_44_1_khz_is_resampled(plain_model: VoskModel) -> None:
    rate = 44100
    recognizer = VoskRecognizer(plain_model, sample_rate=rate)
    transcript = decode(recognizer, sound([("quiet", 0.5), ("noise", 0.4), ("quiet", 1.5)], rate=rate), rate=rate)
    assert transcript.text == "alpha"
    assert transcript.words[0].start == pytest.approx(0.5, abs=TOLERANCE)
    assert transcript.words[0].end == pytest.approx(0.9, abs=TOLERANCE)


def _empty_folder(path: Path) -> Path:
    path.mkdir()
    return path


def _plain_file(path: Path) -> Path:
    path.write_bytes(b"PK")
    return path


def _unrelated_folder(path: Path) -> Path:
    path.mkdir()
    (path / "notes.txt").write_text("not a model")
    return path


def _no_silence_phones(path: Path) -> Path:
    write_test_model(path)
    (path / "conf" / "model.conf").write_text("--beam=13.0\n")
    return path


BROKEN_MODELS = {
    "missing": (lambda path: path, "does not exist"),
    "empty": (_empty_folder, "is empty"),
    "a file": (_plain_file, "is a file"),
    "not a model": (_unrelated_folder, "not a Vosk model folder"),
    "no final.mdl": (lambda path: write_model_without(path, "am/final.mdl"), "missing am/final.mdl"),
    "no mfcc.conf": (lambda path: write_model_without(path, "conf/mfcc.conf"), "missing conf/mfcc.conf"),
    "no graph": (lambda path: write_model_without(path, "graph"), "missing graph/HCLG.fst"),
    "half-copied": (write_half_copied_model, "half-copied"),
    "no silence phones": (_no_silence_phones, "silence-phones"),
}


@pytest.mark.parametrize("kind", BROKEN_MODELS)
def test_broken_model_folders_are_explained(tmp_path: Path, kind: str) -> None:
    make, message = BROKEN_MODELS[kind]
    path = make(tmp_path / "model")
    with pytest.raises(VoiceError, match=message) as caught:
        check_model_dir(path)
    assert "\n" not in str(caught.value)


def test_truncated_graph_alone_counts_as_half_copied(tmp_path: Path) -> None:
    path = write_test_model(tmp_path / "m")
    graph = path / "graph" / "HCLG.fst"
    graph.write_bytes(graph.read_bytes()[:-10])
    with pytest.raises(VoiceError, match="HCLG.fst is cut short"):
        check_model_dir(path)


def test_folder_holding_the_model_one_level_down_names_it(tmp_path: Path) -> None:
    inner = write_test_model(tmp_path / "models" / "vosk-model-small-en-us-0.15")
    with pytest.raises(VoiceError, match=f"--model {inner}"):
        check_model_dir(tmp_path / "models")


def test_whole_models_pass_the_check(tmp_path: Path) -> None:
    check_model_dir(write_test_model(tmp_path / "plain"))
    check_model_dir(write_test_model(tmp_path / "grammar", grammar=True))


LOAD_IN_CHILD = """
import json, sys
from voice.errors import VoiceError
from voice.asr.vosk import VoskRecognizer
messages = {}
for path in sys.argv[1:]:
    try:
        VoskRecognizer(path).accept(bytes(3200))
        messages[path] = None
    except VoiceError as error:
        messages[path] = str(error)
print(json.dumps(messages))
"""


def test_broken_models_give_voice_errors_from_the_real_loader(tmp_path: Path) -> None:
    """In a child process, because libvosk aborts the whole process on some broken models."""
    paths = {kind: make(tmp_path / kind.replace(" ", "_")) for kind, (make, _) in BROKEN_MODELS.items()}
    paths["corrupt"] = write_corrupt_model(tmp_path / "corrupt")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests" / "support")}
    child = subprocess.run([sys.executable, "-c", LOAD_IN_CHILD, *map(str, paths.values())],
                           capture_output=True, text=True, env=env, timeout=60)
    assert child.returncode == 0, child.stderr
    messages = json.loads(child.stdout)
    for kind, path in paths.items():
        expected = "could not load the model" if kind == "corrupt" else BROKEN_MODELS[kind][1]
        assert expected in (messages[str(path)] or ""), kind


def test_find_model_prefers_option_then_config_then_environment_then_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    cache = home / ".cache" / "vosk"
    for name in ("vosk-model-en-us-0.22", "vosk-model-small-en-us-0.15", "vosk-model-small-fr-0.22",
                 "vosk-model-small-en-us-0.3"):
        (cache / name).mkdir(parents=True)
    (cache / "vosk-model-small-en-us-0.99.zip").write_text("not unzipped")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("VOSK_MODEL_PATH", str(tmp_path / "from-env"))

    assert find_model(tmp_path / "opt", tmp_path / "cfg") == ModelLocation(tmp_path / "opt", "option")
    assert find_model(None, str(tmp_path / "cfg")) == ModelLocation(tmp_path / "cfg", "config")
    assert find_model() == ModelLocation(tmp_path / "from-env", "environment")
    monkeypatch.delenv("VOSK_MODEL_PATH")
    assert find_model() == ModelLocation(cache / "vosk-model-small-en-us-0.15", "cache")
    (cache / "vosk-model-small-en-us-0.15").rename(cache / "old")
    (cache / "vosk-model-small-en-us-0.3").rename(cache / "old2")
    assert find_model() == ModelLocation(cache / "vosk-model-en-us-0.22", "cache")


def test_find_model_returns_none_and_require_model_explains(tmp_path: Path) -> None:
    assert find_model(environ={}, home=tmp_path) is None
    with pytest.raises(VoiceError, match="No Vosk model found.*--model DIR"):
        require_model(environ={}, home=tmp_path)
    model = write_test_model(tmp_path / ".cache" / "vosk" / "vosk-model-small-en-us-0.15")
    assert require_model(environ={}, home=tmp_path) == ModelLocation(model, "cache")
    with pytest.raises(VoiceError, match="does not exist"):
        require_model(option=tmp_path / "nowhere", environ={}, home=tmp_path)


def test_engine_builds_a_restricted_vocabulary_from_the_knowledge_base(tmp_path):
    from knowledge.loader import load_knowledge
    from voice.app import build_ears, language_of

    kb = load_knowledge()
    assert {"knee", "swollen", "repeat", "goodbye", "suicide", "breathe"} <= set(language_of(kb).words())
    model = write_test_model(tmp_path / "m", words=("knee", "swollen", "weather"), grammar=True)
    ears = build_ears(kb, "vosk", str(model), restrict_vocabulary=True)
    assert ears.recognizer.open.vocabulary is not None and "weather" not in ears.recognizer.open.vocabulary

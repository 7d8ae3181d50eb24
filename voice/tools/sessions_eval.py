"""`symptom-voice eval SESSIONS.yaml`: whole conversations between the real dialogue and a simulated person.

Each person turn is synthesised, padded the way a microphone hears it (a moment before the person
answers, a quiet tail so the endpointer can end the turn, a faint noise floor, since digital
silence makes recognisers worse than any real microphone), and fed through `SpokenInput` and the
real recogniser; the dialogue is driven through its events and actions, in-process, with no
audio device. What the assistant said is scored by comparing its sentences with the knowledge
base's texts (see `assistant_said`); its speaking time by synthesising each answer at the rate
the dialogue asked for.
"""
from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from knowledge.evaluation import word_errors
from knowledge.matcher import Matcher
from knowledge.model import KnowledgeBase, Match
from voice.app import build_dialogue, build_ears
from voice.asr.recognizer import Recognizer
from voice.audio.convert import to_int16_pcm
from voice.audio.format import SAMPLE_RATE
from voice.audio.memory import MemorySource
from voice.audio.wavfile import load_wav
from voice.conversation.dialogue import Dialogue
from voice.conversation.events import Exit, Heard, Kind, Listen, NoInput, Say, SetVoice, SpeechDone, Start
from voice.session.listening import SpokenInput
from voice.tools.assistant_said import AssistantListener
from voice.settings import Settings
from voice.tools.person_voice import CommandVoice, PersonVoice, RememberingVoice, SynthesizerVoice
from voice.tools.sessions_file import SessionCase
from voice.tools.simulated_person import Asked, SimulatedPerson
from voice.tts.synthesizer import Synthesizer

MAX_PERSON_TURNS = 8  # FORMAT.md: a session that has not ended after 8 turns of the person ends there
MAX_ACTIONS = 200  # a dialogue that never listens again must not hang the evaluation
ANSWER_DELAY = 0.5  # seconds before the person starts speaking (they answer within 1 s)
TAIL_SECONDS = 1.5  # after the person's words: longer than any pause that ends a turn
FLOOR_DB = 45.0  # noise floor below the speech level, as a microphone's own hiss


@dataclass(frozen=True)
class Turn:
    who: str  # "assistant" or "person"
    text: str  # what was said
    heard: str | None = None  # person turns: what the recogniser heard


@dataclass
class SessionResult:
    case: SessionCase
    turns: list[Turn] = field(default_factory=list)
    warnings_advised: list[str] = field(default_factory=list)
    topics_explained: list[str] = field(default_factory=list)
    locations_explained: list[str] = field(default_factory=list)
    person_turns_to_first_explanation: int | None = None  # None: never answered
    assistant_seconds: float = 0.0

    @property
    def person_turns(self) -> int:
        return sum(turn.who == "person" for turn in self.turns)

    def as_json(self) -> dict[str, object]:
        return {"id": self.case.id,
                "turns": [{"who": t.who, "text": t.text, "heard": t.heard} for t in self.turns],
                "warnings_advised": self.warnings_advised, "topics_explained": self.topics_explained,
                "locations_explained": self.locations_explained,
                "person_turns_to_first_explanation": self.person_turns_to_first_explanation,
                "assistant_seconds": round(self.assistant_seconds, 2)}


class SessionRunner:
    """Runs sessions of one knowledge base with one recogniser, person voice and assistant voice."""

    def __init__(self, kb: KnowledgeBase, new_dialogue: Callable[[], Dialogue], recognizer: Recognizer,
                 person_voice: PersonVoice, assistant_voice: Synthesizer, understand: Callable[[str], Match]):
        self._kb = kb
        self._new_dialogue = new_dialogue
        self._recognizer = recognizer
        self._person_voice = person_voice
        self._assistant_voice = assistant_voice
        self._understand = understand
        self._listener = AssistantListener(kb)

    def run(self, case: SessionCase) -> SessionResult:
        result = SessionResult(case)
        dialogue = self._new_dialogue()
        person = SimulatedPerson(case, self._kb, self._understand)
        actions: deque = deque(dialogue.handle(Start()))
        said: list[str] = []
        kind, about, answered = "", (), False
        listen: Listen | None = None
        for _ in range(MAX_ACTIONS):
            action = actions.popleft() if actions else listen
            if action is None or isinstance(action, Exit):
                break
            if isinstance(action, SetVoice):
                self._assistant_voice.rate = action.rate
            elif isinstance(action, Say):
                said += action.sentences
                kind, about = action.kind, action.about
                answered = self._note_said(action, result) or answered
                actions.extend(dialogue.handle(SpeechDone()))
            elif isinstance(action, Listen):
                listen = action
                if result.person_turns >= MAX_PERSON_TURNS:
                    break
                words = person.reply(Asked(tuple(said), kind, action, answered, about))
                said = []
                recording = case.audio if result.person_turns == 0 else None
                event = self._hear(words, action, recording)
                result.turns.append(Turn("person", words, event.text if isinstance(event, Heard) else ""))
                actions.extend(dialogue.handle(event))
        return result

    def _note_said(self, say: Say, result: SessionResult) -> bool:
        """Record one Say; True when it was an answer of substance."""
        result.turns.append(Turn("assistant", " ".join(say.sentences)))
        result.assistant_seconds += sum(self._assistant_voice.synthesize(s).duration for s in say.sentences)
        reading = self._listener.hear(say.sentences)
        answered = reading.answered or say.kind == Kind.EMERGENCY.value
        for found, into in ((reading.warnings, result.warnings_advised), (reading.topics, result.topics_explained),
                            (reading.locations, result.locations_explained)):
            into += [i for i in found if i not in into]
        if answered and result.person_turns_to_first_explanation is None:
            result.person_turns_to_first_explanation = result.person_turns
        return answered

    def _hear(self, words: str, listen: Listen, recording: Path | None) -> Heard | NoInput:
        """The person's words through `SpokenInput` and the recogniser (a recording, when the case has one)."""
        speech = load_wav(recording).pcm if recording else self._person_voice.speak(words)
        self._recognizer.reset()  # each turn starts clean, as after the assistant's own speech
        ears = SpokenInput(MemorySource(as_heard(speech, words)), self._recognizer, live=False)
        event = ears.listen(listen, lambda _seconds: False)
        return event if isinstance(event, Heard) else NoInput()


def as_heard(speech: bytes, words: str) -> bytes:
    """The person's speech as a microphone delivers it: a pause before, a quiet tail, a noise floor."""
    samples = np.frombuffer(speech, "<i2").astype(np.float64)
    lead, tail = np.zeros(int(ANSWER_DELAY * SAMPLE_RATE)), np.zeros(int(TAIL_SECONDS * SAMPLE_RATE))
    padded = np.concatenate([lead, samples, tail])
    loud = samples[np.abs(samples) > 0.05 * np.abs(samples).max()] if samples.size else samples
    level = float(np.sqrt(np.mean(loud**2))) if loud.size else 1000.0
    rng = np.random.default_rng(zlib.crc32(words.encode("utf-8")))
    padded += rng.standard_normal(padded.size) * level * 10 ** (-FLOOR_DB / 20)
    return to_int16_pcm(padded)


def summarise(results: list[SessionResult]) -> dict[str, float | int | None]:
    """The session scores of FORMAT.md over all sessions (shares 0 to 1, None when nothing to score)."""
    warned = [r for r in results if r.case.truth.warnings]
    calm = [r for r in results if not r.case.truth.warnings]
    with_topics = [r for r in results if not r.case.truth.out_of_scope and r.case.truth.topics]
    outside = [r for r in results if r.case.truth.out_of_scope]
    # A session that never got an answer counts every turn the person spent in it.
    turns = [r.person_turns if r.person_turns_to_first_explanation is None else r.person_turns_to_first_explanation
             for r in results]
    seconds = [r.assistant_seconds for r in results]
    person = [t for r in results for t in r.turns if t.who == "person"]
    reference = sum(len(t.text.split()) for t in person)
    return {
        "sessions": len(results),
        "warning_recall": _share(warned, lambda r: set(r.case.truth.warnings) <= set(r.warnings_advised)),
        "warning_false_alarms": _share(calm, lambda r: bool(r.warnings_advised)),
        "explained": _share(with_topics, lambda r: bool(set(r.case.truth.topics) & set(r.topics_explained)
                                                          or set(r.case.truth.locations) & set(r.locations_explained))),
        "out_of_scope_accuracy": _share(outside, lambda r: not (r.topics_explained or r.locations_explained)),
        "turns_to_first_explanation_median": _percentile(turns, 50),
        "turns_to_first_explanation_p95": _percentile(turns, 95),
        "assistant_seconds_median": _percentile(seconds, 50),
        "assistant_seconds_p95": _percentile(seconds, 95),
        "person_word_error_rate": (sum(word_errors(t.text, t.heard or "") for t in person) / reference
                                   if reference else None),
    }


def _share(items: list[SessionResult], test: Callable[[SessionResult], bool]) -> float | None:
    return sum(map(test, items)) / len(items) if items else None


def _percentile(values: list[float] | list[int], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 2) if values else None


def evaluate_sessions(cases: list[SessionCase], kb: KnowledgeBase, settings: Settings,
                      tts_command: str | None = None) -> tuple[list[SessionResult], str]:
    """Run every session with the assistant as `settings` build it; the results and the recogniser's notice."""
    from voice.tts.pyttsx3_engine import Pyttsx3Synthesizer

    ears = build_ears(kb, settings.engine, settings.model, settings.restrict_vocabulary)
    voice = CommandVoice(tts_command) if tts_command else SynthesizerVoice(Pyttsx3Synthesizer())
    matcher = Matcher(kb)
    runner = SessionRunner(kb, lambda: build_dialogue(kb, settings, understand=matcher.match), ears.recognizer,
                           RememberingVoice(voice), Pyttsx3Synthesizer(rate=settings.rate, voice=settings.voice),
                           matcher.match)
    return [runner.run(case) for case in cases], ears.notice


def format_sessions(results: list[SessionResult]) -> str:
    """One line per session that went wrong, then the scores."""
    lines = []
    for r in results:
        truth = r.case.truth
        problems = [f"missed {sorted(set(truth.warnings) - set(r.warnings_advised))}"
                    if not set(truth.warnings) <= set(r.warnings_advised) else "",
                    f"false alarm {r.warnings_advised}" if r.warnings_advised and not truth.warnings else "",
                    "explained out of scope" if truth.out_of_scope and (r.topics_explained or r.locations_explained)
                    else "",
                    "not explained" if truth.topics and not truth.out_of_scope and not (
                        set(truth.topics) & set(r.topics_explained) or set(truth.locations) & set(r.locations_explained))
                    else ""]
        if any(problems):
            lines.append(f"FAIL {r.case.id}: {'; '.join(p for p in problems if p)}")
            lines += [f"     {t.who}: {t.text!r}" + (f" (heard {t.heard!r})" if t.who == "person" else "")
                      for t in r.turns]
    scores = summarise(results)
    lines.append(f"sessions: {scores['sessions']}")
    for key, value in scores.items():
        if key == "sessions":
            continue
        shown = "n/a" if value is None else (f"{value}" if "seconds" in key or "turns" in key else f"{100 * value:.1f}%")
        lines.append(f"{key.replace('_', ' ')}: {shown}")
    return "\n".join(lines)

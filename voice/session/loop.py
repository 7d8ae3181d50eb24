"""The loop: input -> dialogue -> speech, one action at a time, for as long as the person wants.

It performs the dialogue's actions and turns what happens into the dialogue's events. Nothing
that goes wrong in one turn ends the session: the person is told, the loop recovers (reopening
a vanished microphone with backoff) and goes on; only an input that cannot be reopened and fails
turn after turn ends it.
"""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from voice.session.captions import Captions
from voice.conversation.dialogue import Dialogue, printable
from voice.conversation.events import (Action, Event, Exit, Expect, ForgetPerson, Heard, Idle, Listen, NoInput, Say,
                                       SetVoice, SpeechCut, SpeechDone, Start, StopKey, StopSpeaking)
from voice.errors import VoiceError
from voice.session.listening import EndOfInput, Input
from voice.session.observer import SessionObserver, Unobserved
from voice.session.speaking import Speaker

FIRST_LISTEN = Listen(Expect.DESCRIPTION, 8.0)
MAX_BACKOFF = 30.0
# An input that cannot be reopened (a file, the keyboard) and fails this many turns in a row will
# fail the same way again: the session ends with the reason instead of apologising forever.
GIVE_UP_AFTER = 5
SORRY = ("Sorry, something went wrong on my side. Please say that again.",)


class Assistant:
    """One running assistant; `speaker=None` prints replies without speaking them (--mute).

    `forget_person` drops what is kept about a person beyond the screen (typed history, the log's folder);
    `while_speaking()` is entered around each speech (the keyboard's stop key watches only then).
    """

    def __init__(self, dialogue: Dialogue, user_input: Input, speaker: Speaker | None, captions: Captions,
                 reopen_input: Callable[[], None] | None = None, sleep: Callable[[float], None] = time.sleep,
                 observer: SessionObserver | None = None, forget_person: Callable[[], None] = lambda: None,
                 while_speaking: Callable[[], AbstractContextManager[object]] = nullcontext):
        self.dialogue = dialogue
        self.input = user_input
        self.speaker = speaker
        self.captions = captions
        self._reopen_input = reopen_input
        self._sleep = sleep
        self._stop_pressed = False
        self._idle_before = 0.0
        self._idle_actions: list[Action] = []
        self._failures = 0
        self._observer = observer or Unobserved()
        self._listened = False
        self._forget_person = forget_person
        self._while_speaking = while_speaking

    def stop_speaking(self) -> None:
        """The stop key: cut speech now (called from the key-watcher thread)."""
        if self.speaker and self.dialogue.speaking:
            self._stop_pressed = True
            self.speaker.stop()

    def run(self) -> None:
        actions: deque[Action] = deque(self.dialogue.handle(Start()))
        listen = FIRST_LISTEN
        while True:
            action = actions.popleft() if actions else listen
            if isinstance(action, Exit):
                return
            if isinstance(action, Listen):
                listen = action
            try:
                events = self._perform(action)
                if events is None:
                    return
                actions.extend(self._take_idle_actions())
                for event in events:
                    actions.extend(self.dialogue.handle(event))
                self._failures = 0
            except VoiceError as error:
                actions.extend(self._recover(str(error)))
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as error:  # one bad turn must never end a kiosk session
                actions.extend(self._recover(f"{type(error).__name__}: {error}"))

    def _take_idle_actions(self) -> list[Action]:
        actions, self._idle_actions = self._idle_actions, []
        return actions

    def _perform(self, action: Action) -> list[Event] | None:
        """Carry out one action; the events it produced, or None when the input has ended."""
        if isinstance(action, Say):
            return self._say(action.sentences)
        if isinstance(action, SetVoice):
            if self.speaker:
                self.speaker.set_voice(action.rate, action.volume)
        elif isinstance(action, StopSpeaking):
            if self.speaker:
                self.speaker.stop()
        elif isinstance(action, ForgetPerson):
            self._idle_before = 0.0
            self.captions.forget()
            self._forget_person()
        elif isinstance(action, Listen):
            return self._listen(action)
        return []

    def _say(self, sentences: tuple[str, ...]) -> list[Event]:
        self.captions.said(sentences)
        if not self.speaker:
            return [SpeechDone()]
        self._stop_pressed = False
        with self._while_speaking():
            playback = self.speaker.start(sentences)
            heard = None
            if self.input.duplex:
                try:
                    heard = self.input.listen_during(playback.playing, self.speaker.stop)
                except VoiceError:
                    playback.wait()  # the answer is still worth hearing; the loop then recovers the microphone
                    raise
            spoken = playback.wait()
        self.input.after_speech(spoken.ended_at)
        if spoken.error:
            self.captions.note(f"Speech output failed ({spoken.error}); the text above is what I said.")
        if isinstance(heard, Heard):
            self.captions.heard(printable(heard.text), heard.typed, self.dialogue.joins(heard))
            return [SpeechCut(spoken.started), heard]  # their turn: the dialogue ends the speech it was in
        if self._stop_pressed:
            self._stop_pressed = False
            return [StopKey()] if self.dialogue.speaking else []
        return [SpeechDone()]

    def _listen(self, listen: Listen) -> list[Event] | None:
        self._idle_actions = []
        if not self._listened:
            self._listened = True
            self._observer.ready()
        result = self.input.listen(listen, self._poll)
        if isinstance(result, EndOfInput):
            return None
        if result is None:  # the kiosk's idle timeout interrupted the listen; run() performs its actions
            self._idle_before = 0.0
            return []
        if isinstance(result, Heard):
            self._idle_before = 0.0
            self.captions.heard(printable(result.text), result.typed)
        elif isinstance(result, NoInput):
            self._idle_before += listen.timeout
        return [result]

    def _poll(self, listened: float) -> bool:
        self._idle_actions = self.dialogue.handle(Idle(self._idle_before + listened))
        return bool(self._idle_actions)

    def _recover(self, problem: str) -> list[Action]:
        """Tell the person, back off, reopen the input if it is a device; carry on with a listen.

        A failure in the middle of speech ends that speech: what was to follow it comes next.
        """
        self._failures += 1
        actions = self.dialogue.handle(SpeechDone()) if self.dialogue.speaking else []
        self.captions.note(f"Something went wrong: {problem}")
        if not self._reopen_input and self._failures >= GIVE_UP_AFTER:
            self.captions.note(f"Stopping after {self._failures} failed turns in a row.")
            return [*actions, Exit()]
        delay = min(MAX_BACKOFF, 0.5 * 2 ** (self._failures - 1))
        if self._reopen_input:
            try:
                self._sleep(delay)
                self._reopen_input()
                self.captions.note("The microphone is working again.")
            except VoiceError as error:
                self.captions.note(f"Still waiting for the microphone: {error}")
                return actions
        elif self._failures > 1:
            self._sleep(delay)
        self.captions.said(SORRY)
        if self.speaker:
            spoken = self.speaker.speak(SORRY)
            self.input.after_speech(spoken.ended_at)
        return actions

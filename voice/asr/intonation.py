"""Whether the voice fell to the low end of its range at the last thing said: a sign the sentence is over.

Pitch is Praat's autocorrelation method (praat-parselmouth, the phoneticians' tool, as a wheel;
pyworld and pysptk build from source): about 8 ms for the 3 s it looks at on a two-core machine,
and 80 MB more memory. Measured at the bench's fixtures, offline, over the last 3 s before each
pause: at the end of 29 of the 37 whole descriptions the last voiced frames sat 4 semitones or more
under the median pitch (among them 3 of the 4 whose words held the turn open: "my thigh is",
"jumpers the" among the guesses), and before none of the 42 pauses inside a sentence (2.7 under at
most). Real people fall less reliably (the 132 recordings of ../shared/eval/real-voices at their
end: 57 fell that far, a quarter stayed within 1.6 semitones), so a fall only lets a turn end
sooner when its words are in doubt; no intonation holds a turn open.
"""
from __future__ import annotations

import numpy as np
import parselmouth

from voice.audio.format import SAMPLE_RATE

FELL_SEMITONES = 4.0  # this far under the median pitch, the voice has fallen as at a sentence's end
REFERENCE_SECONDS = 3.0  # the stretch before the pause whose median pitch the end is compared with
LAST_FRAMES = 5  # voiced 10 ms frames at the end whose pitch is averaged
MIN_VOICED_FRAMES = 10  # fewer voiced frames than this hold too little speech to tell
F0_RANGE = (60.0, 400.0)  # Hz: men's low voices to children's


def fell(pcm: bytes) -> bool:
    """The last voiced frames of `pcm` (16 kHz int16 mono, its last REFERENCE_SECONDS) lie
    FELL_SEMITONES or more under its median pitch."""
    samples = np.frombuffer(pcm, dtype="<i2")[-int(REFERENCE_SECONDS * SAMPLE_RATE):].astype(np.float64)
    if samples.size < SAMPLE_RATE // 10:
        return False
    sound = parselmouth.Sound(samples / 32768.0, sampling_frequency=SAMPLE_RATE)
    f0 = sound.to_pitch_ac(time_step=0.01, pitch_floor=F0_RANGE[0], pitch_ceiling=F0_RANGE[1]).selected_array["frequency"]
    voiced = f0[f0 > 0]
    if voiced.size < MIN_VOICED_FRAMES:
        return False
    end = float(np.mean(12.0 * np.log2(voiced[-LAST_FRAMES:] / np.median(voiced))))
    return end <= -FELL_SEMITONES

"""Speech side of symptom-voice: audio in/out, recognisers, synthesis, dialogue and loop."""

# One command to set up and run, one to set up and test (see README.md).
# Set-up prints a few lines; pip's own output goes to .venv/setup.log.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
SYSTEM_PACKAGES := libportaudio2 espeak-ng pulseaudio pulseaudio-utils libasound2-plugins python3-venv
ARGS ?=

.PHONY: setup system-packages speech-model run demo test bench clean

setup: system-packages $(BIN)/symptom-voice $(VENV)/speech-model-tried

system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing system packages:" $$missing; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

$(BIN)/symptom-voice: pyproject.toml
	@echo "Installing the Python packages into $(VENV) (details in $(VENV)/setup.log)"
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	@if ! { $(BIN)/pip install --upgrade pip && $(BIN)/pip install -e '.[test]'; } >$(VENV)/setup.log 2>&1; then \
		tail -n 20 $(VENV)/setup.log; echo "Installing the Python packages failed: see $(VENV)/setup.log"; exit 1; \
	fi
	@touch $@

# The better recogniser, tried once per set-up. Without a network the attempt fails within
# seconds and the assistant listens with PocketSphinx, which ships in its wheel. `make test`
# never comes here: tests must not download anything.
$(VENV)/speech-model-tried: | $(BIN)/symptom-voice
	@echo "Installing the Vosk English speech model (about 40 MB, checksum verified; the only download)"
	@$(BIN)/symptom-voice model download || echo "Carrying on without it: the assistant listens with PocketSphinx (built in). To try again later: make speech-model"
	@touch $@

speech-model: $(BIN)/symptom-voice
	$(BIN)/symptom-voice model download

run: setup
	@$(BIN)/symptom-voice $(ARGS)

demo: setup
	$(BIN)/symptom-voice --input audio_tests/sessions/s02.wav --output demo_reply.wav

# The 1,000-turn memory soak (marked slow: about 13 minutes of one core, the longest part) runs in a
# second pytest beside the tests that need no sound server (about 10 minutes); the live-audio tests
# (marked audio, about 4 minutes) follow those, beside the soak's last minutes: beside one busy core
# they passed (2 of 2 runs, 33 tests), beside two real-time capture garbled. Waiting for the soak
# before them made CI 16.4 minutes. Any part failing fails the target.
test: system-packages $(BIN)/symptom-voice
	@$(BIN)/python -m pytest -q -s -p no:cacheprovider -m slow >$(VENV)/soak.log 2>&1 & soak=$$!; \
	$(BIN)/python -m pytest -q -m 'not slow and not audio'; quiet=$$?; \
	echo "--- the live-audio tests (marked audio):"; \
	$(BIN)/python -m pytest -q -m 'audio and not slow'; live=$$?; \
	wait $$soak; soaked=$$?; echo "--- the soak (tests marked slow):"; cat $(VENV)/soak.log; \
	[ $$quiet -eq 0 ] && [ $$soaked -eq 0 ] && [ $$live -eq 0 ]

bench: system-packages $(BIN)/symptom-voice
	$(BIN)/symptom-voice bench

clean:
	rm -rf $(VENV) build *.egg-info demo_reply.wav

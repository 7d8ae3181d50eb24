# One command to set up and run, one to set up and test (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
SYSTEM_PACKAGES := libportaudio2 espeak-ng pulseaudio pulseaudio-utils libasound2-plugins python3-venv

.PHONY: setup system-packages run demo test bench clean

system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing system packages:" $$missing; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

$(BIN)/symptom-voice: pyproject.toml
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

setup: system-packages $(BIN)/symptom-voice

run: setup
	$(BIN)/symptom-voice

demo: setup
	$(BIN)/symptom-voice --input audio_tests/sessions/s02.wav --output demo_reply.wav

test: setup
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python benchmarks/bench_matcher.py
	$(BIN)/symptom-voice bench

clean:
	rm -rf $(VENV) build *.egg-info demo_reply.wav

"""`python -m voice` is the same as the `symptom-voice` command."""
import sys

from voice.cli import main

sys.exit(main())

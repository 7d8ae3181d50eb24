"""One exception type for every problem a user can fix, so no traceback ever reaches them."""


class VoiceError(Exception):
    """A problem with audio, a device, a model or a file, worded for the user (one line, says how to fix it)."""

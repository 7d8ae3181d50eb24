"""Shared pytest fixtures."""
from virtual_audio import virtual_audio  # noqa: F401  (registers the session fixture)

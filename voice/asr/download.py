"""Fetch one file over HTTPS (or from a file:// copy), resumable and checked against a pinned SHA-256.

Bytes go to a `.part` file that survives a cut connection or Ctrl-C, so running the download
again asks the server only for the rest (an HTTP Range request) instead of starting over. The
connection itself must be made within CONNECT_TIMEOUT: on a machine without network (set-up on
an offline computer) the attempt fails in seconds, while a slow transfer already under way is
given READ_TIMEOUT per read.
"""
from __future__ import annotations

import hashlib
import http.client
import socket
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator

from voice.errors import VoiceError

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
CHUNK = 64 * 1024
_PARTIAL_CONTENT = 206
_RANGE_NOT_SATISFIABLE = 416

Progress = Callable[[int, "int | None"], None]
"""Called with (bytes received, total bytes or None when the server does not say)."""
Digest = Any  # a hashlib SHA-256 object (hashlib has no public type for it)


def fetch(url: str, partial: Path, sha256: str, progress: Progress | None = None) -> None:
    """Complete `partial` from `url` until it holds the whole file with digest `sha256`.

    A cut-off transfer keeps what arrived (VoiceError says to run it again); a file that fails
    its checksum is deleted, so the next attempt starts clean.
    """
    if urllib.parse.urlsplit(url).scheme == "file":
        _check_local(url)
    kept, have = _hash_of(partial)
    if have and kept.hexdigest() == sha256:
        return
    try:
        digest = _transfer(url, partial, kept, have, progress)
    except urllib.error.HTTPError as error:
        if error.code == _RANGE_NOT_SATISFIABLE and have:  # the kept part is not a prefix of this file
            partial.unlink()
            return fetch(url, partial, sha256, progress)
        raise VoiceError(f"Download failed: {_host(url)} answered HTTP {error.code} {error.reason} for {url}: "
                         f"check the address, or try again later.") from error
    if digest.hexdigest() != sha256:
        partial.unlink()
        raise VoiceError(f"The download from {url} failed its checksum (SHA-256 {digest.hexdigest()[:12]}..., "
                         f"expected {sha256[:12]}...): it is damaged or not the official model; try again.")


def _transfer(url: str, partial: Path, kept: Digest, have: int, progress: Progress | None) -> Digest:
    """Append the rest of the file to `partial` (or rewrite it when the server cannot resume); its digest."""
    headers = {"User-Agent": "symptom-voice model installer", **({"Range": f"bytes={have}-"} if have else {})}
    digest, received, total = kept, have, None
    try:
        with _OPENER.open(urllib.request.Request(url, headers=headers), timeout=CONNECT_TIMEOUT) as response:
            if have and getattr(response, "status", None) != _PARTIAL_CONTENT:
                digest, received = hashlib.sha256(), 0  # the server sends the whole file again
            length = response.headers.get("Content-Length")
            total = received + int(length) if length and length.isdigit() else None
            with partial.open("ab" if received else "wb") as out:
                if progress:
                    progress(received, total)
                for chunk in _chunks(response):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    if progress:
                        progress(received, total)
    except urllib.error.HTTPError:
        raise
    except (http.client.IncompleteRead, ConnectionError) as error:
        raise _cut_off(url, received, total) from error
    except urllib.error.URLError as error:
        raise VoiceError(f"Cannot reach {_host(url)} ({_why_unreachable(error.reason)}): check your internet "
                         f"connection, or fetch {url} on another computer and install that copy with "
                         f"`symptom-voice model download --url FILE.zip`.") from error
    except TimeoutError as error:
        raise VoiceError(f"{_host(url)} stopped answering after {received:,} bytes: check your internet "
                         f"connection and run it again to resume.") from error
    if total is not None and received < total:
        raise _cut_off(url, received, total)
    return digest


def _why_unreachable(reason: object) -> str:
    if isinstance(reason, socket.gaierror):
        return "its name cannot be looked up: no network?"
    if isinstance(reason, TimeoutError):
        return f"no answer within {CONNECT_TIMEOUT:.0f} s"
    return getattr(reason, "strerror", None) or str(reason)


def _check_local(url: str) -> None:
    path = Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path))
    if not path.is_file():
        problem = "is a folder, not the .zip archive" if path.is_dir() else "does not exist"
        raise VoiceError(f"{path} {problem}: give the path of the downloaded model archive.")


def _hash_of(partial: Path) -> tuple[Digest, int]:
    """The SHA-256 so far and the size of what an earlier attempt kept."""
    digest = hashlib.sha256()
    if not partial.is_file():
        return digest, 0
    with partial.open("rb") as kept:
        for chunk in _chunks(kept):
            digest.update(chunk)
    return digest, partial.stat().st_size


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    """What has arrived, up to CHUNK bytes at a time (read1: a slow server's bytes are kept as they come)."""
    while chunk := stream.read1(CHUNK):  # type: ignore[attr-defined]
        yield chunk


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc or url


def _cut_off(url: str, received: int, total: int | None) -> VoiceError:
    of_total = f" of {total:,}" if total else ""
    return VoiceError(f"The download of {url} was cut off after {received:,}{of_total} bytes: "
                      f"run it again to resume.")


class _PatientHTTPConnection(http.client.HTTPConnection):
    """Connects within the request's (short) timeout, then waits READ_TIMEOUT for each read."""

    def connect(self) -> None:
        super().connect()
        self.sock.settimeout(READ_TIMEOUT)


class _PatientHTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        self.sock.settimeout(READ_TIMEOUT)


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_PatientHTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_PatientHTTPSConnection, req, context=self._context)


_OPENER = urllib.request.build_opener(_HTTPHandler, _HTTPSHandler)

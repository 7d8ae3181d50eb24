"""Download, verify and install the Vosk model, all or nothing.

Everything happens in a hidden work folder inside the destination (same file
system, so the final rename is atomic): the archive is downloaded there, its
SHA-256 checked against a pinned value, every entry vetted before anything is
written, and the unpacked model checked with the same rules the recogniser
uses. Only then is it renamed into place. Any failure removes the work folder,
so the destination never holds a half-installed model.
"""
from __future__ import annotations

import errno
import hashlib
import http.client
import os
import re
import shutil
import stat
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Callable, Iterator, Mapping

from voice.errors import VoiceError
from voice.asr.vosk_model import CACHE_SUBDIR, ENV_VAR, MODEL_PREFIX, check_model_dir, find_model

DEFAULT_URL = "https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip"
# The Vosk site publishes no checksums; this is the SHA-256 of the official 41,205,931-byte
# archive, as recorded independently by several projects that pin it.
DEFAULT_SHA256 = "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498"
CHUNK = 64 * 1024
TIMEOUT = 30.0
WORK_PREFIX = ".vosk-download-"
ALLOWED_SCHEMES = ("https", "http", "file")

Progress = Callable[[int, "int | None"], None]
"""Called with (bytes received, total bytes or None when the server does not say)."""


@dataclass(frozen=True)
class ModelStatus:
    """One model folder the assistant could use, and what is wrong with it (None when whole)."""

    path: Path
    source: str
    problem: str | None
    active: bool


def default_dest(home: Path | None = None) -> Path:
    """vosk's own cache folder, where the recogniser looks when no model is named."""
    return (Path.home() if home is None else home) / CACHE_SUBDIR


def download_model(url: str = DEFAULT_URL, sha256: str | None = DEFAULT_SHA256,
                   dest: Path | str | None = None, progress: Progress | None = None) -> Path:
    """Install the model at `url` into `dest` (default ~/.cache/vosk) and return its folder.

    A model already installed whole under the archive's name is returned without
    downloading. `sha256` is required: an unverified model is never installed.
    """
    sha256 = _checked_pin(sha256)
    _checked_scheme(url)
    dest = Path(dest).expanduser() if dest is not None else default_dest()
    name = _archive_stem(url)
    if name and _is_whole(dest / name):
        return dest / name
    created = _make_dest(dest)
    work = _make_work_dir(dest)
    try:
        archive = work / "model.zip"
        _fetch(url, archive, sha256, progress)
        unpacked = work / "unpacked"
        model = _unpack(archive, unpacked, name or "vosk-model")
        archive.unlink()
        return _move_into_place(model, dest / model.name, work)
    except OSError as error:
        raise _os_error(error, dest) from error
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if created and not any(dest.iterdir()):
            dest.rmdir()


def model_status(option: Path | str | None = None, configured: Path | str | None = None,
                 environ: Mapping[str, str] | None = None, home: Path | None = None) -> list[ModelStatus]:
    """Every model the assistant can see (named one, $VOSK_MODEL_PATH, vosk's cache), checked."""
    environ = os.environ if environ is None else environ
    active = find_model(option, configured, environ, home)
    named = [(Path(value).expanduser(), source)
             for source, value in (("option", option), ("config", configured), ("environment", environ.get(ENV_VAR)))
             if value]
    cache = default_dest(home)
    cached = sorted(child for child in cache.iterdir()
                    if child.name.startswith(MODEL_PREFIX) and child.is_dir()) if cache.is_dir() else []
    seen: set[Path] = set()
    statuses = []
    for path, source in [*named, *((child, "cache") for child in cached)]:
        if path in seen:
            continue
        seen.add(path)
        statuses.append(ModelStatus(path, source, _problem(path), active is not None and active.path == path))
    return statuses


def progress_bar(received: int, total: int | None, width: int = 30) -> str:
    """One line for a terminal, e.g. `[#######.......]  12.0 / 39.3 MB  31%`."""
    mb = received / 1e6
    if not total:
        return f"{mb:6.1f} MB"
    fraction = min(received / total, 1.0)
    filled = int(fraction * width)
    return f"[{'#' * filled}{'.' * (width - filled)}] {mb:6.1f} / {total / 1e6:.1f} MB {fraction:4.0%}"


def _checked_pin(sha256: str | None) -> str:
    if not sha256 or not re.fullmatch(r"[0-9a-fA-F]{64}", sha256.strip()):
        raise VoiceError("No valid SHA-256 was given for the model archive, so it cannot be verified: "
                         "pass the archive's 64-digit SHA-256.")
    return sha256.strip().lower()


def _checked_scheme(url: str) -> None:
    if urllib.parse.urlsplit(url).scheme.lower() not in ALLOWED_SCHEMES:
        raise VoiceError(f"Cannot download {url!r}: give an https:// address (or file:// for a local copy).")


def _archive_stem(url: str) -> str:
    """The folder name an archive like .../vosk-model-small-en-us-0.15.zip unpacks to."""
    base = PurePosixPath(urllib.parse.unquote(urllib.parse.urlsplit(url).path)).name
    return base[:-4] if base.lower().endswith(".zip") else ""


def _is_whole(path: Path) -> bool:
    return _problem(path) is None


def _problem(path: Path) -> str | None:
    try:
        check_model_dir(path)
    except VoiceError as error:
        return str(error)
    return None


def _make_dest(dest: Path) -> bool:
    """Create `dest` if needed; True when this call created it (so a failure can remove it)."""
    if dest.is_dir():
        return False
    try:
        dest.mkdir(parents=True)
    except OSError as error:
        raise VoiceError(f"Cannot create the model folder {dest} ({error.strerror}): "
                         f"choose a folder you can write to.") from error
    return True


def _make_work_dir(dest: Path) -> Path:
    try:
        return Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=dest))
    except OSError as error:
        raise VoiceError(f"Cannot write to {dest} ({error.strerror}): choose a folder you can write to.") from error


def _fetch(url: str, archive: Path, sha256: str, progress: Progress | None) -> None:
    """Stream `url` into `archive`, hashing as it goes; raise VoiceError on any shortfall."""
    request = urllib.request.Request(url, headers={"User-Agent": "symptom-voice model installer"})
    host = urllib.parse.urlsplit(url).netloc or url
    received = 0
    total: int | None = None
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response, archive.open("wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            _check_space(archive.parent, total or 0)
            if progress:
                progress(0, total)
            for chunk in _chunks(response):
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                if progress:
                    progress(received, total)
    except urllib.error.HTTPError as error:
        raise VoiceError(f"Download failed: {host} answered HTTP {error.code} {error.reason} for {url}: "
                         f"check the address, or try again later.") from error
    except (http.client.IncompleteRead, ConnectionError) as error:
        raise _cut_off(url, received, total) from error
    except urllib.error.URLError as error:
        raise VoiceError(f"Cannot reach {host} ({error.reason}): check your internet connection, "
                         f"or fetch {url} on another computer and install it with a file:// address.") from error
    except TimeoutError as error:
        raise VoiceError(f"{host} stopped answering: check your internet connection and try again.") from error
    if total is not None and received < total:
        raise _cut_off(url, received, total)
    if digest.hexdigest() != sha256:
        raise VoiceError(f"The download from {url} failed its checksum (SHA-256 {digest.hexdigest()[:12]}..., "
                         f"expected {sha256[:12]}...): it is damaged or not the official model; try again.")


def _chunks(response: BinaryIO) -> Iterator[bytes]:
    while chunk := response.read(CHUNK):
        yield chunk


def _cut_off(url: str, received: int, total: int | None) -> VoiceError:
    of_total = f" of {total:,}" if total else ""
    return VoiceError(f"The download of {url} was cut off after {received:,}{of_total} bytes: run it again.")


def _unpack(archive: Path, root: Path, fallback_name: str) -> Path:
    """Extract a vetted archive under `root`; return the model folder, checked."""
    try:
        with zipfile.ZipFile(archive) as zf:
            members = _vetted_members(zf, root)
            _check_space(root.parent, sum(info.file_size for info, _ in members))
            root.mkdir()
            for info, target in members:
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as source, target.open("wb") as out:
                    shutil.copyfileobj(source, out, CHUNK)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as error:
        raise VoiceError(f"The model archive is not a readable zip ({error}): download it again.") from error
    tops = {path.relative_to(root).parts[0] for _, path in members}
    single = len(tops) == 1 and (root / next(iter(tops))).is_dir()
    model = root / next(iter(tops)) if single else root.rename(root.parent / fallback_name)
    problem = _problem(model)
    if problem:
        reason = problem.replace(str(model), model.name).split(":")[0]
        raise VoiceError(f"The archive does not hold a usable Vosk model ({reason}): check the download address.")
    return model


def _vetted_members(zf: zipfile.ZipFile, root: Path) -> list[tuple[zipfile.ZipInfo, Path]]:
    """Every entry with its target, or VoiceError naming the first one that could escape `root`."""
    members = []
    resolved_root = root.resolve()
    for info in zf.infolist():
        name = info.filename
        path = PurePosixPath(name)
        kind = stat.S_IFMT(info.external_attr >> 16)
        unsafe = ("an absolute path" if path.is_absolute() or re.match(r"[A-Za-z]:", name) else
                  "a backslash path" if "\\" in name else
                  "a '..' path" if ".." in path.parts else
                  "a link or special file" if kind not in (0, stat.S_IFREG, stat.S_IFDIR) else
                  "an empty name" if not path.parts else "")
        target = root.joinpath(*path.parts)
        if not unsafe and not target.resolve().is_relative_to(resolved_root):
            unsafe = "a path outside the model folder"
        if unsafe:
            raise VoiceError(f"The model archive is unsafe: entry {name!r} is {unsafe}, so nothing was installed; "
                             f"download the official model instead.")
        members.append((info, target))
    if not members:
        raise VoiceError("The model archive is empty: download it again.")
    return members


def _move_into_place(model: Path, target: Path, work: Path) -> Path:
    """Rename the finished model over `target`; a broken old copy goes to the work folder to be removed."""
    old = work / "previous"
    had_old = target.exists() or target.is_symlink()
    if had_old:
        os.replace(target, old)
    try:
        os.replace(model, target)
    except OSError:
        if had_old:
            os.replace(old, target)
        raise
    return target


def _check_space(folder: Path, needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise VoiceError(f"Not enough disk space in {folder.parent} (needs {needed / 1e6:.0f} MB, "
                         f"{free / 1e6:.0f} MB free): free some space or choose another folder.")


def _os_error(error: OSError, dest: Path) -> VoiceError:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return VoiceError(f"The disk holding {dest} is full: free some space or choose another folder.")
    return VoiceError(f"Installing the model into {dest} failed ({error.strerror or error}): "
                      f"check the folder is writable and try again.")

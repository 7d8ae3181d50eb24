"""Download, verify and install the Vosk model, all or nothing.

The archive is fetched (resumably, see `download.py`) into a hidden `.part` file in the
destination, its SHA-256 checked against a pinned value, every entry vetted before anything is
written, and the unpacked model checked with the same rules the recogniser uses, in a hidden work
folder on the same file system. Only then is it renamed into place (atomic). A failure removes
the work folder, so the destination never holds a half-installed model; only a download cut off
part-way keeps its `.part` file, so the next attempt resumes it.
"""
from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import tempfile
import urllib.parse
import zipfile
from pathlib import Path, PurePosixPath

from voice.asr.download import CHUNK, Progress, fetch
from voice.asr.vosk_model import CACHE_SUBDIR, model_problem
from voice.errors import VoiceError

DEFAULT_URL = "https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip"
# The Vosk site publishes no checksums; this is the SHA-256 of the official 41,205,931-byte
# archive, as recorded independently by several projects that pin it.
DEFAULT_SHA256 = "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498"
# Pins by archive name, so a copy fetched elsewhere (a mirror, a USB stick) is checked the same way.
KNOWN_ARCHIVES = {PurePosixPath(urllib.parse.urlsplit(DEFAULT_URL).path).name: DEFAULT_SHA256}
WORK_PREFIX = ".vosk-download-"
ALLOWED_SCHEMES = ("https", "http", "file")


def default_dest(home: Path | None = None) -> Path:
    """vosk's own cache folder, where the recogniser looks when no model is named."""
    return (Path.home() if home is None else home) / CACHE_SUBDIR


def download_model(url: str = DEFAULT_URL, sha256: str | None = None,
                   dest: Path | str | None = None, progress: Progress | None = None) -> Path:
    """Install the model at `url` (an address or a local .zip path) into `dest` (default ~/.cache/vosk).

    A model already installed whole under the archive's name is returned without downloading.
    `sha256` defaults to the pin of a known archive name; without a pin nothing is installed.
    """
    url = as_url(url)
    sha256 = _checked_pin(sha256 or KNOWN_ARCHIVES.get(_archive_name(url)))
    dest = Path(dest).expanduser() if dest is not None else default_dest()
    name = _archive_name(url).removesuffix(".zip") if _archive_name(url).lower().endswith(".zip") else ""
    if name and model_problem(dest / name) is None:
        return dest / name
    created = _make_dest(dest)
    partial = dest / f"{WORK_PREFIX}{sha256[:16]}.part"
    work: Path | None = None
    try:
        fetch(url, partial, sha256, progress)
        work = _make_work_dir(dest)
        try:
            model = _unpack(partial, work / "unpacked", name or "vosk-model")
        except VoiceError:
            partial.unlink()  # it passed its checksum, so fetching it again would not help
            raise
        installed = _move_into_place(model, dest / model.name, work)
        partial.unlink()
        return installed
    except OSError as error:
        raise _os_error(error, dest) from error
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
        if created and not any(dest.iterdir()):
            dest.rmdir()


def as_url(address: str) -> str:
    """An address as given, or a local path (`~/Downloads/model.zip`) as a file:// URL."""
    scheme = urllib.parse.urlsplit(address).scheme.lower()
    if not scheme:
        return Path(address).expanduser().resolve().as_uri()
    if scheme not in ALLOWED_SCHEMES:
        raise VoiceError(f"Cannot download {address!r}: give an https:// address (or the path of a local copy).")
    return address


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


def _archive_name(url: str) -> str:
    """The file name in the address: .../vosk-model-small-en-us-0.15.zip unpacks to that name less .zip."""
    return PurePosixPath(urllib.parse.unquote(urllib.parse.urlsplit(url).path)).name


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
    problem = model_problem(model)
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

"""download_model against a real HTTP server on 127.0.0.1 serving zips built here, and model_status."""
from __future__ import annotations

import hashlib
import http.server
import io
import os
import socket
import stat
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path
from typing import Iterator

import pytest
import vosk

from paths import ROOT
from vosk_test_model import write_half_copied_model, write_test_model
from voice.asr import download
from voice.asr import vosk_download as model_install
from voice.errors import VoiceError
from voice.asr.vosk_download import DEFAULT_SHA256, download_model, progress_bar
from voice.asr.vosk_model import ModelStatus, check_model_dir, model_status

MODEL_NAME = "vosk-model-test-0.1"


class Server:
    """A loopback HTTP server: `files` maps a path to bytes; `cut` paths send half their declared length
    (once each); Range requests are answered with 206 unless `ranges` is False; `stall` paths send
    half and then wait without closing."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.cut: set[str] = set()
        self.stall: set[str] = set()
        self.ranges = True
        self.requests: list[str] = []
        self.range_requests: list[str] = []
        self.released = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                start = 0
                wanted = self.headers.get("Range")
                if wanted:
                    server.range_requests.append(wanted)
                if wanted and server.ranges:
                    start = int(wanted.removeprefix("bytes=").rstrip("-"))
                    if start >= len(body):
                        self.send_error(416, "Range Not Satisfiable")
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Type", "application/zip")
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                if self.path in server.cut:
                    server.cut.discard(self.path)
                    self.wfile.write(body[start: start + (len(body) - start) // 2])
                elif self.path in server.stall:
                    self.wfile.write(body[start: start + (len(body) - start) // 2])
                    self.wfile.flush()
                    server.released.wait(10)
                else:
                    self.wfile.write(body[start:])
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def add(self, path: str, body: bytes) -> tuple[str, str]:
        """Serve `body` at `path`; return its URL and SHA-256."""
        self.files[path] = body
        return self.url(path), hashlib.sha256(body).hexdigest()


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    folder = tmp_path / "cache" / "vosk"
    folder.mkdir(parents=True)
    return folder


def model_zip(tmp_path: Path, extra: list[tuple[zipfile.ZipInfo | str, bytes]] = (), top: str = MODEL_NAME) -> bytes:
    """A zip like the official one: one top folder holding a (tiny, real) model, plus `extra` entries."""
    model = write_test_model(tmp_path / "build" / top)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(model, top + "/")
        for path in sorted(model.rglob("*")):
            zf.write(path, f"{top}/{path.relative_to(model).as_posix()}")
        for info, data in extra:
            zf.writestr(info, data)
    return buffer.getvalue()


def assert_nothing_installed(dest: Path) -> None:
    """No model and no work folder: at most the hidden partial download kept for resuming."""
    assert [p.name for p in dest.iterdir() if not p.name.endswith(".part")] == []


def partials(dest: Path) -> list[Path]:
    return sorted(dest.glob(".vosk-download-*.part"))


def test_good_archive_installs_a_model_libvosk_loads(server, dest, tmp_path):
    url, sha = server.add(f"/{MODEL_NAME}.zip", model_zip(tmp_path))
    seen: list[tuple[int, int | None]] = []
    installed = download_model(url, sha, dest, progress=lambda done, total: seen.append((done, total)))
    assert installed == dest / MODEL_NAME
    assert [p.name for p in dest.iterdir()] == [MODEL_NAME]
    check_model_dir(installed)
    vosk.SetLogLevel(-1)
    assert vosk.KaldiRecognizer(vosk.Model(str(installed)), 16000) is not None
    size = len(server.files[f"/{MODEL_NAME}.zip"])
    assert seen[0] == (0, size) and seen[-1] == (size, size)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_installed_model_is_not_downloaded_again(server, dest, tmp_path):
    url, sha = server.add(f"/{MODEL_NAME}.zip", model_zip(tmp_path))
    download_model(url, sha, dest)
    assert download_model(url, sha, dest) == dest / MODEL_NAME
    assert len(server.requests) == 1


def test_broken_install_is_replaced_whole(server, dest, tmp_path):
    write_half_copied_model(dest / MODEL_NAME)
    url, sha = server.add(f"/{MODEL_NAME}.zip", model_zip(tmp_path))
    check_model_dir(download_model(url, sha, dest))
    assert [p.name for p in dest.iterdir()] == [MODEL_NAME]


def test_archive_without_top_folder_is_named_after_the_url(server, dest, tmp_path):
    model = write_test_model(tmp_path / "flat")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for path in sorted(model.rglob("*")):
            zf.write(path, path.relative_to(model).as_posix())
    url, sha = server.add("/vosk-model-flat-1.zip", buffer.getvalue())
    assert download_model(url, sha, dest) == dest / "vosk-model-flat-1"
    check_model_dir(dest / "vosk-model-flat-1")


def test_wrong_checksum(server, dest, tmp_path):
    url, _ = server.add(f"/{MODEL_NAME}.zip", model_zip(tmp_path))
    with pytest.raises(VoiceError, match="checksum"):
        download_model(url, "0" * 64, dest)
    assert_nothing_installed(dest)


@pytest.mark.parametrize("sha", [None, "", "abc123"])
def test_missing_pin_is_refused_before_any_download(server, dest, tmp_path, sha):
    url, _ = server.add(f"/{MODEL_NAME}.zip", model_zip(tmp_path))
    with pytest.raises(VoiceError, match="SHA-256"):
        download_model(url, sha, dest)
    assert server.requests == []
    assert_nothing_installed(dest)


def symlink_entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize("entry, reason", [
    (f"{MODEL_NAME}/../../escaped.txt", "'..'"),
    ("../escaped.txt", "'..'"),
    ("/tmp/escaped-by-symptom-voice-test.txt", "absolute"),
    ("C:/escaped.txt", "absolute"),
    (f"{MODEL_NAME}\\..\\..\\escaped.txt", "backslash"),
    (symlink_entry(f"{MODEL_NAME}/am/link"), "link"),
])
def test_unsafe_entry_installs_nothing(server, dest, tmp_path, entry, reason):
    url, sha = server.add(f"/{MODEL_NAME}.zip", model_zip(tmp_path, [(entry, b"/etc/passwd")]))
    with pytest.raises(VoiceError, match=f"unsafe.*{reason}"):
        download_model(url, sha, dest)
    assert_nothing_installed(dest)
    assert not list(tmp_path.rglob("escaped*"))
    assert not Path("/tmp/escaped-by-symptom-voice-test.txt").exists()


def test_truncated_download_is_resumed_where_it_stopped(server, dest, tmp_path):
    body = model_zip(tmp_path)
    url, sha = server.add(f"/{MODEL_NAME}.zip", body)
    server.cut.add(f"/{MODEL_NAME}.zip")
    with pytest.raises(VoiceError, match="cut off after .* bytes: run it again to resume"):
        download_model(url, sha, dest)
    assert_nothing_installed(dest)
    (kept,) = partials(dest)
    assert kept.read_bytes() == body[: len(body) // 2]
    seen: list[tuple[int, int | None]] = []
    check_model_dir(download_model(url, sha, dest, progress=lambda done, total: seen.append((done, total))))
    assert server.range_requests == [f"bytes={len(body) // 2}-"]
    assert seen[0] == (len(body) // 2, len(body)) and seen[-1] == (len(body), len(body))
    assert partials(dest) == []


def test_a_server_that_cannot_resume_sends_it_all_again(server, dest, tmp_path):
    url, sha = server.add(f"/{MODEL_NAME}.zip", model_zip(tmp_path))
    server.cut.add(f"/{MODEL_NAME}.zip")
    server.ranges = False
    with pytest.raises(VoiceError, match="cut off"):
        download_model(url, sha, dest)
    check_model_dir(download_model(url, sha, dest))
    assert len(server.range_requests) == 1 and partials(dest) == []


def test_a_kept_part_of_another_file_fails_its_checksum_once_then_starts_clean(server, dest, tmp_path):
    url, sha = server.add(f"/{MODEL_NAME}.zip", model_zip(tmp_path))
    stale = dest / f".vosk-download-{sha[:16]}.part"
    stale.write_bytes(b"not the start of this archive")
    with pytest.raises(VoiceError, match="failed its checksum"):
        download_model(url, sha, dest)
    assert partials(dest) == []
    check_model_dir(download_model(url, sha, dest))


def test_a_complete_kept_archive_is_installed_without_the_network(server, dest, tmp_path):
    body = model_zip(tmp_path)
    url, sha = server.add(f"/{MODEL_NAME}.zip", body)
    (dest / f".vosk-download-{sha[:16]}.part").write_bytes(body)
    check_model_dir(download_model(url, sha, dest))
    assert server.requests == []


def test_a_connection_nobody_answers_fails_within_the_connect_timeout(dest):
    """A listening socket whose queue is full drops new connections, as a firewall does."""
    with socket.socket() as blackhole, socket.socket() as filler:
        blackhole.bind(("127.0.0.1", 0))
        blackhole.listen(0)
        filler.connect(blackhole.getsockname())
        started = time.monotonic()
        with pytest.raises(VoiceError, match=r"Cannot reach 127\.0\.0\.1:\d+ \(no answer within 5 s\): check your"):
            download_model(f"http://127.0.0.1:{blackhole.getsockname()[1]}/m.zip", "0" * 64, dest)
        assert time.monotonic() - started < download.CONNECT_TIMEOUT + 3
    assert_nothing_installed(dest)


def test_a_transfer_that_stalls_keeps_what_came(server, dest, tmp_path, monkeypatch):
    monkeypatch.setattr(download, "READ_TIMEOUT", 0.5)
    url, sha = server.add(f"/{MODEL_NAME}.zip", model_zip(tmp_path))
    server.stall.add(f"/{MODEL_NAME}.zip")
    try:
        with pytest.raises(VoiceError, match="stopped answering after .* bytes: .* run it again to resume"):
            download_model(url, sha, dest)
    finally:
        server.released.set()
    (kept,) = partials(dest)
    assert kept.stat().st_size == len(server.files[f"/{MODEL_NAME}.zip"]) // 2


def test_http_404(server, dest):
    with pytest.raises(VoiceError, match="HTTP 404"):
        download_model(server.url("/missing.zip"), "0" * 64, dest)
    assert_nothing_installed(dest)


def test_no_server_listening(dest):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(VoiceError, match="Cannot reach.*internet"):
        download_model(f"http://127.0.0.1:{port}/m.zip", "0" * 64, dest)
    assert_nothing_installed(dest)


def test_not_a_zip(server, dest):
    url, sha = server.add("/vosk-model-junk.zip", b"<html>not found</html>")
    with pytest.raises(VoiceError, match="not a readable zip"):
        download_model(url, sha, dest)
    assert_nothing_installed(dest)


def test_zip_without_a_model(server, dest):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("something/README", "hello")
    url, sha = server.add("/vosk-model-empty.zip", buffer.getvalue())
    with pytest.raises(VoiceError, match="not hold a usable Vosk model"):
        download_model(url, sha, dest)
    assert_nothing_installed(dest)


def test_interrupted_download_installs_nothing_and_resumes(server, dest, tmp_path):
    padding = (f"{MODEL_NAME}/padding.bin", os.urandom(400_000))  # several chunks, like the real 40 MB
    url, sha = server.add(f"/{MODEL_NAME}.zip", model_zip(tmp_path, [padding]))

    def interrupt(done: int, total: int | None) -> None:
        if done:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        download_model(url, sha, dest, progress=interrupt)
    assert_nothing_installed(dest)
    assert len(partials(dest)) == 1
    check_model_dir(download_model(url, sha, dest))
    assert len(server.range_requests) == 1


def test_destination_created_for_the_download_is_removed_on_failure(server, tmp_path):
    dest = tmp_path / "new" / "vosk"
    url, _ = server.add(f"/{MODEL_NAME}.zip", model_zip(tmp_path))
    with pytest.raises(VoiceError):
        download_model(url, "0" * 64, dest)
    assert not dest.exists()


def test_disk_full_is_a_voice_error(server, dest, tmp_path, monkeypatch):
    """A fake disk_usage: the real check with no real full disk to hand."""
    url, sha = server.add(f"/{MODEL_NAME}.zip", model_zip(tmp_path))
    monkeypatch.setattr(model_install.shutil, "disk_usage", lambda path: type("Usage", (), {"free": 10})())
    with pytest.raises(VoiceError, match="disk space"):
        download_model(url, sha, dest)
    assert_nothing_installed(dest)


def test_plain_ftp_address_is_refused(dest):
    with pytest.raises(VoiceError, match="https://"):
        download_model("ftp://example.invalid/m.zip", "0" * 64, dest)


def test_default_pin_is_the_official_small_english_model():
    assert model_install.DEFAULT_URL.endswith("/vosk-model-small-en-us-0.15.zip")
    assert model_install.DEFAULT_SHA256 == "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498"
    assert model_install.default_dest(Path("/home/u")) == Path("/home/u/.cache/vosk")


def test_model_status_lists_named_and_cached_models(tmp_path):
    cache = tmp_path / ".cache" / "vosk"
    good = write_test_model(cache / "vosk-model-small-en-us-0.15")
    broken = write_half_copied_model(cache / "vosk-model-en-us-0.22")
    elsewhere = write_test_model(tmp_path / "mine")
    statuses = model_status(environ={"VOSK_MODEL_PATH": str(elsewhere)}, home=tmp_path)
    assert statuses == [
        ModelStatus(elsewhere, "environment", None, True),
        ModelStatus(broken, "cache", statuses[1].problem, False),
        ModelStatus(good, "cache", None, False),
    ]
    assert "half-copied" in statuses[1].problem
    assert [s.in_use for s in model_status(environ={}, home=tmp_path)] == [False, True]
    assert model_status(environ={}, home=tmp_path / "nobody") == []


def test_progress_bar():
    assert progress_bar(0, 100, width=10) == "[..........]    0.0 / 0.0 MB   0%"
    assert progress_bar(20_000_000, 40_000_000, width=10) == "[#####.....]   20.0 / 40.0 MB  50%"
    assert progress_bar(1_500_000, None) == "   1.5 MB"


def test_disk_filling_up_while_unpacking_is_a_voice_error(server, dest, tmp_path, monkeypatch):
    """A fake write failure: the real ENOSPC path with no real full disk to hand."""
    url, sha = server.add(f"/{MODEL_NAME}.zip", model_zip(tmp_path))

    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(model_install.shutil, "copyfileobj", full)
    with pytest.raises(VoiceError, match="disk holding .* is full"):
        download_model(url, sha, dest)
    assert_nothing_installed(dest)


def local_archive(tmp_path: Path, name: str) -> Path:
    path = tmp_path / "usb-stick" / name
    path.parent.mkdir()
    path.write_bytes(model_zip(tmp_path))
    return path


def test_a_copy_of_the_official_archive_is_checked_against_the_built_in_pin(dest, tmp_path):
    copy = local_archive(tmp_path, "vosk-model-small-en-us-0.15.zip")  # the name, not the official bytes
    with pytest.raises(VoiceError, match=f"failed its checksum .* expected {DEFAULT_SHA256[:12]}"):
        download_model(copy.as_uri(), None, dest)
    with pytest.raises(VoiceError, match=f"expected {DEFAULT_SHA256[:12]}"):
        download_model(str(copy), None, dest)
    assert_nothing_installed(dest)


def test_a_local_path_installs_with_its_checksum(dest, tmp_path):
    copy = local_archive(tmp_path, f"{MODEL_NAME}.zip")
    sha = hashlib.sha256(copy.read_bytes()).hexdigest()
    check_model_dir(download_model(str(copy), sha, dest))
    assert [p.name for p in dest.iterdir()] == [MODEL_NAME]


def test_a_missing_local_copy_is_not_blamed_on_the_internet(dest, tmp_path):
    missing = tmp_path / "Downloads" / "vosk-model-small-en-us-0.15.zip"
    for address in (missing.as_uri(), str(missing)):
        with pytest.raises(VoiceError) as caught:
            download_model(address, None, dest)
        assert str(caught.value) == f"{missing} does not exist: give the path of the downloaded model archive."
    assert_nothing_installed(dest)


def cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    """The command line with its output as bytes decoded by hand, so a carriage return stays one."""
    done = subprocess.run([sys.executable, "-m", "voice", *args], cwd=ROOT, capture_output=True, timeout=120,
                          stdin=subprocess.DEVNULL, env={**os.environ, "HOME": str(home)})
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


def test_the_progress_bar_and_an_error_never_share_a_line(server, tmp_path):
    url, sha = server.add(f"/{MODEL_NAME}.zip", model_zip(tmp_path))
    server.cut.add(f"/{MODEL_NAME}.zip")
    done = cli("model", "download", "--url", url, "--sha256", sha, home=tmp_path)
    assert done.returncode == 2
    bar, error = done.stderr.rstrip("\n").split("\n")
    assert bar.split("\r")[-1].startswith("[###############...............]")
    assert error.startswith(f"symptom-voice: The download of {url} was cut off after ")
    again = cli("model", "download", "--url", url, "--sha256", sha, home=tmp_path)
    assert again.returncode == 0 and again.stderr.split("\r")[-1].startswith("[" + "#" * 30 + "]")
    assert again.stdout == (f"The Vosk model is installed in {tmp_path / '.cache' / 'vosk' / MODEL_NAME}: "
                            f"the assistant will listen with it.\n")


def test_status_of_a_model_path_that_does_not_exist(tmp_path):
    done = subprocess.run([sys.executable, "-m", "voice", "model", "status"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path),
                                                       "VOSK_MODEL_PATH": "/tmp/nonexist"})
    assert done.returncode == 0 and "in use" not in done.stdout
    assert done.stdout.splitlines() == [
        "/tmp/nonexist  (environment; broken: Vosk model folder /tmp/nonexist does not exist: download "
        "vosk-model-small-en-us-0.15 from alphacephei.com/vosk/models and unzip it into ~/.cache/vosk, or pass "
        "--model DIR.)",
        "So the assistant listens with PocketSphinx (built in).",
    ]

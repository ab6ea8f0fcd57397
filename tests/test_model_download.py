"""The model arrives on first use: downloaded from a local server (127.0.0.1) with progress,
resumed after a dropped connection, checked against the sha256 digits in its name, loaded
through demucs' own loader; offline, one clear line."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from model_server import ModelServer
from woodshed.separation import model_download
from woodshed.separation.errors import UserError
from woodshed.separation.model import load_model


@pytest.fixture
def server(tmp_path, monkeypatch):
    server = ModelServer(tmp_path / "server").start()
    for key, value in server.env(tmp_path / "models").items():
        monkeypatch.setenv(key, value)
    yield server
    server.stop()


def test_first_use_downloads_with_progress_then_loads_through_demucs(server, tmp_path):
    reports = []
    model = load_model(server.name, download_progress=reports.append)
    assert list(model.sources) == ["drums", "bass", "other", "vocals", "guitar", "piano"]
    stored = tmp_path / "models" / server.file_name
    assert stored.read_bytes() == server.payload
    assert reports[-1].done_bytes == reports[-1].total_bytes == len(server.payload)
    done = [r.done_bytes for r in reports]
    assert done == sorted(done) and len(set(done)) > 1
    # The second time: nothing downloaded (no request at all), same model.
    server.requests.clear()
    load_model(server.name, download_progress=reports.append)
    assert server.requests == []


def test_a_dropped_connection_resumes_where_it_broke(server, tmp_path):
    server.drop_after_bytes = 50_000
    notes = []
    load_model(server.name, download_progress=lambda p: notes.append(p.note))
    gets = [r for method, r in server.requests if method == "GET"]
    assert gets[0] is None and gets[1].startswith("bytes=") and int(gets[1][6:-1]) >= 40_000
    assert (tmp_path / "models" / server.file_name).read_bytes() == server.payload
    assert any("connection broke" in note and "resuming" in note for note in notes)


def test_a_corrupted_download_is_never_kept_and_is_downloaded_again(server, tmp_path):
    server.corrupt_once = True
    notes = []
    load_model(server.name, download_progress=lambda p: notes.append(p.note))
    assert any("damaged (checksum mismatch)" in note for note in notes)
    assert (tmp_path / "models" / server.file_name).read_bytes() == server.payload
    assert len([m for m, _ in server.requests if m == "GET"]) == 2


def test_a_damaged_file_on_disk_is_replaced_before_loading(server, tmp_path):
    load_model(server.name)
    stored = tmp_path / "models" / server.file_name
    stored.write_bytes(stored.read_bytes()[:1000])  # a truncated copy (disk trouble, a kill)
    notes = []
    load_model(server.name, download_progress=lambda p: notes.append(p.note))
    assert stored.read_bytes() == server.payload
    assert any("on disk was damaged" in note and "downloading it again" in note for note in notes)


def test_twice_damaged_is_one_clear_error_and_nothing_is_kept(server, tmp_path, monkeypatch):
    monkeypatch.setattr(model_download, "sha256_matches", lambda path, prefix: False)
    with pytest.raises(UserError, match="damaged twice"):
        model_download.ensure_model(server.name)
    assert not list((tmp_path / "models").glob("*.th*"))


def test_cancel_keeps_the_partial_file_and_the_next_run_resumes_it(server, tmp_path):
    server.bytes_per_s = 200_000
    seen = []

    def cancelled():
        return bool(seen) and seen[-1] > 30_000

    with pytest.raises(model_download.DownloadCancelled):
        model_download.ensure_model(server.name, lambda p: seen.append(p.done_bytes), cancelled)
    partial = tmp_path / "models" / (server.file_name + model_download.PARTIAL_SUFFIX)
    assert partial.stat().st_size > 30_000
    server.bytes_per_s = None
    server.requests.clear()
    model_download.ensure_model(server.name)
    assert (tmp_path / "models" / server.file_name).read_bytes() == server.payload
    assert [r for m, r in server.requests if m == "GET"][0].startswith("bytes=")


def test_offline_says_so_in_one_line(server, monkeypatch):
    server.stop()  # nothing listens there any more
    with pytest.raises(UserError) as caught:
        load_model(server.name)
    message = caught.value.message
    assert "offline?" in message and "127.0.0.1" in message
    assert "folder of model weights" in message


def test_the_urls_come_from_demucs_own_catalogue(monkeypatch):
    monkeypatch.delenv("WOODSHED_MODEL_URL", raising=False)
    monkeypatch.delenv("WOODSHED_MODEL_CATALOGUE", raising=False)
    from demucs import pretrained

    files = model_download.weights_files("htdemucs_6s")
    assert files and all(f.url.startswith(pretrained.ROOT_URL) for f in files)
    assert all(f.url.endswith(f.name) and f.name.split("-")[1].startswith(f.sha256_prefix)
               for f in files)


def test_terminal_shows_the_download_then_separates(server, tmp_path, cache_dir):
    song = tmp_path / "song.wav"
    t = np.arange(44100 * 2) / 44100
    sf.write(song, np.stack([np.sin(2 * np.pi * 220 * t)] * 2, axis=1) * 0.3, 44100)
    server.drop_after_bytes = 40_000
    env = {**os.environ, **server.env(tmp_path / "models"), "WOODSHED_CACHE_DIR": str(cache_dir)}
    done = subprocess.run([sys.executable, "-m", "woodshed.player", "separate", str(song),
                           "--model", server.name], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"Downloading model {server.name}" in done.stderr
    assert "connection broke" in done.stderr and "resuming" in done.stderr
    assert "118k" in done.stderr or "118kB" in done.stderr.replace(" ", "")
    assert done.stdout.strip().startswith(str(cache_dir))

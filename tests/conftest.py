import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parent))

import tiny_models  # noqa: E402

# Real audio devices without a sound card: JACK dummy server, ALSA file-plugin capture.
pytest_plugins = ["audio_devices"]


@pytest.fixture(scope="session")
def model_repo(tmp_path_factory) -> Path:
    """A local demucs repo with test6s (6 stems), test4s (4 stems) and testbag (bag of two)."""
    return tiny_models.build_repo(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session", autouse=True)
def _no_real_data_folder(tmp_path_factory):
    """The same for module- and session-scoped fixtures, which run before any test's own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WOODSHED_DATA_DIR", str(tmp_path_factory.mktemp("data")))
        yield


@pytest.fixture(autouse=True)
def _own_data_folder(tmp_path, monkeypatch):
    """No test writes the musician's real data folder (window settings, sessions, the error
    log): each test gets its own, as the data_dir fixture names it."""
    monkeypatch.setenv("WOODSHED_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    """A fresh, empty stem cache for this test (WOODSHED_CACHE_DIR)."""
    d = tmp_path / "cache"
    monkeypatch.setenv("WOODSHED_CACHE_DIR", str(d))
    monkeypatch.delenv("WOODSHED_CACHE_LIMIT", raising=False)
    return d


# Real music: Debian's fretsonfire-songs-sectoid, fetched at test time, never committed.
@pytest.fixture(scope="session")
def sectoid_songs(tmp_path_factory) -> Path:
    """Debian's fretsonfire-songs-sectoid (four CC BY-SA songs as real multitracks)."""
    if not (shutil.which("apt-get") and shutil.which("dpkg")):
        pytest.skip("fretsonfire-songs-sectoid cannot be had: no apt-get/dpkg on this machine")
    where = tmp_path_factory.mktemp("sectoid")
    try:
        fetched = subprocess.run(["apt-get", "download", "fretsonfire-songs-sectoid"], cwd=where,
                                 capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        pytest.skip("fretsonfire-songs-sectoid cannot be had: apt-get download timed out")
    debs = list(where.glob("fretsonfire-songs-sectoid_*.deb"))
    if fetched.returncode != 0 or not debs:
        reason = (fetched.stderr.strip().splitlines() or ["no .deb"])[-1]
        pytest.skip(f"fretsonfire-songs-sectoid cannot be had (apt-get download: {reason})")
    subprocess.run(["dpkg", "-x", str(debs[0]), str(where / "root")], check=True, timeout=300)
    songs = where / "root/usr/share/games/fretsonfire/data/songs/sectoid"
    assert (songs / "Metal madness" / "song.ini").is_file()
    return songs

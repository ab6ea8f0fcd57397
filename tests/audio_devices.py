"""Real audio devices without a sound card, for tests and benchmarks (see DESIGN.md).

- ``JackServer``: a JACK server with its ``dummy`` driver, paced in real time like a sound
  card. PortAudio sees it through its JACK host API as the output device ``system``.
- ``AlsaCapture``: an ALSA PCM of type ``file`` that writes everything played to it to a WAV
  file, then hands it on to that JACK server (so it keeps real-time pace). PortAudio sees it
  through its ALSA host API as the device ``woodshed_capture``.

PortAudio lists devices only when it initialises, so both re-scan (``rescan_devices``)
after they appear or go. Fixtures skip with a reason when jackd or the ALSA plugins are
missing (on Debian/Ubuntu: ``apt-get install jackd2 libasound2-plugins``), except where
WOODSHED_REQUIRE_AUDIO is set (.ci/run sets it): there a device that cannot be had fails the
test, so an audio test never turns into a green skip. (Not ``CI``: other CI services set it
on machines without JACK.)

``without_underflow`` plays again when a run had an underflow (a gap that spoils a check
for clicks or a sample-by-sample comparison): a check is retried, never skipped.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

SAMPLE_RATE = 44100
PERIOD_FRAMES = 256
ALSA_MAIN_CONFIG = Path("/usr/share/alsa/alsa.conf")
ALSA_PLUGIN_DIRS = [Path("/usr/lib/x86_64-linux-gnu/alsa-lib"), Path("/usr/lib/aarch64-linux-gnu/alsa-lib"),
                    Path("/usr/lib64/alsa-lib"), Path("/usr/lib/alsa-lib")]
CAPTURE_PCM = "woodshed_capture"
SERVER_NAME_POOL = 6


JACK_METADATA_DIR = Path(f"/dev/shm/jack_db-{os.getuid()}")
BERKELEY_DB_STAT = ("db_stat", "db5.3_stat")
SET_ASIDE: list[str] = []  # what set_aside_stuck_jack_metadata did, for the run's summary


def _dead(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def set_aside_stuck_jack_metadata() -> str | None:
    """JACK keeps port metadata in a Berkeley DB (JACK_METADATA_DIR) that every JACK client of
    this user opens when it starts (PortAudio's start opens two). A process that dies inside
    that open (tests kill processes) can leave a write lock held for ever, and every later
    client, PortAudio's start included, then waits for ever: it hung a CI run. A database
    whose write lock is held by a dead process is moved aside (the next client makes a new
    one); what was moved is returned. Needs Berkeley DB's db_stat (Debian: db5.3-util) to
    read the locks; without it, nothing is checked."""
    stat = next((shutil.which(name) for name in BERKELEY_DB_STAT if shutil.which(name)), None)
    if stat is None or not JACK_METADATA_DIR.is_dir():
        return None
    try:  # -N: read the lock table without taking its mutexes (a stuck one would hang us)
        listing = subprocess.run([stat, "-N", "-h", str(JACK_METADATA_DIR), "-Cl"],
                                 capture_output=True, text=True, timeout=10).stdout
    except subprocess.TimeoutExpired:
        return None
    stuck = []
    for line in listing.splitlines():
        # "     200 dd= 0 locks held 1    write locks 1    pid/thread 8642/1401828..."
        words = line.split()
        if "pid/thread" in words and "write" in words:
            writes = int(words[words.index("write") + 2])
            pid = int(words[words.index("pid/thread") + 1].split("/")[0])
            if writes and _dead(pid):
                stuck.append(pid)
    if not stuck:
        return None
    aside = JACK_METADATA_DIR.with_name(f"{JACK_METADATA_DIR.name}.stuck-{time.time_ns()}")
    JACK_METADATA_DIR.rename(aside)
    said = (f"JACK's metadata lock was held by dead process {', '.join(map(str, stuck))}: "
            f"its database moved to {aside}")
    SET_ASIDE.append(said)
    return said


def rescan_devices() -> None:
    """Make PortAudio enumerate devices again (it does so only at initialisation)."""
    import sounddevice as sd

    set_aside_stuck_jack_metadata()

    sd._terminate()
    sd._initialize()


def find_output_device(name: str, host_api: str) -> int | None:
    """PortAudio index of the output device called ``name`` under a host API, or None."""
    import sounddevice as sd

    for api in sd.query_hostapis():
        if host_api.lower() in api["name"].lower():
            for index in api["devices"]:
                info = sd.query_devices(index)
                if info["name"] == name and info["max_output_channels"] > 0:
                    return index
    return None


def _running(server_name: str) -> bool:
    probe = subprocess.run(["jack_wait", "-c", "-s", server_name], capture_output=True, text=True)
    return "running" in probe.stdout and "not" not in probe.stdout


def _die_with_parent() -> None:
    """In the child before exec: end jackd if the test process dies without stopping it."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class JackServer:
    """``jackd -d dummy`` under a name of its own; JACK clients in this process use it.

    JACK_DEFAULT_SERVER is set in os.environ while it runs, because both PortAudio's JACK
    host API and ALSA's jack plugin read it when they connect.
    """

    def __init__(self, sample_rate: int = SAMPLE_RATE, period_frames: int = PERIOD_FRAMES):
        self.sample_rate = sample_rate
        self.period_frames = period_frames
        self.name = ""
        self.process: subprocess.Popen | None = None
        self.realtime = False
        self._previous_server = None

    @staticmethod
    def unavailable_reason() -> str | None:
        if shutil.which("jackd") is None:
            return "jackd not installed (Debian/Ubuntu: apt-get install jackd2)"
        try:
            import sounddevice  # noqa: F401
        except OSError as exc:  # no libportaudio2
            return f"PortAudio not available: {exc}"
        return None

    def start(self) -> "JackServer":
        set_aside_stuck_jack_metadata()
        self._previous_server = os.environ.get("JACK_DEFAULT_SERVER")
        said = []
        # JACK's shared registry holds 8 servers and keeps the entry of one that crashed
        # until a server of the same name starts: so names come from a small fixed pool,
        # taking the first free one, rather than a new name each time.
        for self.name in (f"woodshed-test-{n}" for n in range(SERVER_NAME_POOL)):
            if _running(self.name):
                continue
            os.environ["JACK_DEFAULT_SERVER"] = self.name
            # Real-time scheduling when allowed (root or rtprio limits), else plain threads.
            for realtime in (True, False):
                flag = "-R" if realtime else "--no-realtime"
                self.process = subprocess.Popen(
                    ["jackd", flag, "-n", self.name, "-d", "dummy", "-r", str(self.sample_rate),
                     "-p", str(self.period_frames)],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                    start_new_session=True, preexec_fn=_die_with_parent)
                if self._wait_ready():
                    self.realtime = realtime
                    self._drain_stderr()
                    rescan_devices()
                    return self
                self._kill()
                said = self.process.stderr.read().decode(errors="replace").strip().splitlines()
                if said and "already active" in said[-1]:
                    break  # another test run took this name meanwhile: next name
        self._restore_env()
        raise RuntimeError(f"jackd (dummy driver) would not start: "
                           f"{said[-1] if said else 'every test server name is in use'}")

    def _drain_stderr(self) -> None:
        """Read what jackd says for as long as it runs (its last lines kept in ``said``):
        a full pipe blocks jackd in a write, and with it every client's cycle. A session's
        worth of xrun and client messages filled the 64 KiB pipe and hung the server."""
        import collections
        import threading

        self.said = collections.deque(maxlen=50)
        stream = self.process.stderr

        def drain():
            for line in iter(stream.readline, b""):
                self.said.append(line.decode(errors="replace").rstrip())

        threading.Thread(target=drain, name="jackd-stderr", daemon=True).start()

    def _wait_ready(self, timeout_s: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            if _running(self.name):
                return True
            time.sleep(0.1)
        return False

    @property
    def portaudio_device(self) -> int:
        """PortAudio index of this server's playback ports (JACK host API, 'system')."""
        index = find_output_device("system", "JACK")
        if index is None:
            raise RuntimeError("PortAudio does not list the JACK server (no JACK host API?)")
        return index

    def kill(self) -> None:
        """Stop the server at once (SIGKILL), as when a device is unplugged.

        (Its entry stays in JACK's registry until a server of the same name starts: the
        name pool reclaims it.)"""
        self._kill(signal.SIGKILL)

    def _kill(self, sig=signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            set_aside_stuck_jack_metadata()  # a server killed mid-write leaves the lock held

    def _restore_env(self) -> None:
        if self._previous_server is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = self._previous_server

    def stop(self) -> None:
        # PortAudio's JACK host API asserts (aborting the process) if its server has gone
        # when it terminates: re-scan first, then stop the server.
        self._restore_env()
        rescan_devices()
        self._kill()


class AlsaCapture:
    """ALSA PCM ``woodshed_capture``: type file (raw float32 of what was played) → JACK, real-time paced.

    ALSA_CONFIG_PATH points at the system's alsa.conf plus our own file, so nothing in the
    user's home changes. The file is rewritten each time a stream opens the device.
    """

    def __init__(self, folder: Path, jack: JackServer):
        self.folder = Path(folder)
        self.jack = jack
        self.raw_path = self.folder / "captured.f32"
        self.config_path = self.folder / "asoundrc"
        self._previous_config = None

    @staticmethod
    def unavailable_reason() -> str | None:
        if not ALSA_MAIN_CONFIG.is_file():
            return f"ALSA configuration {ALSA_MAIN_CONFIG} missing (apt-get install libasound2)"
        if not any((d / "libasound_module_pcm_jack.so").is_file() for d in ALSA_PLUGIN_DIRS):
            return "ALSA jack plugin missing (Debian/Ubuntu: apt-get install libasound2-plugins)"
        return None

    def start(self) -> "AlsaCapture":
        self.folder.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(f"""\
pcm.{CAPTURE_PCM} {{
    type file
    file "{self.raw_path}"
    format "raw"
    slave.pcm {{
        type jack
        playback_ports {{ 0 system:playback_1 1 system:playback_2 }}
    }}
    hint {{ show on description "Woodshed test capture" }}
}}
""")
        self._previous_config = os.environ.get("ALSA_CONFIG_PATH")
        os.environ["ALSA_CONFIG_PATH"] = f"{ALSA_MAIN_CONFIG}:{self.config_path}"
        rescan_devices()
        if self.portaudio_device is None:
            self.stop()
            raise RuntimeError(f"PortAudio does not list the ALSA PCM {CAPTURE_PCM}")
        return self

    @property
    def portaudio_device(self) -> int | None:
        return find_output_device(CAPTURE_PCM, "ALSA")

    def read(self) -> tuple[np.ndarray, int]:
        """What left the program, as (channels, frames) float32, and its sample rate."""
        # ALSA's jack plugin takes only float32; the file plugin writes the slave's format.
        # (Its "wav" header would claim 32-bit integers, hence raw.)
        data = np.fromfile(self.raw_path, dtype="<f4")
        frames = data.size // 2
        return np.ascontiguousarray(data[:frames * 2].reshape(frames, 2).T), self.jack.sample_rate

    def frames_written(self) -> int:
        """Frames the program has handed to the device so far (from the file's size)."""
        size = self.raw_path.stat().st_size if self.raw_path.exists() else 0
        return size // (4 * 2)

    def stop(self) -> None:
        if self._previous_config is None:
            os.environ.pop("ALSA_CONFIG_PATH", None)
        else:
            os.environ["ALSA_CONFIG_PATH"] = self._previous_config
        rescan_devices()


def skip_unless_jack_and_alsa() -> None:
    """For tests that start their own servers (in a child process): skip, saying why, when
    jackd or the ALSA plugins are missing."""
    _skip_unless_available(JackServer.unavailable_reason(), AlsaCapture.unavailable_reason())


REQUIRE_AUDIO_VARIABLE = "WOODSHED_REQUIRE_AUDIO"
UNDERFLOW_TRIES = 5


def unavailable(reason: str) -> None:
    """Skip, saying why; fail instead where the audio tests must run (CI)."""
    if os.environ.get(REQUIRE_AUDIO_VARIABLE):
        pytest.fail(f"{reason} ({REQUIRE_AUDIO_VARIABLE} is set: these audio tests must run)")
    pytest.skip(reason)


def _skip_unless_available(*reasons) -> None:
    for reason in reasons:
        if reason:
            unavailable(reason)


def without_underflow(play, tries: int = UNDERFLOW_TRIES):
    """play() -> (engine, result) after it played and closed; played again while a run had
    an underflow (the engine counts them: a late or missing block, the shared machine's
    doing), so that what left the program can be checked for clicks. The capture holds the
    last run. Fails when every try had one: a check is never skipped."""
    for _ in range(tries):
        engine, result = play()
        if engine.xruns == 0:
            return engine, result
    pytest.fail(f"each of {tries} runs had an underflow: the machine is too busy to check "
                "what was played")


def _running_jack_server():
    _skip_unless_available(JackServer.unavailable_reason())
    try:
        server = JackServer().start()
    except RuntimeError as exc:
        unavailable(str(exc))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def jack_server():
    """A JACK dummy server (44.1 kHz, 256-frame periods), shared by the whole session."""
    yield from _running_jack_server()


@pytest.fixture
def own_jack_server():
    """A JACK dummy server for one test alone (for tests that kill it)."""
    yield from _running_jack_server()


@pytest.fixture
def alsa_capture(jack_server, tmp_path):
    """The ALSA file-plugin device: play to ``.portaudio_device``, then ``.read()`` what left."""
    _skip_unless_available(AlsaCapture.unavailable_reason())
    try:
        capture = AlsaCapture(tmp_path / "alsa", jack_server).start()
    except RuntimeError as exc:
        unavailable(str(exc))
    yield capture
    capture.stop()


@pytest.fixture(autouse=True)
def _no_stuck_jack_metadata():
    """Before each test: a JACK lock left by a process an earlier test killed is set aside,
    so that it cannot hang this test's audio (see set_aside_stuck_jack_metadata)."""
    set_aside_stuck_jack_metadata()
    yield


def pytest_terminal_summary(terminalreporter):
    for said in SET_ASIDE:
        terminalreporter.write_line(f"audio_devices: {said}")

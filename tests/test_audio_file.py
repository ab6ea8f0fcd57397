"""Decoding any song file: every bad input gives one clear line; odd but valid input decodes right.

All input files are made here with soundfile and PyAV, never with command-line tools.
"""
import os
import tempfile
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf
import soxr

from woodshed.separation.audio_file import AUDIO_EXTENSIONS, find_audio_files, probe, read_blocks
from woodshed.separation.errors import UserError

# --- making input files --------------------------------------------------------
def tone(freq_hz: float, sample_rate: int, seconds: float, channels: int = 1,
         amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    wave = (amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)
    return np.tile(wave, (channels, 1))


def write_sf(path: Path, audio: np.ndarray, sample_rate: int, **kwargs) -> Path:
    sf.write(str(path), audio.T, sample_rate, **kwargs)
    return path


def write_av(path: Path, audio: np.ndarray, sample_rate: int, codec: str = "aac",
             container_format: str | None = None, with_video: bool = False,
             bit_rate: int = 128_000) -> Path:
    """Encode (channels, frames) float32 with FFmpeg through PyAV (e.g. m4a with aac)."""
    layout = {1: "mono", 2: "stereo", 6: "5.1"}[audio.shape[0]]
    with av.open(str(path), "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=sample_rate, layout=layout)
        stream.bit_rate = bit_rate
        if with_video:
            video = container.add_stream("mpeg4", rate=10)
            video.width, video.height, video.pix_fmt = 32, 32, "yuv420p"
            for _ in range(int(audio.shape[1] / sample_rate * 10)):
                picture = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8),
                                                     format="rgb24")
                for packet in video.encode(picture):
                    container.mux(packet)
            for packet in video.encode(None):
                container.mux(packet)
        for start in range(0, audio.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(audio[:, start:start + 1024]), format="fltp", layout=layout)
            frame.sample_rate, frame.pts = sample_rate, start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def decode(path, sample_rate=44100, channels=2, **kwargs) -> np.ndarray:
    return np.concatenate(list(read_blocks(path, sample_rate, channels, **kwargs)), axis=1)


def dominant_hz(signal: np.ndarray, sample_rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(len(signal))))
    return float(np.argmax(spectrum) * sample_rate / len(signal))


def assert_user_error(path, *words):
    with pytest.raises(UserError) as err:
        probe(path)
        decode(path)
    message = err.value.message
    assert "\n" not in message and str(path) in message
    for word in words:
        assert word in message
    return message


# --- bad input: one clear line -------------------------------------------------
def test_missing_path(tmp_path):
    assert_user_error(tmp_path / "nope.mp3", "does not exist")


def test_directory_given_as_song(tmp_path):
    assert_user_error(tmp_path, "folder")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_named_pipe_is_refused_without_waiting(tmp_path):
    path = tmp_path / "pipe.wav"
    os.mkfifo(path)
    assert_user_error(path, "not a regular file")


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.mp3"
    path.touch()
    assert_user_error(path, "empty")


def test_random_bytes_named_mp3(tmp_path, capfd):
    # Seed 1 holds bytes that look like MPEG headers: FFmpeg opens it, decoding fails.
    path = tmp_path / "noise.mp3"
    path.write_bytes(np.random.default_rng(1).bytes(200_000))
    assert_user_error(path, "not an audio file")
    assert capfd.readouterr().err == ""  # no decoder chatter beside our one line


@pytest.mark.parametrize("suffix", [".mp3", ".flac"])
def test_truncated_file(tmp_path, capfd, suffix):
    whole = write_sf(tmp_path / f"whole{suffix}", tone(440, 44100, 10, 2), 44100)
    data = whole.read_bytes()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(data[: len(data) // 2])
    assert decode(whole).shape[1] == 441000  # the whole file decodes fine
    message = assert_user_error(cut, "truncated or damaged", "of 10.0 s")
    decoded_s = float(message.split("decoded ")[1].split(" s")[0])
    assert 3.0 < decoded_s < 7.0  # about half of it was good
    assert capfd.readouterr().err == ""


def test_damaged_last_frame_is_forgiven(tmp_path):
    """100 bytes short is a few milliseconds of music: padded with silence, not refused."""
    source = tone(440, 44100, 10, 2)
    data = write_sf(tmp_path / "whole.flac", source, 44100).read_bytes()
    path = tmp_path / "nearly whole.flac"
    path.write_bytes(data[:-100])
    audio = decode(path)
    assert audio.shape == (2, 441000)
    np.testing.assert_allclose(audio[:, :400000], source[:, :400000], atol=1e-4)
    assert not audio[:, -100:].any()


def test_shorter_than_a_tenth_of_a_second(tmp_path):
    path = write_sf(tmp_path / "blip.wav", tone(440, 44100, 0.05), 44100)
    assert_user_error(path, "too short")


def test_video_without_sound_track(tmp_path):
    path = tmp_path / "silent film.mp4"
    with av.open(str(path), "w") as container:
        video = container.add_stream("mpeg4", rate=10)
        video.width, video.height, video.pix_fmt = 32, 32, "yuv420p"
        for _ in range(10):
            for packet in video.encode(av.VideoFrame.from_ndarray(
                    np.zeros((32, 32, 3), np.uint8), format="rgb24")):
                container.mux(packet)
        for packet in video.encode(None):
            container.mux(packet)
    assert_user_error(path, "no sound track")


def test_folder_without_audio(tmp_path):
    (tmp_path / "notes.txt").write_text("practice slowly")
    (tmp_path / "sub").mkdir()
    write_sf(tmp_path / "sub" / "deeper.wav", tone(440, 8000, 1), 8000)
    with pytest.raises(UserError, match="no audio files"):
        find_audio_files(tmp_path)


def test_folder_that_does_not_exist(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        find_audio_files(tmp_path / "gone")


def test_unreadable_file():
    """chmod 000. Root reads anything, so as root the probe runs with the effective user
    switched to 'nobody' (seteuid): the same permission check a musician would hit."""
    if os.name == "nt":
        pytest.skip("chmod 000 does not make a file unreadable on Windows")
    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o755)  # nobody may look inside, but not read the file
        path = Path(folder) / "locked.wav"
        write_sf(path, tone(440, 8000, 1), 8000)
        os.chmod(path, 0)
        as_root = os.geteuid() == 0
        if as_root:
            try:
                os.seteuid(65534)
            except OSError as exc:
                pytest.skip(f"running as root and cannot become 'nobody' to test it ({exc})")
        try:
            with pytest.raises(UserError) as err:
                probe(path)
        finally:
            if as_root:
                os.seteuid(0)
        assert err.value.message == f"{path}: permission denied (read-only or not yours)"


# --- odd but valid input ---------------------------------------------------------
@pytest.mark.parametrize("source_rate", [8000, 96000])
def test_tone_at_odd_rate_decodes_at_44100(tmp_path, source_rate):
    path = write_sf(tmp_path / f"mono {source_rate}.wav", tone(440, source_rate, 2), source_rate)
    info = probe(path)
    assert (info.sample_rate, info.channels, info.backend) == (source_rate, 1, "soundfile")
    audio = decode(path)
    assert audio.dtype == np.float32 and audio.shape[0] == 2
    assert abs(audio.shape[1] - 2 * 44100) <= 1
    assert np.array_equal(audio[0], audio[1])  # mono goes to both sides
    assert abs(dominant_hz(audio[0], 44100) - 440) < 1
    middle = audio[0, 10000:-10000]
    assert 0.49 < np.abs(middle).max() < 0.51  # level kept through the resampler


def test_block_edges_leave_no_seams(tmp_path):
    """Small blocks through the streaming resampler equal one whole-file resampling."""
    source = tone(440, 48000, 3, 2)
    path = write_sf(tmp_path / "a.wav", source, 48000, subtype="FLOAT")
    blocks = list(read_blocks(path, 44100, 2, block_frames=5000))
    assert len(blocks) > 10
    streamed = np.concatenate(blocks, axis=1)
    whole = soxr.resample(source.T, 48000, 44100, quality="HQ").T
    assert streamed.shape == whole.shape
    assert np.max(np.abs(streamed - whole)) < 1e-4


def test_six_channels_downmix_keeps_the_centre(tmp_path):
    audio = np.zeros((6, 44100), np.float32)
    audio[2] = tone(440, 44100, 1)[0]   # centre: dialogue / lead vocal
    audio[3] = tone(50, 44100, 1)[0]    # LFE: dropped, as ITU downmixes do
    audio[4] = tone(1000, 44100, 1)[0]  # left surround: left side only
    path = write_sf(tmp_path / "surround.wav", audio, 44100, subtype="FLOAT")
    assert probe(path).channels == 6
    stereo = decode(path)
    centre = 0.7071068 * audio[2]
    np.testing.assert_allclose(stereo[1], centre, atol=1e-6)
    np.testing.assert_allclose(stereo[0], centre + 0.7071068 * audio[4], atol=1e-6)


@pytest.mark.parametrize("subtype", ["PCM_24", "FLOAT"])
def test_24_bit_and_float_wav(tmp_path, subtype):
    source = tone(440, 44100, 1, 2, amplitude=0.9)
    source[1] *= 1.5 if subtype == "FLOAT" else -1  # float may exceed 1.0: kept, not clipped
    path = write_sf(tmp_path / f"{subtype}.wav", source, 44100, subtype=subtype)
    tolerance = 0 if subtype == "FLOAT" else 2.0 ** -22
    np.testing.assert_allclose(decode(path), source, atol=tolerance, rtol=0)


def test_non_ascii_and_spaces_in_path(tmp_path):
    folder = tmp_path / "Déjà vu — 東京 live"
    folder.mkdir()
    path = write_sf(folder / "Beyoncé  ñ 01 .flac", tone(440, 22050, 1), 22050)
    assert find_audio_files(folder) == [path]
    assert probe(path).frames == 22050
    assert decode(path).shape == (2, 44100)


def test_m4a_from_the_aac_encoder(tmp_path):
    path = write_av(tmp_path / "tune.m4a", tone(440, 44100, 3, 2), 44100, "aac")
    info = probe(path)
    assert info.backend == "av" and info.frames == 3 * 44100
    audio = decode(path)
    assert audio.shape == (2, 3 * 44100)
    assert abs(dominant_hz(audio[0, 4096:], 44100) - 440) < 1


FORMATS = {
    ".flac": lambda p, a, r: write_sf(p, a, r),
    ".ogg": lambda p, a, r: write_sf(p, a, r),
    ".opus": lambda p, a, r: write_sf(p, a, r, format="OGG", subtype="OPUS"),  # r: 48 kHz
    ".aiff": lambda p, a, r: write_sf(p, a, r, subtype="PCM_24"),
    ".mp3": lambda p, a, r: write_sf(p, a, r),
    ".m4a": lambda p, a, r: write_av(p, a, r, "aac"),
    ".wma": lambda p, a, r: write_av(p, a, r, "wmav2"),
    ".webm": lambda p, a, r: write_av(p, a, r, "libopus"),
    ".mka": lambda p, a, r: write_av(p, a, r, "flac", "matroska"),
}


@pytest.mark.parametrize("suffix", sorted(FORMATS))
def test_every_common_format_decodes_to_the_same_tone(tmp_path, suffix):
    """Lossy codecs pad and estimate lengths: right pitch and level, length within 3 %."""
    path = tmp_path / f"tune{suffix}"
    FORMATS[suffix](path, tone(440, 48000, 2, 2, amplitude=0.3), 48000)
    audio = decode(path)
    assert audio.shape[0] == 2 and abs(audio.shape[1] - 2 * 44100) < 0.03 * 44100
    middle = audio[:, 8192:-8192]
    assert abs(dominant_hz(middle[0], 44100) - 440) < 1
    assert 0.25 < np.abs(middle).max() < 0.35


def test_sound_track_of_a_video(tmp_path):
    path = write_av(tmp_path / "lesson.mp4", tone(440, 48000, 2, 2), 48000, "aac",
                    with_video=True)
    audio = decode(path, 44100, 1)
    assert audio.shape[0] == 1 and abs(audio.shape[1] - 2 * 44100) <= 1
    assert abs(dominant_hz(audio[0, 4096:], 44100) - 440) < 1


def test_stream_switching_from_stereo_to_surround_midway(tmp_path):
    """Raw AAC (ADTS) may change layout between frames, as broadcast recordings do."""
    stereo = write_av(tmp_path / "stereo.aac", tone(440, 44100, 2, 2), 44100, "aac", "adts")
    surround = np.zeros((6, 2 * 44100), np.float32)
    surround[2] = tone(440, 44100, 2)[0]  # centre only
    surround = write_av(tmp_path / "surround.aac", surround, 44100, "aac", "adts")
    path = tmp_path / "switch.aac"
    path.write_bytes(stereo.read_bytes() + surround.read_bytes())
    audio = decode(path)
    # Raw AAC keeps each part's encoder delay and padding: up to 2048 frames each.
    assert 4 * 44100 <= audio.shape[1] <= 4 * 44100 + 2 * 2048
    first, second = audio[:, 8192:80000], audio[:, 100000:170000]
    assert np.allclose(np.abs(first).max(axis=1), 0.5, atol=0.02)
    assert np.allclose(np.abs(second).max(axis=1), 0.354, atol=0.02)  # centre at -3 dB, both sides


def test_tags_give_title_and_artist(tmp_path):
    path = tmp_path / "tagged.ogg"
    with sf.SoundFile(str(path), "w", 44100, 1, format="OGG") as f:
        f.title, f.artist = "Blue in Green", "Bill Evans"
        f.write(tone(440, 44100, 1)[0])
    info = probe(path)
    assert (info.title, info.artist) == ("Blue in Green", "Bill Evans")
    assert probe(write_sf(tmp_path / "plain.wav", tone(440, 8000, 1), 8000)).title is None


def test_find_audio_files_sorted_not_recursive(tmp_path):
    for name in ["b.MP3", "a.flac", "C.m4a", "._a.flac", "cover.jpg"]:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "stems").mkdir()
    (tmp_path / "stems" / "drums.wav").write_bytes(b"x")
    assert [p.name for p in find_audio_files(tmp_path)] == ["a.flac", "b.MP3", "C.m4a"]
    assert {".mp3", ".m4a", ".webm", ".opus", ".aiff", ".wma"} <= AUDIO_EXTENSIONS


# --- memory stays flat with song length ---------------------------------------------
def _write_long_tone(path: Path, sample_rate: int, seconds: int) -> Path:
    """Written block by block, so making the file does not hold it in memory either."""
    block = tone(440, sample_rate, 1)[0]  # 440 Hz: a whole number of periods per second
    with sf.SoundFile(str(path), "w", sample_rate, 1, subtype="PCM_16") as out:
        for _ in range(seconds):
            out.write(block)
    return path


def _peak_decode_bytes(path: Path) -> tuple[int, int]:
    import tracemalloc

    tracemalloc.start()
    try:
        frames = sum(b.shape[1] for b in read_blocks(path, 44100, 2))
        return frames, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_song_length(tmp_path):
    """numpy reports its buffers to tracemalloc: the peak while decoding 8 minutes is that
    of 1 minute, and a small part of what the decoded song would take."""
    short_frames, short_peak = _peak_decode_bytes(_write_long_tone(tmp_path / "1.wav", 48000, 60))
    long_frames, long_peak = _peak_decode_bytes(_write_long_tone(tmp_path / "8.wav", 48000, 480))
    assert long_frames == 480 * 44100 and short_frames == 60 * 44100
    whole_song_bytes = long_frames * 2 * 4
    assert long_peak < short_peak * 1.2 + (1 << 20)
    assert long_peak < whole_song_bytes / 10


def test_six_channel_ogg_downmix_follows_the_vorbis_speaker_order(tmp_path):
    """Vorbis stores 5.1 as FL FC FR BL BR LFE (libsndfile writes our channels in that
    order untouched): channel 1 is the centre here, and must reach both sides."""
    audio = np.zeros((6, 44100), np.float32)
    audio[1] = tone(440, 44100, 1)[0]
    path = write_sf(tmp_path / "surround.ogg", audio, 44100)
    info = probe(path)
    assert info.channel_names == ("FL", "FR", "FC", "LFE", "BL", "BR")
    stereo = decode(path)
    left, right = np.abs(stereo[:, 2000:-2000]).max(axis=1)
    assert 0.3 < left < 0.4 and 0.3 < right < 0.4  # 0.5 * 0.707 on both sides

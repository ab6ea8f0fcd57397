"""Any song file in: probe it, then stream it as float32 blocks at the rate and channels asked.

soundfile (libsndfile) reads wav, flac, ogg, opus and aiff; PyAV (FFmpeg) reads mp3 and the
rest (m4a/aac, the sound track of mp4/webm/mkv video, wma...) and is the fallback when
libsndfile refuses a file. Decoding goes block by block, so memory stays flat however long the song.
Every problem with the file itself ends as a one-line UserError naming the file.
"""
from __future__ import annotations

import math
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import soundfile as sf

from .channel_mix import to_channels
from .errors import UserError, describe_os_error

# Tried with soundfile first, PyAV second.
SOUNDFILE_EXTENSIONS = {".wav", ".wave", ".flac", ".ogg", ".oga", ".opus",
                        ".aif", ".aiff", ".aifc", ".w64", ".rf64", ".caf", ".au"}
# Tried with PyAV only. mp3 too: libsndfile's mpg123 prints warnings straight to stderr on
# damaged or fake mp3s (breaking our one-line errors); FFmpeg's decoder stays quiet, counts
# frames exactly and trims the encoder delay from the LAME header just the same.
AV_EXTENSIONS = {".mp3", ".m4a", ".m4b", ".aac", ".mp4", ".m4v", ".mov", ".3gp", ".webm", ".mkv",
                 ".mka", ".avi", ".wma", ".wmv", ".asf", ".wv", ".ape", ".ac3", ".mp2",
                 ".mpc", ".alac", ".amr", ".tta", ".dts"}
AUDIO_EXTENSIONS = SOUNDFILE_EXTENSIONS | AV_EXTENSIONS

MIN_DURATION_S = 0.1
DEFAULT_BLOCK_FRAMES = 1 << 18  # ~6 s at 44.1 kHz: big enough for speed, small for memory
_CHUNK_FRAMES = 1 << 13  # what libsndfile decodes per call; a decode error loses at most this

# Raw elementary streams: no index, so probe counts their packets for the length. Not mp3:
# its Xing/LAME header declares the exact length, which is how a truncated mp3 shows.
_RAW_STREAM_FORMATS = {"aac", "ac3", "eac3", "dts", "amr", "truehd"}

def _av():
    """PyAV (FFmpeg), imported when a file first needs it: not at every start of Woodshed
    (it costs tens of milliseconds warm, more from a cold disk; the window and most commands
    start without it)."""
    import av

    return av


def _decode_errors() -> tuple:
    return (sf.SoundFileError, _av().error.FFmpegError)


@dataclass
class AudioInfo:
    path: Path
    sample_rate: int
    channels: int
    frames: int  # declared length, at the file's own sample_rate
    backend: str  # 'soundfile' | 'av'
    title: str | None = None
    artist: str | None = None
    channel_names: tuple[str, ...] | None = None  # speakers ('FL', 'FC', 'LFE'...) if known

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate

    def frames_at(self, sample_rate: int) -> int:
        """Length in frames once converted to sample_rate (what read_blocks yields in all)."""
        return round(self.frames * sample_rate / self.sample_rate)


# --- probing -------------------------------------------------------------------
def probe(path) -> AudioInfo:
    """Read a file's format, length and tags; UserError if it is no usable audio.

    Fast: decodes nothing, except the first second of formats FFmpeg reads (to tell random
    bytes from audio) and a demux pass over raw streams such as .aac (to count frames).
    """
    path = Path(path)
    _check_readable_file(path)
    info = None
    if path.suffix.lower() in SOUNDFILE_EXTENSIONS:
        info = _probe_soundfile(path)
    if info is None:
        info = _probe_av(path)
    if info is None:
        raise UserError(f"{path}: not an audio file Woodshed can read (or a damaged one)")
    if info.duration_s < MIN_DURATION_S:
        raise UserError(f"{path}: too short ({info.duration_s:.3f} s; "
                        f"at least {MIN_DURATION_S} s is needed)")
    return info


def _check_readable_file(path: Path) -> None:
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise UserError(f"{path}: is a folder, not an audio file")
        if not stat.S_ISREG(mode):  # reading a pipe would wait for a writer forever
            raise UserError(f"{path}: not a regular file (a pipe or a device?)")
        with open(path, "rb") as f:
            first = f.read(1)
    except OSError as exc:
        raise UserError(describe_os_error(exc, path)) from None
    if not first:
        raise UserError(f"{path}: empty file (0 bytes)")


def _probe_soundfile(path: Path) -> AudioInfo | None:
    try:
        with sf.SoundFile(str(path)) as f:
            info = AudioInfo(path, f.samplerate, f.channels, f.frames, "soundfile",
                             _tag(f.title), _tag(f.artist))
            container_format = f.format
    except (_decode_errors() + (OSError,)):
        return None
    if info.frames <= 0 or info.sample_rate <= 0 or info.channels <= 0:
        return None
    if info.channels > 2 and container_format == "OGG":
        # Vorbis and Opus store 5.1 as FL FC FR BL BR LFE; libsndfile hands channels over in
        # that order, FFmpeg reorders them to the usual one the downmix expects.
        return None
    if info.title is None and info.artist is None:
        # libsndfile reads tags of WAV/AIFF/FLAC/Ogg; FFmpeg also reads ID3 and others.
        tags = _tags_via_av(path)
        info.title, info.artist = tags.get("title"), tags.get("artist")
    return info


def _probe_av(path: Path) -> AudioInfo | None:
    av = _av()
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                if container.streams.video:
                    raise UserError(f"{path}: this video has no sound track")
                return None
            stream = _audio_stream(container)
            if stream.rate <= 0 or stream.channels <= 0:
                return None  # FFmpeg guessed a format from the name, but found no audio in it
            # FFmpeg finds MPEG headers even in random bytes named .mp3; they fail to decode.
            _decode_start(container, stream)
            raw_stream = container.format.name in _RAW_STREAM_FORMATS
            frames = 0 if raw_stream else _declared_frames(container, stream)
            rate, channels = stream.rate, stream.channels
            names = tuple(c.name for c in stream.layout.channels) or None
            tags = {**_lower_keys(container.metadata), **_lower_keys(stream.metadata)}
        if raw_stream:
            frames = _counted_frames(path)
    except _decode_errors() + (OSError, UnicodeDecodeError):
        return None
    if frames <= 0:
        return None
    return AudioInfo(path, rate, channels, frames, "av",
                     _tag(tags.get("title")), _tag(tags.get("artist")), names)


def _audio_stream(container):
    """The stream FFmpeg itself would play (a video's main sound track, not its commentary)."""
    return container.streams.best("audio") or container.streams.audio[0]


def _decode_start(container, stream, seconds: float = 1.0) -> None:
    decoded_frames = 0
    for frame in container.decode(stream):
        decoded_frames += frame.samples
        if decoded_frames >= seconds * stream.rate:
            return


def _declared_frames(container, stream) -> int:
    av = _av()
    if stream.duration:
        return math.floor(stream.duration * stream.time_base * stream.rate)
    if container.duration:
        return math.floor(container.duration * stream.rate / av.time_base)
    return 0


def _counted_frames(path: Path) -> int:
    """Length of a raw stream (no index: FFmpeg would guess it from the bit rate), from its
    packets' durations: demuxing only, no decoding."""
    av = _av()
    with av.open(str(path)) as container:
        stream = _audio_stream(container)
        ticks = sum(packet.duration or 0 for packet in container.demux(stream))
        return math.floor(ticks * stream.time_base * stream.rate)


def _tags_via_av(path: Path) -> dict:
    av = _av()
    try:
        with av.open(str(path)) as container:
            tags = _lower_keys(container.metadata)
            if container.streams.audio:
                tags.update(_lower_keys(_audio_stream(container).metadata))
            return tags
    except _decode_errors() + (OSError, UnicodeDecodeError):
        return {}


def _lower_keys(tags) -> dict:
    return {str(k).lower(): v for k, v in dict(tags).items()}


def _tag(value) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


# --- decoding ----------------------------------------------------------------------
def read_blocks(path, sample_rate: int, channels: int,
                block_frames: int = DEFAULT_BLOCK_FRAMES,
                info: AudioInfo | None = None) -> Iterator[np.ndarray]:
    """Stream the whole file as (channels, n) float32 blocks at sample_rate.

    Yields exactly ``info.frames_at(sample_rate)`` frames in all: codecs that decode a few
    frames more or less than declared (encoder padding) are trimmed or padded with silence.
    A file that stops decoding well short of its declared length raises UserError
    ("truncated or damaged") -- possibly after some blocks were yielded, so callers that
    must not keep half a song should read it through once before writing anything.
    """
    info = info or probe(path)
    target_frames = info.frames_at(sample_rate)
    resampler = None
    if info.sample_rate != sample_rate:
        import soxr

        resampler = soxr.ResampleStream(info.sample_rate, sample_rate, channels,
                                        dtype="float32", quality="HQ")
    decoded_frames = 0
    yielded_frames = 0

    def convert(chunks: list[np.ndarray], last: bool = False) -> np.ndarray:
        nonlocal yielded_frames
        if chunks:
            block = to_channels(np.concatenate(chunks, axis=1), channels, info.channel_names)
        else:
            block = np.zeros((channels, 0), np.float32)
        if resampler is not None:
            # The streaming resampler keeps its state between blocks: no seams at block edges.
            block = resampler.resample_chunk(np.ascontiguousarray(block.T), last=last).T
        block = np.ascontiguousarray(block[:, :target_frames - yielded_frames])
        yielded_frames += block.shape[1]
        return block

    source = _soundfile_chunks if info.backend == "soundfile" else _av_chunks
    pending: list[np.ndarray] = []
    pending_frames = 0
    try:
        # Small decoded chunks gathered into blocks: the count of good frames stays exact
        # when decoding fails, and conversion runs on big blocks (fast).
        for chunk in source(info.path, min(block_frames, _CHUNK_FRAMES)):
            pending.append(chunk)
            pending_frames += chunk.shape[1]
            decoded_frames += chunk.shape[1]
            if pending_frames >= block_frames:
                block = convert(pending)
                pending, pending_frames = [], 0
                if block.shape[1]:
                    yield block
    except _decode_errors():
        pass  # judged below: a damaged last frame is forgiven, a lost half is not
    except OSError as exc:
        raise UserError(describe_os_error(exc, info.path)) from None
    if info.frames - decoded_frames > _missing_frames_allowed(info):
        raise _truncated(info, decoded_frames)
    block = convert(pending, last=True)
    if block.shape[1]:
        yield block
    while yielded_frames < target_frames:  # a codec's few frames short: silence
        n = min(block_frames, target_frames - yielded_frames)
        yielded_frames += n
        yield np.zeros((channels, n), np.float32)


def rechunk(blocks: Iterator[np.ndarray], channels: int, block_frames: int,
            total_frames: int) -> Iterator[np.ndarray]:
    """Re-cut (channels, n) blocks into blocks of exactly block_frames (the last one shorter),
    padded with silence or trimmed to total_frames: for reading several files in step."""
    buffer = np.zeros((channels, 0), np.float32)
    done_frames = 0
    for block in blocks:
        buffer = np.concatenate([buffer, block], axis=1)
        while buffer.shape[1] >= block_frames and done_frames < total_frames:
            out = buffer[:, :min(block_frames, total_frames - done_frames)]
            buffer = buffer[:, block_frames:]
            done_frames += out.shape[1]
            yield out
    while done_frames < total_frames:
        n = min(block_frames, total_frames - done_frames)
        out = np.zeros((channels, n), np.float32)
        used = min(n, buffer.shape[1])
        out[:, :used] = buffer[:, :used]
        buffer = buffer[:, used:]
        done_frames += n
        yield out


def _missing_frames_allowed(info: AudioInfo) -> int:
    # Codec padding and length estimates are off by a few thousand frames at most, and a
    # damaged last frame costs one read chunk; a file cut short loses far more. Up to half
    # a second of silence at the end is a better answer to a musician than a refusal.
    return max(int(0.5 * info.sample_rate), info.frames // 200)


def _truncated(info: AudioInfo, decoded_frames: int) -> UserError:
    return UserError(f"{info.path}: truncated or damaged (decoded "
                     f"{decoded_frames / info.sample_rate:.1f} s of {info.duration_s:.1f} s)")


def _soundfile_chunks(path: Path, chunk_frames: int) -> Iterator[np.ndarray]:
    with sf.SoundFile(str(path)) as f:
        while True:
            chunk = f.read(chunk_frames, dtype="float32", always_2d=True)
            if not len(chunk):
                return
            yield chunk.T


def _av_chunks(path: Path, chunk_frames: int) -> Iterator[np.ndarray]:
    av = _av()
    del chunk_frames  # FFmpeg decides: one codec frame (~1024 samples) at a time
    with av.open(str(path)) as container:
        stream = _audio_stream(container)
        # Planar float, so to_ndarray() gives (channels, n), in the layout and rate probe saw.
        # A stream may switch layout or rate midway (broadcast recordings go from stereo to
        # 5.1): such frames get converters of their own, as one converter only ever passes
        # through the first format it sees.
        layout, rate = stream.layout.name, stream.rate  # the stream's own change as it decodes
        converters: dict[tuple, av.AudioResampler] = {}
        for frame in container.decode(stream):
            shape = (frame.layout.name, len(frame.layout.channels), frame.sample_rate)
            if shape not in converters:
                converters[shape] = av.AudioResampler(format="fltp", layout=layout, rate=rate)
            for converted in converters[shape].resample(frame):
                yield converted.to_ndarray()
        for converter in converters.values():
            for converted in converter.resample(None):
                yield converted.to_ndarray()


# --- folders ---------------------------------------------------------------------
def is_audio_file(path: Path) -> bool:
    # Skips hidden files, such as the "._song.mp3" resource forks macOS leaves on USB sticks.
    return path.suffix.lower() in AUDIO_EXTENSIONS and not path.name.startswith(".")


def find_audio_files(folder) -> list[Path]:
    """The audio files directly in folder (not in sub-folders), sorted by name.

    Not recursive: a folder of songs is what a musician points at; sub-folders often hold
    stems or other versions that would be separated twice.
    """
    folder = Path(folder)
    try:
        if not folder.is_dir():
            if not folder.exists():
                raise UserError(f"{folder}: does not exist")
            raise UserError(f"{folder}: is not a folder")
        files = sorted((p for p in folder.iterdir() if p.is_file() and is_audio_file(p)),
                       key=lambda p: (p.name.lower(), p.name))
    except OSError as exc:
        raise UserError(describe_os_error(exc, folder)) from None
    if not files:
        raise UserError(f"{folder}: no audio files")
    return files

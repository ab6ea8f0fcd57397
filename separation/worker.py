"""The separation child process: decode once, then separate segment by segment into the cache.

Runs under multiprocessing's spawn start method, so torch never loads into the player's
process. Talks to its parent through a Connection:
  parent → worker: ("prioritise", start_frame, end_frame) | ("cancel",)
  worker → parent: ("download", model, done_bytes, total_bytes, note) while weights download
                   | ("ready", song_dir) | ("progress", done, total) | ("done", song_dir)
                   | ("failed", message) | ("cancelled",) | ("waiting", following)
("waiting", True): another process is separating the same song; this one follows it (its
progress, "ready" when the song folder exists) until it finds it done, or, when that one
stopped before the end, takes over: ("waiting", False).
Every step leaves the cache consistent: a kill at any moment loses at most the segment in
flight, and the next run resumes from the manifest and the finished segment files.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import cache, song_lock, wavfile
from .atomic import atomic_path
from .errors import UserError, describe_os_error
from .manifest import MIX_FILE, Manifest
from .segments import SegmentGrid

WORK_DIR = ".work"
FOLLOW_POLL_S = 0.5  # how often a waiting separation looks at the one it waits for
# The mix is decoded before the model is loaded (so the song plays while torch imports and
# the weights load or download) at the rate and channels of every demucs model; a model
# that differs gets the mix decoded again once it is known.
MIX_RATE, MIX_CHANNELS = 44100, 2


@dataclass
class Job:
    song_path: str
    key: str
    source_hash: str
    model: str
    model_repo: str | None
    device: str
    shifts: int
    overlap: float
    cache_root: str
    first_frames: tuple[int, int] | None = None
    threads: int | None = None
    mix_first: bool = False  # a player waits: the song's mix before the model (see separate_locked)


_KIND = []  # once lowered, the priority stays so (os.nice adds up)


def be_kind_to_the_audio_path() -> None:
    """Lower this process's CPU priority so playback keeps the cores it needs."""
    if _KIND:
        return
    _KIND.append(True)
    try:
        if sys.platform == "win32":
            import ctypes

            below_normal = 0x4000
            handle = ctypes.windll.kernel32.GetCurrentProcess()
            ctypes.windll.kernel32.SetPriorityClass(handle, below_normal)
        else:
            os.nice(10)
    except (OSError, AttributeError):
        pass


def decode_into(song_dir: Path, job: Job, sample_rate: int, channels: int) -> Manifest:
    """First pass: the whole song to mix.wav at the model's rate, with the statistics
    demucs normalises by and the mix's peaks. Memory stays flat: one window at a time."""
    from . import audio_file
    from .manifest import Manifest

    info = audio_file.probe(Path(job.song_path))
    total, total_sq, frames = 0.0, 0.0, 0
    mins, maxs, rms = [], [], []  # peaks and RMS of the mix, one bin per FRAMES_PER_PEAK
    import soundfile as sf

    with sf.SoundFile(song_dir / MIX_FILE, "w", samplerate=sample_rate, channels=channels,
                      subtype="FLOAT", format="RF64" if info.duration_s > 3 * 3600 else "WAV") as out:
        from . import peaks

        carry = np.zeros((channels, 0), np.float32)  # keep peak bins aligned across windows
        for block in audio_file.read_blocks(Path(job.song_path), sample_rate, channels):
            if not np.isfinite(block).all():
                # A float file can hold NaN or infinity (a broken plug-in's bounce): they
                # would poison the statistics and the network. Silence and full scale instead.
                np.nan_to_num(block, copy=False, nan=0.0, posinf=1.0, neginf=-1.0)
            out.write(block.T)
            mono = block.mean(axis=0, dtype=np.float64)
            total += mono.sum()
            total_sq += np.square(mono).sum()
            frames += block.shape[1]
            block = np.concatenate([carry, block], axis=1)
            whole = block.shape[1] // peaks.FRAMES_PER_PEAK * peaks.FRAMES_PER_PEAK
            if whole:
                lo, hi = peaks.compute(block[:, :whole])
                mins.append(lo)
                maxs.append(hi)
                rms.append(peaks.compute_rms(block[:, :whole]))
            carry = block[:, whole:]
        if carry.shape[1]:
            lo, hi = peaks.compute(carry)
            rms.append(peaks.compute_rms(carry))
            mins.append(lo)
            maxs.append(hi)
    if frames < 2:
        raise UserError(f"{job.song_path}: too short to separate")
    mean = total / frames
    # torch's Tensor.std() is the unbiased estimate; demucs adds 1e-8.
    std = float(np.sqrt(max(total_sq - frames * mean * mean, 0.0) / (frames - 1))) + 1e-8
    manifest = Manifest(
        title=info.title or Path(job.song_path).stem, artist=info.artist,
        original_name=Path(job.song_path).name, source_hash=job.source_hash, model=job.model,
        settings={"shifts": job.shifts, "overlap": job.overlap}, sample_rate=sample_rate,
        channels=channels, frames=frames, sources=[], block_starts=[], blocks_done=[],
        normalisation={"mean": mean, "std": std}, source_path=cache.source_path_of(job.song_path))
    from . import peaks

    manifest.peaks["mix"] = peaks.encode(np.concatenate(mins), np.concatenate(maxs))
    manifest.rms["mix"] = peaks.encode_rms(np.concatenate(rms))
    return manifest


class SegmentRunner:
    """Runs the model on one segment with exactly the context demucs' apply_model gives it."""

    def __init__(self, model, device: str, shifts: int, overlap: float, song_dir: Path,
                 manifest: Manifest, segment_s: float):
        import torch

        self.torch = torch
        self.model = model.to(device)
        self.device = device
        self.shifts = shifts
        self.grid = SegmentGrid.for_model(manifest.frames, manifest.sample_rate, segment_s, overlap)
        self.mix_path = song_dir / MIX_FILE
        self.mean = manifest.normalisation["mean"]
        self.std = manifest.normalisation["std"]
        # apply_model pads a chunk with real audio around it (shorter last chunk, random
        # shifts): read that much context so padding matches the whole-song call.
        max_shift = int(0.5 * manifest.sample_rate) if shifts else 0
        self.context_frames = self.grid.segment_frames // 2 + 1 + max_shift

    def run(self, j: int) -> np.ndarray:
        """Separated segment j, (sources, channels, frames), normalised scale."""
        from demucs.apply import TensorChunk, apply_model

        torch = self.torch
        start, end = self.grid.segment_range(j)
        lo = max(0, start - self.context_frames)
        hi = min(self.grid.frames, end + self.context_frames)
        # A fresh read, not a long-lived memory map: mapped pages once touched count as
        # resident, and over an hour-long song they would add up to the whole mix.
        window = wavfile.read_frames(self.mix_path, lo, hi)
        window = (window - self.mean) / self.std
        chunk = TensorChunk(torch.from_numpy(window)[None], start - lo, self.grid.segment_frames)
        with torch.inference_mode():
            out = apply_model(self.model, chunk, shifts=self.shifts, split=False,
                              device=self.device)
        return out[0].to("cpu").numpy()


class SeparationRun:
    def __init__(self, job: Job, conn):
        self.job = job
        self.conn = conn
        self.first_frames = job.first_frames
        self.cancelled = False
        self.saved_at = 0.0
        self.save_cost_s = 0.0
        self.unsaved = False
        self.beats = None        # the thread finding the song's beats (start_finding_beats)

    # --- talking to the parent -------------------------------------------
    def send(self, *message) -> None:
        try:
            self.conn.send(message)
        except (OSError, EOFError):
            self.cancelled = True  # parent went away: stop at the next segment

    def read_messages(self) -> None:
        try:
            while self.conn.poll():
                message = self.conn.recv()
                if message[0] == "cancel":
                    self.cancelled = True
                elif message[0] == "prioritise":
                    self.first_frames = (int(message[1]), int(message[2]))
        except (OSError, EOFError):
            self.cancelled = True

    def send_download_progress(self, p) -> None:
        self.send("download", p.model, p.done_bytes, p.total_bytes, p.note)

    def cancel_asked(self) -> bool:
        self.read_messages()
        return self.cancelled

    # --- the work -----------------------------------------------------------
    def run(self) -> None:
        job = self.job
        root = Path(job.cache_root)
        # One writer per song: a second separation of the same song (another terminal, the
        # window, an export) waits here, following the first, then finds it done or resumes it
        writer = song_lock.write_lock(root, job.key)
        followed = not writer.try_acquire()
        if followed or cache.find(job.key, root) is not None:
            be_kind_to_the_audio_path()  # (a new song's mix is decoded first at full speed)
        if followed:
            self.send("waiting", True)
            if not self.follow_other_writer(writer, root):
                self.send("cancelled")
                return
        song = cache.find(job.key, root)
        if song is not None:
            song.remember_source(job.song_path)
            self.mend(song)
        if song is not None and song.manifest.complete:  # the other writer finished it
            song.hold()
            self.send("ready", str(song.dir))
            total = len(song.manifest.blocks_done)
            self.send("progress", total, total)
            self.send("done", str(song.dir))
            return
        if followed:
            self.send("waiting", False)  # the other one stopped before the end: carry on
        self.separate_locked(root)

    def mend(self, song) -> None:
        """A damaged song (a stem cut short, mix.wav gone...) made whole enough to resume:
        only the damaged blocks are separated again (see damage.py)."""
        from . import damage
        from .quiet import c_stderr_silenced

        manifest = song.manifest

        def decode_mix(folder: Path) -> Manifest:
            with c_stderr_silenced():
                return decode_into(folder, self.job, manifest.sample_rate, manifest.channels)

        if damage.mend(song, decode_mix):
            song.reload()

    def follow_other_writer(self, writer, root: Path) -> bool:
        """Wait for the writer lock, passing on the other writer's progress; False if
        cancelled meanwhile. The song plays meanwhile: "ready" as soon as its folder exists."""
        ready_sent, last_done = False, -1
        while True:
            self.read_messages()
            if self.cancelled:
                return False
            if writer.try_acquire():
                return True
            song = cache.find(self.job.key, root)
            if song is not None:
                if not ready_sent:
                    self.send("ready", str(song.dir))
                    ready_sent = True
                done = sum(song.manifest.blocks_done)
                if done != last_done:
                    self.send("progress", done, len(song.manifest.blocks_done))
                    last_done = done
            time.sleep(FOLLOW_POLL_S)

    def separate_locked(self, root: Path) -> None:
        job = self.job
        song = cache.find(job.key, root)
        if song is None and job.mix_first:
            # The mix first, before torch: the window plays it (the whole song, its waveform)
            # while the model loads or downloads. Stems are added once the model is known.
            song = self.build_song(root, lambda tmp: decode_into(tmp, job, MIX_RATE, MIX_CHANNELS))
        if song is not None:
            song.hold()  # no Woodshed process evicts it while it is separated
            self.send("ready", str(song.dir))
        # Only now: the musician waits for the mix above (nothing of this song plays yet);
        # from here on the song plays while torch starts and the model separates.
        be_kind_to_the_audio_path()
        if song is not None:
            self.start_finding_beats(song.dir)  # its mix is there: the grid while torch starts

        from . import model as model_mod
        import torch

        # Every core by default (the process is niced, so the audio path still comes first).
        # Measured on 2 cores, 60 s song, htdemucs_6s architecture: one thread made us 1.53x
        # the demucs command's time against 0.88x with two; players that separate while
        # playing may still ask for one core fewer (SeparationSettings.threads).
        if job.threads:
            torch.set_num_threads(job.threads)
        device = model_mod.pick_device(job.device)
        model = model_mod.load_model(job.model, Path(job.model_repo) if job.model_repo else None,
                                     download_progress=self.send_download_progress,
                                     cancelled=self.cancel_asked)
        segment_s = model_mod.segment_s(model)
        if song is None:
            # Nobody listens meanwhile (the terminal): the cache gets the song only once the
            # model is there, so a wrong model name or no network leaves nothing behind.
            def decode_and_allocate(tmp: Path) -> Manifest:
                manifest = decode_into(tmp, job, model.samplerate, model.audio_channels)
                self.allocate_stems(tmp, manifest, model.sources, segment_s)
                return manifest
            song = self.build_song(root, decode_and_allocate)
            song.hold()
            self.send("ready", str(song.dir))
            self.start_finding_beats(song.dir)
        elif song.manifest.mix_only:
            self.add_stems(song, model, segment_s)
        self.separate(song, model, device, segment_s)

    def start_finding_beats(self, song_dir: Path) -> None:
        """The song's beat grid from mix.wav, which exists now, before any stem: on a thread
        of this process (the separation's own, niced — started after be_kind_to_the_audio_path,
        as Linux nices per thread; never the player's process), so it is there when the song is
        first played. A daemon: a cancelled separation does not wait for it (the window, or the
        next play, finds the beats then)."""
        import threading

        from .beats.analyse import analyse_once

        self.beats = threading.Thread(target=analyse_once, args=(song_dir,), daemon=True,
                                      name="woodshed-beats")
        self.beats.start()

    def build_song(self, root: Path, fill) -> "cache.CachedSong":
        """The song's folder, made whole by fill(tmp) -> Manifest (saved), then renamed."""
        from .quiet import c_stderr_silenced

        with cache.building(self.job.key, root) as tmp:
            with c_stderr_silenced():  # the decoder's chatter; errors reach us as UserError
                fill(tmp).save(tmp)
        song = cache.find(self.job.key, root)
        if song is None:
            raise UserError(f"the stem cache {root} lost the song while it was written")
        return song

    def add_stems(self, song, model, segment_s: float) -> None:
        """The model is known: its stems' (silent) files and the block map join the song's
        mix; the manifest, replaced last, makes them part of the song in one step (a kill
        before that leaves the mix-only song, which the next run carries on from)."""
        from .quiet import c_stderr_silenced

        manifest = song.manifest
        if (manifest.sample_rate, manifest.channels) != (model.samplerate, model.audio_channels):
            # Not a demucs model's usual 44.1 kHz stereo: the mix again, at the model's rate,
            # beside the one playing, then swapped in (a player reopens the song: see Engine).
            again = song.dir / ".remix"
            again.mkdir(exist_ok=True)
            with c_stderr_silenced():
                manifest = decode_into(again, self.job, model.samplerate, model.audio_channels)
            os.replace(again / MIX_FILE, song.dir / MIX_FILE)
            again.rmdir()
        self.allocate_stems(song.dir, manifest, model.sources, segment_s)
        song.reload()

    def allocate_stems(self, song_dir: Path, manifest: Manifest, sources, segment_s: float):
        grid = SegmentGrid.for_model(manifest.frames, manifest.sample_rate, segment_s,
                                     self.job.overlap)
        manifest.sources = list(sources)
        manifest.block_starts = grid.block_starts
        manifest.blocks_done = [False] * grid.count
        for name in sources:
            wavfile.create_silent(song_dir / Manifest.stem_file(name), manifest.frames,
                                  manifest.channels, manifest.sample_rate)
        (song_dir / WORK_DIR).mkdir(exist_ok=True)
        manifest.save(song_dir)

    def separate(self, song, model, device: str, segment_s: float) -> None:
        manifest = song.manifest
        runner = SegmentRunner(model, device, self.job.shifts, self.job.overlap, song.dir,
                               manifest, segment_s)
        grid = runner.grid
        if grid.block_starts != manifest.block_starts:
            raise UserError(f"{song.dir}: cached blocks do not match the model; "
                            "remove it with `woodshed cache remove`")
        work = song.dir / WORK_DIR
        work.mkdir(exist_ok=True)
        weight = self.triangle(grid.segment_frames)
        needed = {j for k, done in enumerate(manifest.blocks_done) if not done
                  for j in grid.segments_of_block(k)}
        have = {j for j in needed if (work / f"{j:05d}.npy").is_file()}
        total = grid.count
        done_count = total - len(needed - have)
        self.send("progress", done_count, total)
        pending = needed - have
        while pending:
            self.read_messages()
            if self.cancelled:
                if self.unsaved:
                    self.save(song, grid, have)
                self.send("cancelled")
                return
            j = grid.order(pending, self.first_frames)[0]
            out = runner.run(j)
            with atomic_path(work / f"{j:05d}.npy") as tmp:
                with open(tmp, "wb") as f:
                    np.save(f, out)
            pending.discard(j)
            have.add(j)
            done_count += 1
            self.finish_blocks(song, grid, weight, have, grid.blocks_of_segment(j))
            self.send("progress", done_count, total)
        # Blocks whose segments were all on disk from an earlier run.
        self.finish_blocks(song, grid, weight, have, range(grid.count))
        cache.evict(keep={song.key}, root=Path(self.job.cache_root))
        if self.beats is not None:
            self.beats.join()  # done means done: stems and grid (the grid is minutes ahead, mostly)
        self.send("done", str(song.dir))

    @staticmethod
    def triangle(segment_frames: int) -> np.ndarray:
        # demucs' blend weights, computed as it does (integers, then divided by the max).
        half = segment_frames // 2
        w = np.concatenate([np.arange(1, half + 1), np.arange(segment_frames - half, 0, -1)])
        return (w / w.max()).astype(np.float32)

    @staticmethod
    def update_peaks(song, name: str, start_frame: int, end_frame: int) -> None:
        # Peak bins straddle block edges: re-read whole bins from the file, where the
        # neighbouring block is either final or still silent (then redone with it).
        fpp = song.manifest.frames_per_peak
        lo = start_frame // fpp * fpp
        hi = min(-(-end_frame // fpp) * fpp, song.manifest.frames)
        song.manifest.set_peaks(name, lo, wavfile.read_frames(song.stem_path(name), lo, hi))

    def finish_blocks(self, song, grid: SegmentGrid, weight: np.ndarray, have: set[int],
                      blocks) -> None:
        """Blend, de-normalise and write every block whose segments are all done."""
        manifest = song.manifest
        work = song.dir / WORK_DIR
        changed = False
        for k in blocks:
            if manifest.blocks_done[k] or not set(grid.segments_of_block(k)) <= have:
                continue
            start, end = grid.block_range(k)
            acc = np.zeros((len(manifest.sources), manifest.channels, end - start), np.float32)
            weight_sum = np.zeros(end - start, np.float32)
            for j in grid.segments_of_block(k):  # ascending, as demucs sums them
                seg_start, seg_end = grid.segment_range(j)
                lo, hi = max(start, seg_start), min(end, seg_end)
                out = np.load(work / f"{j:05d}.npy", mmap_mode="r")
                w = weight[lo - seg_start:hi - seg_start]
                acc[..., lo - start:hi - start] += out[..., lo - seg_start:hi - seg_start] * w
                weight_sum[lo - start:hi - start] += w
            block = acc / weight_sum * manifest.normalisation["std"] + manifest.normalisation["mean"]
            for s, name in enumerate(manifest.sources):
                wavfile.write_frames(song.stem_path(name), start, block[s])
                self.update_peaks(song, name, start, end)
            manifest.blocks_done[k] = True
            changed = True
        if changed:
            self.unsaved = True
        # Saving rewrites the whole manifest with its peaks (MBs for an hour-long song):
        # keep that under ~10 % of the time. Segment files are removed only once the
        # blocks they fed are saved as done.
        since_s = time.monotonic() - self.saved_at
        if self.unsaved and (manifest.complete or since_s > 10 * self.save_cost_s):
            self.save(song, grid, have)

    def save(self, song, grid: SegmentGrid, have: set[int]) -> None:
        manifest = song.manifest
        started = time.monotonic()
        manifest.save(song.dir)
        self.saved_at = time.monotonic()
        self.save_cost_s = self.saved_at - started
        self.unsaved = False
        work = song.dir / WORK_DIR
        for j in list(have):
            if all(manifest.blocks_done[k] for k in grid.blocks_of_segment(j)):
                (work / f"{j:05d}.npy").unlink(missing_ok=True)
                have.discard(j)
        if manifest.complete:
            import shutil

            shutil.rmtree(work, ignore_errors=True)


def why_write_failed(where: Path, exc: Exception) -> str:
    from .errors import describe_write_failure

    return describe_write_failure(where, exc)


def _log_details() -> str:
    """Set up the log in this child process too; 'details in …' or ''."""
    try:
        from woodshed.player.log_file import setup_logging, where_details_are
    except ImportError:
        return ""
    setup_logging()
    return where_details_are()


def main(job: Job, conn) -> None:
    """Child-process entry point (lowers its own priority once a new song's mix is there)."""
    _log_details()  # warnings (a song mended...) and bugs go to the log file
    from .model_download import DownloadCancelled

    run = SeparationRun(job, conn)
    try:
        run.run()
    except DownloadCancelled:  # the partial download stays: the next run resumes it
        run.send("cancelled")
    except UserError as exc:
        run.send("failed", exc.message)
    except MemoryError:
        run.send("failed", "out of memory while separating (try a smaller model or --device cpu)")
    except OSError as exc:
        if exc.errno is None:  # numpy's "problem writing element": a full disk, mostly
            run.send("failed", f"cannot write the stems: {why_write_failed(Path(job.cache_root), exc)}")
        else:
            run.send("failed", f"cannot write the stems: {describe_os_error(exc)}")
    except Exception as exc:
        import soundfile

        if isinstance(exc, soundfile.SoundFileRuntimeError):  # how libsndfile says a write failed
            why = why_write_failed(Path(job.cache_root), exc)
            run.send("failed", f"cannot write the stems: {why}")
            return
        # A bug: still one line for the user; the traceback goes to the log, not through
        # the progress bar on the terminal.
        import logging

        logging.getLogger(__name__).exception("separation of %s failed", job.song_path)
        details = _log_details()
        run.send("failed", f"separation failed (a bug): {type(exc).__name__}: {exc}"
                           + (f"; {details}" if details else ""))
    finally:
        try:
            conn.close()
        except OSError:
            pass

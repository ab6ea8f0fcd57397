"""Reading a folder of stems a musician already has: which file is which instrument.

Two layouts:
- a plain folder of audio files, one stem each: "Drums.wav" -> "drums";
- a rhythm-game song folder (Frets on Fire, Clone Hero, Rock Band exports), recognised by
  song.ini or notes.chart/notes.mid: song.ogg is the band without the parts that have their
  own file, so it becomes "backing"; drums_1..4 (kick, snare, cymbals, toms) are summed into
  "drums", vocals_1/2 into "vocals"; preview.ogg (a menu clip) and video.mp4/webm (a
  background video) are not stems.
"""
from __future__ import annotations

import configparser
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .audio_file import find_audio_files
from .errors import UserError, describe_os_error
from .manifest import MANIFEST_NAME, MIX_FILE

GAME_MARKERS = ("song.ini", "notes.chart", "notes.mid")
# Rhythm-game file name (without extension and _N suffix) -> Woodshed stem name.
GAME_STEM_NAMES = {
    "guitar": "guitar", "rhythm": "rhythm", "bass": "bass", "drums": "drums", "keys": "keys",
    "vocals": "vocals", "harmony": "vocals", "song": "backing", "backing": "backing",
    "crowd": "crowd",
}
# Stems listed as a band is usually read, the rest of the band and the crowd last.
_GAME_STEM_ORDER = list(dict.fromkeys(GAME_STEM_NAMES.values()))
# A menu clip, and Clone Hero's background videos (often without any sound track).
GAME_NOT_STEMS = {"preview", "video", "background"}
_NUMBERED = re.compile(r"(.*?)[_ ]?\d+")  # drums_1, vocals_2, guitar 2 ...
_RESERVED = {Path(MIX_FILE).stem: "full_mix"}  # mix.wav is the sum of all stems


@dataclass
class StemFolder:
    folder: Path
    title: str
    artist: str | None
    stems: dict[str, list[Path]]  # stem name -> files summed into it (in name order)
    layout: str  # 'game' | 'plain'


def read_stem_folder(folder) -> StemFolder:
    folder = Path(folder)
    if not folder.exists():
        raise UserError(f"{folder}: does not exist")
    if not folder.is_dir():
        raise UserError(f"{folder}: is a file; import takes a folder of stems "
                        "(to split a song into stems use 'woodshed separate')")
    if (folder / MANIFEST_NAME).is_file():
        raise UserError(f"{folder}: is already a Woodshed song folder (nothing to import)")
    files = find_audio_files(folder)
    if is_game_folder(folder):
        stems = _game_stems(files)
        ini = read_song_ini(folder / "song.ini")
        title, artist = ini.get("name") or folder.name, ini.get("artist")
        layout = "game"
    else:
        stems = _plain_stems(files)
        title, artist, layout = folder.name, None, "plain"
    if not stems:
        raise UserError(f"{folder}: no audio files")
    return StemFolder(folder, title, artist, stems, layout)


def is_game_folder(folder: Path) -> bool:
    return any((folder / name).is_file() for name in GAME_MARKERS)


def _game_stems(files: list[Path]) -> dict[str, list[Path]]:
    stems: dict[str, list[Path]] = {}
    for path in files:
        base = path.stem.lower()
        if base in GAME_NOT_STEMS:
            continue
        numbered = _NUMBERED.fullmatch(base)
        if base not in GAME_STEM_NAMES and numbered and numbered.group(1) in GAME_STEM_NAMES:
            base = numbered.group(1)
        name = GAME_STEM_NAMES.get(base) or sanitise(base)
        stems.setdefault(_RESERVED.get(name, name), []).append(path)
    known_first = sorted(stems, key=lambda n: (_GAME_STEM_ORDER + [n]).index(n))
    return {name: stems[name] for name in known_first}


def _plain_stems(files: list[Path]) -> dict[str, list[Path]]:
    names = strip_common_prefix([sanitise(p.stem) for p in files])
    stems: dict[str, list[Path]] = {}
    for name, path in zip(names, files):
        name = _RESERVED.get(name, name)
        unique, n = name, 2
        while unique in stems:  # "Bass.wav" and "bass.flac": two stems, both kept
            unique, n = f"{name}_{n}", n + 1
        stems[unique] = [path]
    return stems


def sanitise(file_stem: str) -> str:
    """File name -> stem name safe as a file name on every OS: "01 Lead Vox!" -> "01_lead_vox"."""
    return re.sub(r"\W+", "_", file_stem.lower()).strip("_") or "stem"


def strip_common_prefix(names: list[str]) -> list[str]:
    """Drop what every name shares and track numbers: "mysong_01_drums", "mysong_02_bass"
    -> "drums", "bass". Stem exports are usually named like that by the DAW."""
    if len(names) > 1:
        common = os.path.commonprefix(names)
        cut = common.rfind("_") + 1  # cut at a word boundary only
        # Only when what is left still names something: "guitar_l", "guitar_r" stay whole.
        if cut and all(len(n) >= cut + 3 for n in names):
            names = [n[cut:] for n in names]
    stripped = [re.sub(r"^\d+_", "", n) for n in names]
    return stripped if all(stripped) else names


def read_song_ini(path: Path) -> dict[str, str]:
    """The [song] section of a rhythm game's song.ini, keys lower-case; {} if unreadable.

    These files come from many tools: any encoding, any case, duplicate keys, no quoting.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise UserError(describe_os_error(exc, path)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return {}
    for section in parser.sections():
        if section.strip().lower() == "song":
            return {key: value.strip() for key, value in parser[section].items()
                    if value and value.strip()}
    return {}

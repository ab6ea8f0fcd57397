"""Every action the practice window offers, in one registry.

The menus, the F1 list and the key bindings all read this table (and so will Preferences ▸
Controls and MIDI learn): an action is declared once, with a stable id, the name a musician
reads, its default keys and what it does. To add one (musical time, MIDI…), call register()
from a module the window imports, or add it to the table below; tests/test_gui_keys.py fails
when two actions share a key.

Keys are QKeySequence's portable text ("Ctrl+E", "[", "Shift+Left"). Actions marked
by_physical_key are bound by the key's place on the keyboard instead (the digit row: "3" means
the third key of the row, "Shift+3" the same key with Shift), so they work on layouts whose
shifted digits differ (UK, German) or whose digits themselves need Shift (French): see
keyboard.py.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from PyQt6.QtGui import QKeySequence

log = logging.getLogger(__name__)

# What a US keyboard sends for Shift + a key: Qt sees the character, so "Shift+1" and "!"
# are the same press (binding both makes Qt call the shortcut ambiguous: neither fires).
US_SHIFTED = dict(zip("1234567890-=[];',./`\\", '!@#$%^&*()_+{}:"<>?~|'))

# The menus actions go to, in menu-bar order (an action with menu=None has keys only).
MENUS = ("File", "Play", "Loop", "Markers", "Audio", "Help")


@dataclass(frozen=True)
class Action:
    id: str  # stable: settings, MIDI learn and tests refer to it
    name: str  # what the musician reads in the menu and the F1 list
    group: str  # heading in the F1 list
    run: Callable  # run(target): target is the SongView (needs_song) or the MainWindow
    keys: tuple[str, ...] = ()
    needs_song: bool = True  # without an open song the action does nothing
    menu: str | None = None
    separator_before: bool = False  # in its menu
    by_physical_key: bool = False
    listed_as: tuple[str, str] | None = None  # F1 row shared by a family (mute 1 … 9)


_REGISTRY: dict[str, Action] = {}


def register(action: Action) -> Action:
    if action.id in _REGISTRY:
        raise ValueError(f"action {action.id!r} is registered twice")
    _REGISTRY[action.id] = action
    return action


def all_actions() -> list[Action]:
    return list(_REGISTRY.values())


def get(action_id: str) -> Action:
    return _REGISTRY[action_id]


def set_keys(action_id: str, keys) -> Action:
    """The musician's own keys for an action (Preferences ▸ Controls); the window re-binds."""
    import dataclasses

    action = dataclasses.replace(_REGISTRY[action_id], keys=tuple(keys))
    _REGISTRY[action_id] = action
    return action


def normalised(key: str) -> str:
    """One spelling per physical press on a US keyboard: "Shift+1" and "!" both become "!"."""
    text = QKeySequence(key).toString(QKeySequence.SequenceFormat.PortableText)
    if text.startswith("Shift+") and text[len("Shift+"):] in US_SHIFTED:
        return US_SHIFTED[text[len("Shift+"):]]
    return text


def key_owners() -> dict[str, list[str]]:
    """normalised key -> ids of the actions bound to it (more than one is a conflict)."""
    owners: dict[str, list[str]] = {}
    for action in _REGISTRY.values():
        for key in action.keys:
            owners.setdefault(normalised(key), []).append(action.id)
    return owners


def conflicts() -> dict[str, list[str]]:
    return {key: ids for key, ids in key_owners().items() if len(ids) > 1}


def _song(method: str, *args) -> Callable:
    return lambda view: getattr(view, method)(*args)


def _window(method: str) -> Callable:
    return lambda window: getattr(window, method)()


def _defaults() -> None:
    # File
    register(Action("file.open", "Open a song…", "File", _window("open_dialog"), ("Ctrl+O",),
                    needs_song=False, menu="File"))
    register(Action("file.import_stems", "Import a stem folder…", "File",
                    _window("import_stems_dialog"), ("Ctrl+I",), needs_song=False, menu="File"))
    register(Action("file.library", "Library…", "File", _window("show_library"), ("Ctrl+L",),
                    needs_song=False, menu="File"))
    register(Action("file.demo", "Open the demo song", "File", _window("open_demo"),
                    needs_song=False, menu="File"))
    register(Action("file.model_folder", "Use a folder of model weights…", "File",
                    _window("choose_model_folder"), needs_song=False, menu="File"))
    register(Action("file.export", "Export a backing track…", "File", _window("export_dialog"),
                    ("Ctrl+E",), needs_song=False, menu="File", separator_before=True))
    register(Action("file.preferences", "Preferences…", "File", _window("show_preferences"),
                    ("Ctrl+,",), needs_song=False, menu="File", separator_before=True))
    register(Action("file.quit", "Quit", "File", _window("close"), ("Ctrl+Q",),
                    needs_song=False, menu="File", separator_before=True))
    # Play
    # Page Down: a page-turner pedal's right foot; media keys where the OS gives them to us
    register(Action("play.toggle", "Play / pause", "Play", _song("toggle_play"),
                    ("Space", "PgDown", "Media Play", "Toggle Media Play/Pause"), menu="Play"))
    register(Action("play.back_5s", "Back 5 s", "Play", _song("skip", -5.0), ("Left",),
                    menu="Play", separator_before=True))
    register(Action("play.forward_5s", "Forward 5 s", "Play", _song("skip", 5.0), ("Right",),
                    menu="Play"))
    register(Action("play.back_1s", "Back 1 s", "Play", _song("skip", -1.0), ("Shift+Left",),
                    menu="Play"))
    register(Action("play.forward_1s", "Forward 1 s", "Play", _song("skip", 1.0),
                    ("Shift+Right",), menu="Play"))
    register(Action("play.slower", "Tempo −5 %", "Play", _song("nudge_tempo", -5), ("-",),
                    menu="Play", separator_before=True))
    register(Action("play.faster", "Tempo +5 %", "Play", _song("nudge_tempo", 5), ("+", "="),
                    menu="Play"))
    register(Action("play.reset", "Reset tempo and pitch", "Play",
                    _song("reset_tempo_and_pitch"), ("Ctrl+0",), menu="Play"))
    # Loop
    register(Action("loop.start_here", "Loop start at the playhead", "Loop",
                    _song("set_loop_start_here"), ("[",), menu="Loop"))
    register(Action("loop.end_here", "Loop end at the playhead", "Loop",
                    _song("set_loop_end_here"), ("]",), menu="Loop"))
    register(Action("loop.toggle", "Loop on / off", "Loop", _song("toggle_loop"), ("L",),
                    menu="Loop"))
    register(Action("loop.zoom", "Zoom to the loop", "Loop", _song("zoom_to_loop"), ("Z",),
                    menu="Loop"))
    register(Action("loop.zoom_all", "Zoom out to the whole song", "Loop",
                    _song("zoom_out_full"), ("Shift+Z",), menu="Loop"))
    for (action_id, name, keys, start_by, end_by) in (
            ("loop.start_earlier", "Loop start 10 ms earlier", "Ctrl+Left", -0.01, 0.0),
            ("loop.start_later", "Loop start 10 ms later", "Ctrl+Right", 0.01, 0.0),
            ("loop.start_earlier_more", "Loop start 100 ms earlier", "Ctrl+Shift+Left", -0.1, 0.0),
            ("loop.start_later_more", "Loop start 100 ms later", "Ctrl+Shift+Right", 0.1, 0.0),
            ("loop.end_earlier", "Loop end 10 ms earlier", "Alt+Left", 0.0, -0.01),
            ("loop.end_later", "Loop end 10 ms later", "Alt+Right", 0.0, 0.01),
            ("loop.end_earlier_more", "Loop end 100 ms earlier", "Alt+Shift+Left", 0.0, -0.1),
            ("loop.end_later_more", "Loop end 100 ms later", "Alt+Shift+Right", 0.0, 0.1)):
        edge = "start" if start_by else "end"
        register(Action(action_id, name, "Loop", _song("nudge_loop", start_by, end_by), (keys,),
                        menu="Loop", separator_before=action_id == "loop.start_earlier",
                        listed_as=(f"{'Ctrl' if edge == 'start' else 'Alt'}+← → (+Shift)",
                                   f"Loop {edge} ∓10 ms (∓100 ms)")))
    register(Action("loop.undo_delete", "Undo the last delete (loop or marker)", "Loop",
                    _song("undo"), ("Ctrl+Z",), menu="Loop", separator_before=True))
    # Markers
    register(Action("marker.add", "Marker at the playhead", "Markers", _song("add_marker_here"),
                    ("M",), menu="Markers"))
    register(Action("marker.next", "Next marker", "Markers", _song("next_marker"), (".",),
                    menu="Markers"))
    register(Action("marker.previous", "Previous marker", "Markers", _song("previous_marker"),
                    (",",), menu="Markers"))
    register(Action("marker.loop_section", "Loop from this marker to the next", "Markers",
                    _song("loop_between_markers"), ("Shift+L",), menu="Markers"))
    # Mix: the digit row, by physical key; with Alt on every layout (on a French keyboard the
    # sixth key types "-": tempo down, so mute 6 is Alt + that key there)
    for n in range(1, 10):
        register(Action(f"mix.mute_{n}", f"Mute stem {n}", "Mix", _song("toggle_mute", n - 1),
                        (str(n), f"Alt+{n}"), by_physical_key=True,
                        listed_as=("1 … 9 or Alt+1 … 9", "Mute stem N")))
    for n in range(1, 10):
        register(Action(f"mix.solo_{n}", f"Solo stem {n}", "Mix", _song("toggle_solo", n - 1),
                        (f"Shift+{n}", f"Alt+Shift+{n}"), by_physical_key=True,
                        listed_as=("Shift+1 … 9 or Alt+Shift+1 … 9", "Solo stem N")))
    # Help
    register(Action("help.shortcuts", "Keys and mouse", "Help", _window("show_shortcuts"),
                    ("F1",), needs_song=False, menu="Help"))
    register(Action("help.log", "Where is the error log?", "Help", _window("show_log"),
                    needs_song=False, menu="Help"))
    register(Action("help.about", "About Woodshed", "Help", _window("show_about"),
                    needs_song=False, menu="Help"))


_defaults()

# Mouse gestures, listed in the F1 list beside the keys (they are not actions).
MOUSE = [("Wheel", "Zoom in time"), ("Drag", "Draw an A-B loop on the beats (Shift: freely)"),
         ("Drag a loop edge", "Move it on the beats (Shift: freely)"), ("Right / middle drag", "Scroll"),
         ("Click", "Seek"), ("Double-click a fader", "Back to 0 dB")]

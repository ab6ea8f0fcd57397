"""Keys Qt's shortcuts get wrong, matched here instead: the digit row by position (mute and
solo stem N), and punctuation ("[", "]", "-", "+", "=") by the character typed.

A shortcut in Qt is a character: Shift+1 arrives as "!" on a US keyboard, '!' on a UK one too,
but Shift+3 is "£" on a UK and "§" on a German keyboard, and on a French keyboard the digits
themselves need Shift (the unshifted keys type "&é\"'(-è_ç"). So mute and solo are matched by
the key's position, which the platform reports as a scan code, and Shift decides which of the
two it is. Events without a scan code (synthesised ones) fall back to the character a US
keyboard sends.

A key that types a character bound here is that character's key, even on the digit row: on a
French keyboard the sixth key types "-", and "-" is tempo down (the musician reads the key
cap). Mute and solo stay reachable there with Alt: Alt + the Nth key of the row mutes stem N
on every layout (Alt+Shift solos), whatever the key types.

Punctuation moves between layouts and needs Shift or AltGr on some ("+" is Shift+= on a US
keyboard, "[" is AltGr+8 on a German one, Ctrl+Alt+8 on Windows): a Qt shortcut "+" then sees
"Shift++" and does not fire. The character the key typed is what the musician meant.
"""
from __future__ import annotations

import logging

from PyQt6.QtCore import QEvent, QObject, Qt
from PyQt6.QtGui import QGuiApplication, QKeyEvent
from PyQt6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QPlainTextEdit, QTextEdit, QWidget

from .actions import US_SHIFTED, Action

log = logging.getLogger(__name__)

# Digit-row scan codes 1…9 per platform: X11 and Wayland report evdev codes + 8, Windows the
# set-1 scan codes; macOS has no scan code, its virtual key codes name the ANSI positions.
_X_SCAN = {10 + i: i + 1 for i in range(9)}
_WINDOWS_SCAN = {2 + i: i + 1 for i in range(9)}
_MAC_VIRTUAL = {0x12: 1, 0x13: 2, 0x14: 3, 0x15: 4, 0x17: 5, 0x16: 6, 0x1A: 7, 0x1C: 8, 0x19: 9}
_US_SHIFTED_DIGIT = {ch: int(d) for d, ch in US_SHIFTED.items() if d in "123456789"}


DigitPress = tuple[int, bool, bool]  # (N of the row's Nth key, with Shift, with Alt)


def digit_key(event: QKeyEvent) -> DigitPress | None:
    """(N, shifted, with_alt) when the key pressed is the digit row's Nth key (1…9), alone or
    with Shift and/or Alt; else None."""
    mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
    if mods & ~(Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.AltModifier):
        return None  # Ctrl+digit (and Ctrl+Alt: AltGr on Windows) belong to others
    shifted = bool(mods & Qt.KeyboardModifier.ShiftModifier)
    alt = bool(mods & Qt.KeyboardModifier.AltModifier)
    platform = QGuiApplication.platformName()
    if platform == "cocoa":
        n = _MAC_VIRTUAL.get(event.nativeVirtualKey())
        if n:
            return n, shifted, alt
    elif event.nativeScanCode():
        table = _WINDOWS_SCAN if platform == "windows" else _X_SCAN
        n = table.get(event.nativeScanCode())
        return (n, shifted, alt) if n else None
    # No position known (a synthesised event): the character a US keyboard sends.
    if Qt.Key.Key_1.value <= event.key() <= Qt.Key.Key_9.value:
        return event.key() - Qt.Key.Key_0.value, shifted, alt
    text = event.text()
    if text in _US_SHIFTED_DIGIT:
        return _US_SHIFTED_DIGIT[text], True, alt
    return None


def position_of(key: str) -> DigitPress:
    """A by-physical-key binding ("3", "Shift+3", "Alt+3", "Alt+Shift+3") as digit_key's tuple."""
    *mods, digit = key.split("+")
    return int(digit), "Shift" in mods, "Alt" in mods


def _punctuation(text: str) -> bool:
    return len(text) == 1 and not text.isalnum() and text.isprintable() and text != " "


def is_typed_character(key: str) -> bool:
    """A binding matched here rather than by a Qt shortcut: one punctuation character, alone
    or with Ctrl or Alt ("[", "Ctrl+["): on a German keyboard "[" is AltGr+8, and a Qt
    shortcut Ctrl+[ never sees Ctrl+AltGr+8 as its key."""
    prefix, char = _split(key)
    return prefix in ("", "Ctrl", "Alt") and _punctuation(char)


def _split(key: str) -> tuple[str, str]:
    if key == "+":
        return "", "+"
    if key.endswith("++"):
        return key[:-2], "+"
    prefix, _, char = key.rpartition("+")
    return prefix, char


def _typed(event: QKeyEvent) -> tuple[str, str] | None:
    """("", "[") for a "[" typed alone (Shift and AltGr as the layout needs), ("Ctrl", "[") or
    ("Alt", "[") with one of those held; None with Meta. Ctrl and Alt together are AltGr on
    Windows: typed alone."""
    mods = event.modifiers()
    if mods & Qt.KeyboardModifier.MetaModifier:
        return None
    ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
    alt = bool(mods & Qt.KeyboardModifier.AltModifier)
    if ctrl == alt:
        return "", event.text()
    # With Ctrl the text is a control character ("\x1b" for Ctrl+[): the key names it.
    key = event.key()
    return ("Ctrl" if ctrl else "Alt"), (chr(key) if 0x20 < key < 0x7f else "")


def _types_text(widget: QWidget | None) -> bool:
    """The focus is somewhere a digit is typed (a tempo box, a loop's name)."""
    return isinstance(widget, (QLineEdit, QAbstractSpinBox, QTextEdit, QPlainTextEdit)) or (
        isinstance(widget, QComboBox) and widget.isEditable())


class KeyFilter(QObject):
    """Application event filter for `window`: a digit-row press runs the by-physical-key
    action bound to that position ("3" or "Shift+3"), a punctuation character the action bound
    to it; not while the focus is a text field (there the key types)."""

    def __init__(self, window: QWidget, actions: list[Action], trigger):
        super().__init__(window)
        self.window = window
        self.trigger = trigger  # trigger(action)
        self.by_position: dict[DigitPress, Action] = {}
        self.by_character: dict[tuple[str, str], Action] = {}
        for action in actions:
            for key in action.keys:
                if action.by_physical_key:
                    self.by_position[position_of(key)] = action
                elif is_typed_character(key):
                    self.by_character[_split(key)] = action
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, obj, event):
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            return False
        if not isinstance(obj, QWidget) or obj.window() is not self.window:
            return False
        typed = _typed(event)
        if kind == QEvent.Type.ShortcutOverride:
            # A character bound here wins over Qt's guess at a shortcut: Ctrl+AltGr+8 types
            # "[" on a German keyboard, and Qt would take it for Ctrl+8.
            if typed in self.by_character and typed[0] and not digit_key(event):
                event.accept()
                return True
            return False
        if _types_text(QApplication.focusWidget()) and (typed is None or typed[0] == ""):
            return False  # a text field types what is typed alone (Ctrl+, still works there)
        # What the key types first: on a French keyboard the digit row's sixth key types
        # "-", tempo down (Alt + that key mutes stem 6 there).
        action = self.by_character.get(typed)
        if action is None:
            pressed = digit_key(event)
            action = self.by_position.get(pressed) if pressed else None
        if action is None:
            return False
        self.trigger(action)
        return True

"""The musician's own keys: any action of the registry (actions.py) bound to any key, kept in
the window's settings, applied over the defaults when the window starts and at once when
changed. A key taken from another action is taken away from it (one key, one action: Qt
fires neither of two actions sharing a key). The digit row's mute and solo are bound by
position (keyboard.py) and keep their keys."""
from __future__ import annotations

import logging

from PyQt6.QtGui import QKeySequence

from . import actions, keyboard, shortcuts

log = logging.getLogger(__name__)

SETTINGS_GROUP = "keys"
_defaults: dict[str, tuple[str, ...]] = {}


def default_keys(action_id: str) -> tuple[str, ...]:
    return _defaults.get(action_id, actions.get(action_id).keys)


def rebindable(action: actions.Action) -> bool:
    return not action.by_physical_key


def _remember_defaults() -> None:
    for action in actions.all_actions():
        _defaults.setdefault(action.id, action.keys)


def set_keys(window, action_id: str, keys, save: bool = True) -> list[str]:
    """Bind ``keys`` to the action; returns the names of actions that lost one of them."""
    keys = tuple(actions.normalised(k) for k in keys if k)
    _remember_defaults()
    robbed = []
    for other in actions.all_actions():
        if other.id == action_id or not rebindable(other):
            continue
        kept = tuple(k for k in other.keys if actions.normalised(k) not in keys)
        if kept != other.keys:
            actions.set_keys(other.id, kept)
            robbed.append(other.name)
            if save:
                _save(other.id, kept)
    actions.set_keys(action_id, keys)
    if save:
        _save(action_id, keys)
    rebind(window)
    return robbed


def reset_keys(window, action_id: str) -> list[str]:
    return set_keys(window, action_id, default_keys(action_id))


def _save(action_id: str, keys) -> None:
    from .main_window import settings

    store = settings()
    if tuple(keys) == _defaults.get(action_id):
        store.remove(f"{SETTINGS_GROUP}/{action_id}")
    else:
        store.setValue(f"{SETTINGS_GROUP}/{action_id}", "|".join(keys) or "none")


def restore_defaults() -> None:
    """Every action's keys as shipped (the registry is the process's, not one window's)."""
    _remember_defaults()
    for action_id, keys in _defaults.items():
        if actions.get(action_id).keys != keys:
            actions.set_keys(action_id, keys)


def apply_saved(window) -> None:
    """At start: the keys saved in the window's settings, over the defaults."""
    from .main_window import settings

    restore_defaults()  # the registry is the process's: start clean
    store = settings()
    store.beginGroup(SETTINGS_GROUP)
    saved = {action_id: store.value(action_id, "") for action_id in store.childKeys()}
    store.endGroup()
    known = {a.id for a in actions.all_actions()}
    for action_id, text in saved.items():
        if action_id not in known or not isinstance(text, str):
            continue
        keys = [] if text == "none" else [k for k in text.split("|") if k]
        set_keys(window, action_id, keys, save=False)
    rebind(window)


def rebind(window) -> None:
    """The window's shortcuts and key filter from the registry as it is now."""
    for action in actions.all_actions():
        qaction = window.qactions.get(action.id)
        if qaction is None:
            continue
        qt_keys = [k for k in action.keys if not keyboard.is_typed_character(k)]
        qaction.setShortcuts([QKeySequence(k) for k in qt_keys])
        typed_only = action.keys and not qt_keys  # matched by the key filter: shown, not bound
        qaction.setText(f"{action.name}\t{shortcuts.pretty(action.keys[0])}" if typed_only
                        else action.name)
    from PyQt6.QtWidgets import QApplication

    old = getattr(window, "key_filter", None)
    if old is not None:
        QApplication.instance().removeEventFilter(old)
        old.deleteLater()
    window.key_filter = keyboard.KeyFilter(window, actions.all_actions(), window.trigger)

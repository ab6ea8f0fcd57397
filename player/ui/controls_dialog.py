"""Pedals, MIDI and keys: every action of the registry with its keys and its MIDI bindings.

Select an action, then *Learn MIDI* and press the pedal (a tap, or a double tap's binding), or
*Set key* with a key typed into the box (a page-turner pedal's key works too). Bindings are
per MIDI device: a learned one goes to the device that sent it; "Any device" holds the
defaults for devices without their own.
"""
from __future__ import annotations

from PyQt6.QtGui import QKeySequence
from PyQt6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QHBoxLayout,
                             QHeaderView,
                             QKeySequenceEdit, QLabel, QPushButton, QTableWidget,
                             QTableWidgetItem, QVBoxLayout, QWidget)

from woodshed.player.midi import bindings as b
from woodshed.player.midi.actions import ACTIONS as MIDI_ACTIONS

from . import actions, keymap, shortcuts

ANY_DEVICE_LABEL = "Any device (defaults)"
COLUMNS = ("Action", "Keys", "MIDI tap", "MIDI double tap")


def bindable_actions() -> list[tuple[str, str, bool]]:
    """(id, name, has keys) for every registry action, then the expression-pedal ones."""
    rows = [(a.id, a.name, True) for a in actions.all_actions()]
    rows += [(a.id, a.name, False) for a in MIDI_ACTIONS.values() if a.continuous]
    return rows


class ControlsDialog(QDialog):
    def __init__(self, window, parent: QWidget | None = None):
        super().__init__(parent or window)
        self.window = window
        self.setWindowTitle("Pedals, MIDI and keys")
        self.setObjectName("controls")
        self.resize(760, 600)
        self.bridge = window.midi
        self.rows = bindable_actions()

        self.device = QComboBox()
        self.device.currentIndexChanged.connect(lambda _: (self.refresh(), self._selected()))
        self.table = QTableWidget(len(self.rows), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selected)

        self.learn_tap = QPushButton("Learn MIDI")
        self.learn_tap.setToolTip("Then press the pedal, pad or key on your MIDI device")
        self.learn_double = QPushButton("Learn double tap")
        self.clear_midi = QPushButton("Clear MIDI")
        self.latching = QCheckBox("Latching pedal")
        self.latching.setToolTip("For a pedal that stays down until pressed again (it sends "
                                 "127 on one press, 0 on the next): every press acts")
        self.latching.toggled.connect(self._latching_toggled)
        self.key_edit = QKeySequenceEdit()
        self.key_edit.setMaximumSequenceLength(1)
        self.set_key = QPushButton("Set key")
        self.default_keys = QPushButton("Default keys")
        self.message = QLabel("Select an action.")
        self.message.setWordWrap(True)
        self.learn_tap.clicked.connect(lambda: self.learn("tap"))
        self.learn_double.clicked.connect(lambda: self.learn("double_tap"))
        self.clear_midi.clicked.connect(self.clear)
        self.set_key.clicked.connect(self.apply_key)
        self.default_keys.clicked.connect(self.reset_keys)
        if self.bridge is not None:
            self.bridge.learned.connect(self._learned)
            self.bridge.status.connect(self._status)

        midi_row = QHBoxLayout()
        midi_row.addWidget(QLabel("MIDI device:"))
        midi_row.addWidget(self.device, 1)
        midi_row.addWidget(self.learn_tap)
        midi_row.addWidget(self.learn_double)
        midi_row.addWidget(self.clear_midi)
        midi_row.addWidget(self.latching)
        key_row = QHBoxLayout()
        key_row.addWidget(QLabel("Key:"))
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.set_key)
        key_row.addWidget(self.default_keys)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(midi_row)
        layout.addLayout(key_row)
        layout.addWidget(self.message)
        self._fill_devices()
        self.refresh()
        self._selected()

    # --- reading -------------------------------------------------------------------------
    @property
    def controller(self):
        return self.bridge.controller if self.bridge is not None else None

    def current_device(self) -> str:
        return self.device.currentData() or b.ANY_DEVICE

    def selected_action(self) -> tuple[str, str, bool] | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None

    def select(self, action_id: str) -> None:
        for r, (row_id, _, _) in enumerate(self.rows):
            if row_id == action_id:
                self.table.selectRow(r)
                return
        raise KeyError(action_id)

    def _fill_devices(self, choose: str | None = None) -> None:
        names = []
        if self.controller is not None:
            names = [d for d in self.controller.table if d != b.ANY_DEVICE]
            inputs = self.controller.inputs
            for port in inputs.open_ports() if inputs is not None else []:
                if port.device not in names:
                    names.append(port.device)
        choose = choose or self.current_device()
        self.device.blockSignals(True)
        self.device.clear()
        self.device.addItem(ANY_DEVICE_LABEL, b.ANY_DEVICE)
        for name in names:
            self.device.addItem(name, name)
        index = self.device.findData(choose)
        self.device.setCurrentIndex(max(0, index))
        self.device.blockSignals(False)

    def midi_text(self, action_id: str, gesture: str) -> str:
        if self.controller is None:
            return ""
        found = [x for x in self.controller.bindings_for(self.current_device())
                 if x.action == action_id and x.gesture == gesture]
        return ", ".join(str(x.control) + (" (toggle)" if x.pedal == "toggle" else "")
                         for x in found)

    def refresh(self) -> None:
        for r, (action_id, name, has_keys) in enumerate(self.rows):
            keys = actions.get(action_id).keys if has_keys else ()
            by_position = has_keys and not keymap.rebindable(actions.get(action_id))
            texts = (name, " or ".join(shortcuts.pretty(k) for k in keys) + (
                        " (by position)" if by_position else ""),
                     self.midi_text(action_id, "tap"), self.midi_text(action_id, "double_tap"))
            for c, text in enumerate(texts):
                item = self.table.item(r, c)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(r, c, item)
                item.setText(text)

    def _selected(self) -> None:
        row = self.selected_action()
        has_midi = row is not None and self.controller is not None
        for button in (self.learn_tap, self.learn_double, self.clear_midi, self.latching):
            button.setEnabled(has_midi)
        self.latching.blockSignals(True)
        self.latching.setChecked(has_midi and any(
            x.action == row[0] and x.pedal == "toggle"
            for x in self.controller.bindings_for(self.current_device())))
        self.latching.blockSignals(False)
        keys_ok = row is not None and row[2] and keymap.rebindable(actions.get(row[0]))
        for w in (self.key_edit, self.set_key, self.default_keys):
            w.setEnabled(bool(keys_ok))
        if row is not None and MIDI_ACTIONS.get(row[0]) and MIDI_ACTIONS[row[0]].continuous:
            self.learn_double.setEnabled(False)  # an expression pedal has no taps

    # --- changing ------------------------------------------------------------------------
    def learn(self, gesture: str) -> None:
        row = self.selected_action()
        if row is None or self.controller is None:
            return
        self.controller.learn(row[0], gesture)
        what = "move the expression pedal" if gesture == "tap" and not row[2] else (
            "press the pedal twice (a double tap)" if gesture == "double_tap" else "press the pedal")
        self.message.setText(f"Learning “{row[1]}”: {what} on your MIDI device…")

    def _learned(self, device: str, binding) -> None:
        self._fill_devices(choose=device)
        self.refresh()
        self._selected()
        name = dict((r[0], r[1]) for r in self.rows).get(binding.action, binding.action)
        self.message.setText(f"“{name}”: {binding.control} on {device}"
                             + (" (double tap)" if binding.gesture == "double_tap" else ""))

    def _status(self, line: str) -> None:
        if line.endswith(("connected", "disconnected")):
            self._fill_devices()
        else:
            self.message.setText(line)

    def _latching_toggled(self, on: bool) -> None:
        row = self.selected_action()
        if row is None or self.controller is None:
            return
        self.controller.set_pedal(self.current_device(), row[0], "toggle" if on else "momentary")
        self.refresh()
        self.message.setText(f"“{row[1]}”: " + ("every press of a latching pedal acts" if on
                                                 else "acts when the pedal goes down"))

    def clear(self) -> None:
        row = self.selected_action()
        if row is None or self.controller is None:
            return
        self.controller.cancel_learn()
        self.controller.unbind(self.current_device(), row[0])
        self.refresh()
        self.message.setText(f"“{row[1]}”: no MIDI binding on {self.device.currentText()}")

    def apply_key(self) -> None:
        row = self.selected_action()
        sequence = self.key_edit.keySequence()
        if row is None or sequence.isEmpty():
            self.message.setText("Type a key into the box first.")
            return
        key = sequence.toString(QKeySequence.SequenceFormat.PortableText)
        action = actions.get(row[0])
        robbed = keymap.set_keys(self.window, row[0], (*action.keys, key))
        self.refresh()
        said = f"“{row[1]}”: {shortcuts.pretty(key)}"
        if robbed:
            said += f" (taken from “{robbed[0]}”)"
        self.message.setText(said)
        self.key_edit.clear()

    def reset_keys(self) -> None:
        row = self.selected_action()
        if row is None:
            return
        keymap.reset_keys(self.window, row[0])
        self.refresh()
        self.message.setText(f"“{row[1]}”: default keys")

    def done(self, result: int) -> None:
        if self.controller is not None:
            self.controller.cancel_learn()
        super().done(result)

"""A message strip at the top of the window: errors a musician can act on, never tracebacks."""
from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class Banner(QFrame):
    action_clicked = pyqtSignal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.setStyleSheet("#banner { background: #5a1e1e; border-radius: 4px; } "
                           "#banner QLabel { color: #ffd7d5; }")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.action = QPushButton()
        self.action.hide()
        close = QPushButton("✕")
        close.setFlat(True)
        close.setFixedWidth(28)
        close.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 4, 4, 4)
        row.addWidget(self.text, 1)
        row.addWidget(self.action)
        row.addWidget(close)
        self.action.clicked.connect(lambda: self.action_clicked.emit(self.action.text()))
        self.hide()

    def show_message(self, text: str, action: str | None = None) -> None:
        self.text.setText(text)
        self.action.setVisible(bool(action))
        if action:
            self.action.setText(action)
        self.show()

    @property
    def message(self) -> str:
        return self.text.text() if self.isVisible() else ""

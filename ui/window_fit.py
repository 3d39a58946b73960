"""Where the main window opens: always inside the available area of a screen (the desktop less the taskbar).

A remembered geometry is used only while it still fits the screen it would open on; one from another monitor, a
larger screen or another display scaling is replaced by the default. The default is a comfortable size in the
middle of the screen, or the whole screen (maximized) where that size does not fit, as on a 1366 × 768 laptop at
125 %.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QMargins, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

DEFAULT_SIZE = QSize(1360, 820)
# What a frame adds around the window's contents on Windows (borders and title bar); before the window is shown
# its frame is not known yet, so a window fits when its contents with this margin fit.
FRAME = QMargins(8, 31, 8, 8)


def _screen_for(rect: QRect | None) -> QScreen:
    screen = QGuiApplication.screenAt(rect.center()) if rect is not None else None
    return screen or QGuiApplication.primaryScreen()


def fits(size: QSize, area: QRect) -> bool:
    """Whether a window of ``size`` with its frame fits into ``area``."""
    return size.width() + FRAME.left() + FRAME.right() <= area.width() and (
        size.height() + FRAME.top() + FRAME.bottom() <= area.height()
    )


def _inside(rect: QRect, area: QRect) -> QRect:
    """``rect`` moved (not resized) so that it lies in ``area`` with room for its frame."""
    inner = area.marginsRemoved(FRAME)
    moved = QRect(rect)
    moved.moveLeft(max(inner.left(), min(rect.left(), inner.right() - rect.width() + 1)))
    moved.moveTop(max(inner.top(), min(rect.top(), inner.bottom() - rect.height() + 1)))
    return moved


def place_window(window: QWidget, saved: QByteArray | None) -> bool:
    """Give ``window`` (not yet shown) the ``saved`` geometry if it still fits its screen, else the default.

    Returns True when the saved geometry was used.
    """
    if saved is not None and not saved.isEmpty() and window.restoreGeometry(saved):
        if window.isMaximized() or window.isFullScreen():
            return True
        area = _screen_for(window.geometry()).availableGeometry()
        if fits(window.size(), area):
            window.setGeometry(_inside(window.geometry(), area))
            return True
        window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMaximized)
    place_default(window)
    return False


def place_default(window: QWidget) -> None:
    """The default size in the middle of the primary screen, or maximized where that size does not fit."""
    area = _screen_for(None).availableGeometry()
    if fits(DEFAULT_SIZE, area):
        rect = QRect(0, 0, DEFAULT_SIZE.width(), DEFAULT_SIZE.height())
        rect.moveCenter(area.center())
        window.setGeometry(_inside(rect, area))
        return
    # Un-maximized later, the window keeps to the screen too.
    window.setGeometry(area.marginsRemoved(FRAME))
    window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)


def resize_within_screen(widget: QWidget, width: int, height: int) -> None:
    """Give a dialog or window its preferred size, or as much of it as its screen has room for."""
    parent = widget.parentWidget()
    screen = parent.window().screen() if parent is not None else _screen_for(None)
    area = screen.availableGeometry().marginsRemoved(FRAME)
    widget.resize(min(width, area.width()), min(height, area.height()))

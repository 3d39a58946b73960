"""帮助 → 用户手册 (F1): the user guide, docs/用户手册.md with its pictures, shown in a window of its own, offline.

The guide is the same Markdown file the repository shows; the installed program carries it (and the pictures it
names) in its bundle, at the same place relative to the resources folder.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QCoreApplication, Qt, QUrl
from PySide6.QtGui import QImage, QPixmap, QResizeEvent, QTextCursor, QTextDocument, QTextImageFormat
from PySide6.QtWidgets import QMessageBox, QTextBrowser, QVBoxLayout, QWidget

from app import RESOURCES_DIR
from ui.window_api import WindowApi
from ui.window_fit import resize_within_screen

GUIDE = RESOURCES_DIR.parent / "docs" / "用户手册.md"


class GuideWindow(QWidget):
    """The guide in a window beside the program, so it can stay open while the clerk works."""

    def __init__(self, path: Path = GUIDE, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("GuideWindow")
        self.setWindowTitle(self.tr("填报通 用户手册"))
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        # The text wraps and the pictures shrink to the width; only Chinese punctuation kept at a line's end hangs a
        # few pixels over, which is no reason for a scroll bar.
        self.browser.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Relative picture paths in the Markdown resolve against the file's own folder.
        self.browser.setSource(QUrl.fromLocalFile(str(path)), QTextDocument.ResourceType.MarkdownResource)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.browser)
        resize_within_screen(self, 900, 700)
        self._fit_pictures()

    def _images(self) -> list[tuple[int, int, QTextImageFormat]]:
        """Where the document shows a picture: position, length and format of each."""
        found = []
        block = self.browser.document().begin()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                fragment = it.fragment()
                if fragment.charFormat().isImageFormat():
                    found.append((fragment.position(), fragment.length(), fragment.charFormat().toImageFormat()))
                it += 1
            block = block.next()
        return found

    def picture(self, name: str) -> QImage:
        """The picture the guide shows as ``name`` (a null image if it could not be read)."""
        data = self.browser.document().resource(QTextDocument.ResourceType.ImageResource, QUrl(name))
        if isinstance(data, QImage):
            return data
        if isinstance(data, QPixmap):
            return data.toImage()
        return QImage.fromData(data) if isinstance(data, QByteArray | bytes) else QImage()

    def pictures(self) -> list[str]:
        """The names of the pictures the guide shows, in order."""
        return [image.name() for _, _, image in self._images()]

    def _fit_pictures(self) -> None:
        """Show every picture at most as wide as the window (a screenshot is wider than a reading column)."""
        room = max(200, self.width() - 60)  # less the margins and a scroll bar
        for position, length, image in self._images():
            picture = self.picture(image.name())
            if picture.isNull():
                continue
            width = min(picture.width() / picture.devicePixelRatio(), room)
            if image.width() == width:
                continue
            image.setWidth(width)
            image.setHeight(width * picture.height() / picture.width())
            cursor = QTextCursor(self.browser.document())
            cursor.setPosition(position)
            cursor.setPosition(position + length, QTextCursor.MoveMode.KeepAnchor)
            cursor.setCharFormat(image)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_pictures()


def open_user_guide(host: WindowApi, path: Path = GUIDE) -> GuideWindow | None:
    """Show the guide (the open one, brought forward, if it is open already); None if it is missing."""
    parent = host.window()
    guide = parent.findChild(GuideWindow, "GuideWindow")
    if guide is None:
        if not path.is_file():
            QMessageBox.warning(
                parent,
                QCoreApplication.translate("UserGuide", "用户手册"),
                QCoreApplication.translate("UserGuide", "找不到用户手册文件：\n%1\n请重新安装填报通。").replace(
                    "%1", str(path)
                ),
            )
            return None
        guide = GuideWindow(path, parent)
    guide.show()
    guide.raise_()
    guide.activateWindow()
    return guide

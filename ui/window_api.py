"""What the menus' actions and dialogs may use of the main window, so that none of them imports it.

The main window satisfies :class:`WindowApi`; a test can hand an action any small object that does. Every
action gets the window's database and settings, the form open in it, a parent for its dialogs, a way to say
something in the status bar and to have the form shown again, and the window's single task runner.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget

from app.storage.db import Database
from app.storage.form import FormService
from ui.tasks import TaskRunner, runner_for


class WindowApi(Protocol):
    """The main window as the actions see it."""

    @property
    def db(self) -> Database:
        """The database the window works on (the UI thread's connection; a background job opens its own)."""
        ...

    @property
    def settings(self) -> QSettings: ...

    @property
    def form(self) -> FormService | None:
        """The unit and period open in the window, with its last check; None before a form is open."""
        ...

    def window(self) -> QWidget:
        """The top-level widget: the parent of the dialogs an action opens (``QWidget.window``)."""
        ...

    def show_message(self, text: str) -> None:
        """Tell the user something in the status bar."""
        ...

    def reload_form(self) -> None:
        """Open the current form again from the database (after signing, importing, a return …)."""
        ...

    def refresh_form(self) -> None:
        """Show the open form's figures again after they changed outside the grid (an import of values); the
        grid's undo history no longer applies to them."""
        ...


def task_runner(host: WindowApi) -> TaskRunner:
    """The window's one runner for work off the UI thread (imports, exports), so its jobs never overlap."""
    return runner_for(host.window())

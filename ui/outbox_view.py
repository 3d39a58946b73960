"""报送记录: every submission of the outbox with its state, times and receipt, and what the city sent back.

A receipt (回执) can be printed or saved as the one-page 回执单 PDF; a refused submission can be queued again;
notices and templates the intake service offered wait here until the clerk applies or sets them aside.
The tables are thin Qt models over the lists :mod:`app.transport.outbox` and :mod:`app.transport.inbox` return.
"""

from __future__ import annotations

from pathlib import Path
from typing import Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QPersistentModelIndex, QStandardPaths, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.engine.timefmt import BEIJING, clock_text, stored_moment
from app.storage.files import write_atomic
from app.storage.uploads import InboxItem, OutboxItem
from app.transport import inbox, outbox
from app.trust.keys import KeyStore, default_keys_dir
from ui.keys_dialog import ask_passphrase
from ui.outbox_monitor import OutboxMonitor, monitor_of
from ui.outbox_status import contact_label
from ui.texts import period_label

STATE_COLOURS = {
    outbox.PENDING: "#8a6100",
    outbox.SENDING: "#1d4f91",
    outbox.DELIVERED: "#1b6e37",
    outbox.REFUSED: "#a11d1d",
    outbox.RETURNED: "#a11d1d",
}
AnyIndex = QModelIndex | QPersistentModelIndex
translate = QCoreApplication.translate


def state_text(item: OutboxItem) -> str:
    """The entry's state as the clerk reads it (待上报 … 已退回)."""
    if item.state == outbox.DELIVERED and item.accepted_at:
        return translate("Outbox", "已送达（审核通过）")
    return {
        outbox.PENDING: translate("Outbox", "待上报"),
        outbox.SENDING: translate("Outbox", "上报中"),
        outbox.DELIVERED: translate("Outbox", "已送达"),
        outbox.REFUSED: translate("Outbox", "被拒收"),
        outbox.RETURNED: translate("Outbox", "已退回"),
    }.get(item.state, item.state)


def verdict_text(verdict: str | None) -> str:
    """The receipt's verdict (accepted / superseded / duplicate)."""
    return {
        "accepted": translate("Outbox", "已接收"),
        "superseded": translate("Outbox", "已接收（市级已有更新的版本）"),
        "duplicate": translate("Outbox", "重复报送（此前已接收）"),
    }.get(verdict or "", verdict or "")


def kind_text(kind: str) -> str:
    """What the city sent back: a return, an acceptance, an extension or a template."""
    return {
        "returned": translate("Outbox", "退回通知"),
        "accepted": translate("Outbox", "审核通过"),
        "extension": translate("Outbox", "延期通知"),
        "template": translate("Outbox", "新模板"),
    }.get(kind, kind)


def beijing(when: str | None) -> str:
    """A stored UTC time as Beijing time, to the second."""
    moment = stored_moment(when)
    if moment is None:
        return when or ""
    return clock_text(moment.astimezone(BEIJING))


def _period(text: str) -> str:
    from app.engine.periods import Period, PeriodError

    try:
        period = Period.parse(text)
    except PeriodError:
        return text
    return period_label(period.year, period.quarter)


T = TypeVar("T")


class _ListModel(QAbstractTableModel, Generic[T]):
    """A table over a plain list the view hands it: rows are its items, columns its headers."""

    items: list[T]
    headers: list[str]

    def set_items(self, items: list[T]) -> None:
        self.beginResetModel()
        self.items = items
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section] if 0 <= section < len(self.headers) else None
        return None


class OutboxTableModel(_ListModel[OutboxItem]):
    """The outbox's submissions, newest first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items: list[OutboxItem] = []
        self.headers = [
            translate("Outbox", "状态"),
            translate("Outbox", "单位"),
            translate("Outbox", "报告期"),
            translate("Outbox", "版本"),
            translate("Outbox", "签名时间"),
            translate("Outbox", "送达时间（北京时间）"),
            translate("Outbox", "序号"),
            translate("Outbox", "报送编号"),
            translate("Outbox", "回执 / 原因"),
        ]

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self.items):
            return None
        item = self.items[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(item, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == 0:
            return QBrush(QColor(STATE_COLOURS.get(item.state, "#000000")))
        if role == Qt.ItemDataRole.ToolTipRole and column in (0, 8):
            return self._detail(item) or None
        return None

    def _text(self, item: OutboxItem, column: int) -> str:
        if column == 0:
            return state_text(item)
        if column == 1:
            return item.unit_name
        if column == 2:
            return _period(item.period)
        if column == 3:
            return translate("Outbox", "第 %1 版").replace("%1", str(item.revision))
        if column == 4:
            return beijing(item.queued_at)
        if column == 5:
            return beijing(item.received_at)
        if column == 6:
            return "" if item.sequence is None else str(item.sequence)
        if column == 7:
            return item.submission_id
        return self._detail(item)

    @staticmethod
    def _detail(item: OutboxItem) -> str:
        if item.state == outbox.RETURNED:
            return translate("Outbox", "退回原因：%1").replace("%1", item.returned_reason or "")
        if item.state == outbox.REFUSED:
            return item.reason or ""
        if item.has_receipt:
            return verdict_text(item.verdict)
        if item.last_error:
            return translate("Outbox", "上次尝试：%1").replace("%1", item.last_error)
        return ""


class InboxTableModel(_ListModel[InboxItem]):
    """What the city sent back and the clerk has not decided on yet."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items: list[InboxItem] = []
        self.headers = [
            translate("Outbox", "类型"),
            translate("Outbox", "内容"),
            translate("Outbox", "收到时间（北京时间）"),
        ]

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self.items):
            return None
        item = self.items[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return (kind_text(item.kind), item.summary, beijing(item.fetched_at))[index.column()]
        return None


class OutboxView(QDialog):
    """The 报送记录 window (not modal: the clerk can keep it open beside the form)."""

    def __init__(self, monitor: OutboxMonitor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("OutboxView")
        self.monitor = monitor
        self.setWindowTitle(translate("Outbox", "报送记录"))
        self.resize(1180, 560)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.send_button = QPushButton(translate("Outbox", "立即上报"))
        self.send_button.clicked.connect(self.send_now)
        self.notices_button = QPushButton(translate("Outbox", "接收市级通知…"))
        self.notices_button.clicked.connect(self.receive_notices)
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(self.send_button)
        top.addWidget(self.notices_button)

        self.model = OutboxTableModel(self)
        self.table = self._table(self.model)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _index: self.print_receipt())
        self.print_button = QPushButton(translate("Outbox", "查看 / 打印回执…"))
        self.print_button.clicked.connect(self.print_receipt)
        self.save_button = QPushButton(translate("Outbox", "保存回执单 PDF…"))
        self.save_button.clicked.connect(self.save_receipt)
        self.retry_button = QPushButton(translate("Outbox", "重新上报"))
        self.retry_button.clicked.connect(self.retry)
        row = QHBoxLayout()
        row.addStretch(1)
        for button in (self.print_button, self.save_button, self.retry_button):
            row.addWidget(button)

        self.offers = InboxTableModel(self)
        self.offer_table = self._table(self.offers)
        self.offer_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.offer_table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.offer_label = QLabel(translate("Outbox", "市级发来、待确认的通知和模板（确认后才会生效）："))
        self.apply_button = QPushButton(translate("Outbox", "应用"))
        self.apply_button.clicked.connect(self.apply_offer)
        self.dismiss_button = QPushButton(translate("Outbox", "不应用"))
        self.dismiss_button.clicked.connect(self.dismiss_offer)
        offer_row = QHBoxLayout()
        offer_row.addStretch(1)
        offer_row.addWidget(self.apply_button)
        offer_row.addWidget(self.dismiss_button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 3)
        layout.addLayout(row)
        layout.addWidget(self.offer_label)
        layout.addWidget(self.offer_table, 1)
        layout.addLayout(offer_row)
        monitor.changed.connect(self.reload)
        self.reload()

    def _table(self, model: QAbstractTableModel) -> QTableView:
        table = QTableView()
        table.setModel(model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setStretchLastSection(True)
        table.setWordWrap(False)
        return table

    # ------------------------------------------------------------------ showing

    def reload(self) -> None:
        db = self.monitor.db
        chosen = self.selected()
        self.model.set_items(outbox.list_outbox(db))
        self.offers.set_items(inbox.list_inbox(db, waiting_only=True))
        self.table.resizeColumnsToContents()
        if chosen is not None:
            for row, item in enumerate(self.model.items):
                if item.id == chosen.id:
                    self.table.selectRow(row)
        summary = self.monitor.summary
        if summary.address is None:
            text = translate("Outbox", "未设置上报地址：报送以文件方式进行（导出已签名的 Excel 和 PDF 交市级）。")
        else:
            text = (
                translate("Outbox", "上报地址：%1 · 待上报 %2 · 最后联系 %3")
                .replace("%1", summary.address)
                .replace("%2", str(summary.pending))
                .replace("%3", contact_label(summary.last_contact))
            )
            if summary.reachable is False and summary.error:
                text += "\n" + translate("Outbox", "无法连接：%1").replace("%1", summary.error)
        self.status.setText(text)
        self.send_button.setEnabled(summary.address is not None)
        self.notices_button.setEnabled(summary.address is not None)
        self.offer_label.setVisible(bool(self.offers.items))
        self.offer_table.setVisible(bool(self.offers.items))
        self._selection_changed()

    def selected(self) -> OutboxItem | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.items[rows[0].row()] if rows and rows[0].row() < len(self.model.items) else None

    def selected_offer(self) -> InboxItem | None:
        rows = self.offer_table.selectionModel().selectedRows()
        return self.offers.items[rows[0].row()] if rows and rows[0].row() < len(self.offers.items) else None

    def _selection_changed(self, *_args: object) -> None:
        item = self.selected()
        has_receipt = item is not None and item.has_receipt
        self.print_button.setEnabled(has_receipt)
        self.save_button.setEnabled(has_receipt)
        self.retry_button.setEnabled(item is not None and item.state == outbox.REFUSED)
        offer = self.selected_offer() is not None
        self.apply_button.setEnabled(offer)
        self.dismiss_button.setEnabled(offer)
        for button in (self.apply_button, self.dismiss_button):
            button.setVisible(bool(self.offers.items))

    # ------------------------------------------------------------------ actions

    def _keys(self) -> KeyStore:
        return KeyStore(default_keys_dir(self.monitor.db.path))

    def send_now(self) -> None:
        self.monitor.run_now()
        self.status.setText(translate("Outbox", "正在上报…"))

    def receive_notices(self) -> None:
        """Unlock the unit's key (once per run) so that the rounds fetch its notices, and fetch now."""
        unit = self._notice_unit()
        if unit is None:
            QMessageBox.information(
                self,
                translate("Outbox", "接收市级通知"),
                translate("Outbox", "还没有可接收通知的单位（先签名报送一次）。"),
            )
            return
        if not self.monitor.has_key(unit):
            secret = ask_passphrase(self, translate("Outbox", "本单位私钥口令（用于向市级证明身份）"))
            if secret is None:
                return
            if not self.monitor.remember_key(unit, secret):
                QMessageBox.warning(
                    self,
                    translate("Outbox", "接收市级通知"),
                    translate("Outbox", "口令不对，或本机没有单位 %1 的密钥。").replace("%1", unit),
                )
                return
        self.monitor.run_now()

    def _notice_unit(self) -> str | None:
        item = self.selected()
        if item is not None:
            return item.unit_code
        own = str(self.monitor.settings.value("unit", "") or "")
        if own:
            return own
        return self.model.items[0].unit_code if self.model.items else None

    def receipt_pdf(self, item: OutboxItem) -> bytes | None:
        """The 回执单 of ``item``, its receipt verified again; a message instead when it cannot be."""
        from app.transport.receipt_pdf import render_receipt_pdf
        from app.transport.receipts import ReceiptError

        keys = self._keys()
        try:
            receipt = outbox.stored_receipt(self.monitor.db, item.id, keys.city_certificate())
        except (ReceiptError, OSError, ValueError) as exc:
            QMessageBox.warning(self, translate("Outbox", "回执无法核验"), str(exc))
            return None
        if receipt is None:
            return None
        return render_receipt_pdf(receipt)

    def print_receipt(self) -> None:
        item = self.selected()
        if item is None or not item.has_receipt:
            return
        pdf = self.receipt_pdf(item)
        if pdf is not None:
            from ui.printing import preview

            preview(pdf, self)

    def save_receipt(self) -> None:
        item = self.selected()
        if item is None or not item.has_receipt:
            return
        start = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        name = f"回执单_{item.unit_name}_{item.period}_第{item.revision}版.pdf"
        path, _ = QFileDialog.getSaveFileName(
            self, translate("Outbox", "保存回执单"), str(Path(start) / name), translate("Outbox", "PDF 文件 (*.pdf)")
        )
        if path:
            self.save_receipt_to(item, Path(path))

    def save_receipt_to(self, item: OutboxItem, path: Path) -> bool:
        pdf = self.receipt_pdf(item)
        if pdf is None:
            return False
        try:
            write_atomic(path, pdf)
        except OSError as exc:
            QMessageBox.warning(self, translate("Outbox", "回执单未保存"), str(exc.strerror or exc))
            return False
        self.status.setText(translate("Outbox", "已保存回执单：%1").replace("%1", str(path)))
        return True

    def retry(self) -> None:
        item = self.selected()
        if item is not None and outbox.retry_refused(self.monitor.db, item.id):
            self.monitor.refresh()
            self.monitor.run_now()

    def apply_offer(self) -> None:
        offer = self.selected_offer()
        if offer is None:
            return
        question = translate("Outbox", "应用这项%1？\n%2").replace("%1", kind_text(offer.kind))
        question = question.replace("%2", offer.summary)
        answer = QMessageBox.question(self, translate("Outbox", "市级通知"), question)
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            message = inbox.apply(self.monitor.db, self._keys(), offer.id)
        except inbox.InboxError as exc:
            QMessageBox.warning(self, translate("Outbox", "未能应用"), str(exc))
            return
        self.monitor.refresh()
        self.monitor.applied.emit(offer.kind)
        QMessageBox.information(self, translate("Outbox", "市级通知"), message)

    def dismiss_offer(self) -> None:
        offer = self.selected_offer()
        if offer is not None:
            inbox.dismiss(self.monitor.db, offer.id)
            self.monitor.refresh()


def open_outbox(window: QWidget) -> OutboxView | None:
    """Show the window's 报送记录 (one at a time; brought to the front when it is open already)."""
    monitor = monitor_of(window)
    if monitor is None:
        return None
    view = window.findChild(OutboxView, "OutboxView")
    if not isinstance(view, OutboxView):
        view = OutboxView(monitor, window)
        view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    view.show()
    view.raise_()
    view.activateWindow()
    return view

"""The sign-off box under the session's details: who signed, a comment field and the button.

A refusal (still running, record broken, no permission, disk full) appears in words under the
button and the typed comment stays, so nothing the supervisor wrote is lost.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from kaproom.domain.vocabulary import signer_words
from kaproom.export.records import LocalRecords, Records
from kaproom.export.report_data import SessionReport
from kaproom.export.report_rows import SignOffRow
from kaproom.export.summary import wall_text
from kaproom.services.signoff import COMMENT_MAX
from kaproom.ui.kit.errors import run_guarded, say
from kaproom.ui.kit.labels import plain_label
from kaproom.ui.kit.theme import set_level

if TYPE_CHECKING:
    from kaproom.domain.people import User
    from kaproom.services.workspace import Workspace


def status_text(report: SessionReport) -> tuple[str, bool]:
    """What the status line says, and whether it must stand out (amended after sign-off)."""
    if not report.signoffs:
        return "Not signed off yet.", False
    last = report.signoffs[-1]
    text = f"Signed off by {signer_words(last.author, last.office)} on {wall_text(last.wall_time, with_seconds=False)}."
    if len(report.signoffs) > 1:
        text += f" ({len(report.signoffs)} sign-offs in all.)"
    after = [a for a in report.amendments if a.after_signoff]
    if after:
        text += (f"\n{len(after)} amendment{'s were' if len(after) > 1 else ' was'} made AFTER the first "
                 "sign-off; they are marked in the timeline.")
    return text, bool(after)


class SignOffPanel(QWidget):
    """Emits ``signed(event)`` after a sign-off is committed."""

    signed = Signal(object)

    def __init__(self, workspace: Workspace, user_name: str, user: User | None = None,
                 parent: QWidget | None = None, records: Records | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signoffPanel")
        self.workspace, self.user_name, self.user = workspace, user_name, user
        self.records: Records = records or LocalRecords(workspace)
        self.report: SessionReport | None = None
        self._drafts: dict[str, str] = {}
        self.status = plain_label("signoffStatus")
        self.comment = QPlainTextEdit()
        self.comment.setObjectName("signoffComment")
        self.comment.setPlaceholderText("Comment for the record (optional)")
        self.comment.setAccessibleName("Sign-off comment")
        self.comment.setTabChangesFocus(True)
        self.comment.setMaximumHeight(90)
        self.button = QPushButton(f"Sign off as {user.name if user else user_name}")
        self.button.setObjectName("signoffButton")
        self.button.clicked.connect(self.sign)
        self.message = plain_label("reviewMessage")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.status, self.comment, self.button, self.message):
            layout.addWidget(widget)

    def set_user(self, user: User) -> None:
        self.user, self.user_name = user, user.name
        if self.report is not None:
            self.set_report(self.report)

    def set_report(self, report: SessionReport) -> None:
        if self.report is not None and self.report.header.uid != report.header.uid:
            # A comment typed for one session must never be signed onto another; keep it as its draft.
            self._drafts[self.report.header.uid] = self.comment.toPlainText()
            self.comment.setPlainText(self._drafts.pop(report.header.uid, ""))
            self.message.setText("")
        self.report = report
        text, loud = status_text(report)
        self.status.setText(text)
        set_level(self.status, loud, "amendedAfter")
        still_open = report.header.outcome in ("created", "running")
        broken = not report.integrity.intact
        self.button.setEnabled(not still_open and not broken)
        self.button.setText(("Sign off again as " if report.signoffs else "Sign off as ")
                            + (self.user.name if self.user else self.user_name))
        if broken:
            why = (f"The record is broken at event {report.integrity.broken_at}: it cannot be signed off. "
                   "Keep the database file and report this.")
        elif still_open:
            why = "The session has not ended yet: it can be signed off once it has ended in the room."
        else:
            why = "Adds a sign-off to the session's record, with your comment."
        self.button.setToolTip(why)
        if broken or still_open:
            self.status.setText(f"{text}\n{why}")
        if broken:
            set_level(self.status, True, "amendedAfter")  # the same loud style: something is wrong

    def sign(self) -> SignOffRow | None:
        if self.report is None:
            return None
        text = self.comment.toPlainText()
        if len(text) > COMMENT_MAX:
            say(self.message, f"The comment has {len(text)} characters; at most {COMMENT_MAX} are kept. Shorten it.",
                      "error")
            return None
        uid = self.report.header.uid
        # Refusals, permissions, a full disk: all in words under the button, the comment kept.
        return run_guarded(self.message, lambda: self.records.sign_off(uid, text, self.user_name, "supervisor",
                                                                       self.user), self._signed)

    def _signed(self, signed: SignOffRow) -> SignOffRow:
        self.comment.clear()
        if signed.office:
            say(self.message, f"Signed off at {signed.office} (entry {signed.seq} of its own chain on the clinic "
                              "server; the room's record is left as the room wrote it).", "ok")
        else:
            say(self.message, f"Signed off (event {signed.seq}). The record is intact.", "ok")
        self.signed.emit(signed)
        return signed

"""What a double-click on the board opens: that session's review, read from the clinic server.

One review window serves the board (opened at the first double-click, raised at the next); the
session is read, verified and shown as ``kaproom review --clinic SESSION`` shows it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from kaproom.clinic.errors import ClinicError
from kaproom.export.records import Records
from kaproom.ui.board.window import BoardWindow
from kaproom.ui.review.window import ReviewWindow, open_review

if TYPE_CHECKING:
    from kaproom.domain.people import User
    from kaproom.services.workspace import Workspace


class BoardReviews:
    """Opens the review of the session chosen on ``board`` (connect it to ``sessionChosen``)."""

    def __init__(self, board: BoardWindow, workspace: Workspace, user: User | None, records: Records) -> None:
        self.board, self.workspace, self.user, self.records = board, workspace, user, records
        self.review: ReviewWindow | None = None
        board.sessionChosen.connect(self.open)

    def open(self, session_uid: str) -> bool:
        try:
            if self.review is None:
                self.review = open_review(self.workspace, self.user.name if self.user else "supervisor", self.user,
                                          records=self.records)
            opened = self.review.open_session(session_uid)
        except ClinicError as exc:
            self.board.status.setText(str(exc))
            return False
        self.board.status.setText(f"Opened session {session_uid[:8]} in the review." if opened
                                  else self.review.message.text())
        self.review.show()
        self.review.raise_()
        return opened

    def close(self) -> None:
        if self.review is not None:
            self.review.close()

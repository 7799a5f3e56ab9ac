"""The supervisor's review: the session list, one session's timeline and chart, sign-off, exports.

``open_review(workspace, user_name)`` returns the top-level window; the app shell shows it after
sign-in. Qt is imported only when the window is asked for, so ``kaproom.services.signoff`` stays
usable without a display.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kaproom.ui.review.window import ReviewWindow


def open_review(workspace: Any, user_name: str = "supervisor", user: Any = None, *,
                lock: bool = True) -> ReviewWindow:
    from kaproom.ui.review.window import open_review as _open
    return _open(workspace, user_name, user, lock=lock)


__all__ = ["open_review"]

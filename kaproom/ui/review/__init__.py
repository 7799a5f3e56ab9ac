"""The supervisor's review: the session list, one session's timeline and chart, sign-off, exports.

``open_review(workspace, user_name, user)`` returns the top-level window; the app shell shows it
after sign-in. The work that is not Qt (sign-off, the report, exports) is in
:mod:`kaproom.services.signoff` and :mod:`kaproom.export`, for the command line as well.
"""
from __future__ import annotations

from kaproom.ui.review.window import ReviewWindow, open_review

__all__ = ["ReviewWindow", "open_review"]

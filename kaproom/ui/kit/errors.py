"""The one way every screen meets a store or domain error: in words, where the person is looking,
with what they typed left as it was.

In the spirit of Anki's ``CollectionOp``: a screen hands over the work, where to speak if it is
refused, and what to do once it is done. A refusal that carries a message for a person (a
:class:`~kaproom.store.errors.StoreError` and its kinds: a locked or full database,
``AccessRefused``, ``ExportError``, ``SignOffRefused``; a ``ProtocolError``; ``InputRefused``;
``SessionError``; ``DischargeError``) is shown as that message and nothing else happens: no
pop-up, no sound, no field cleared by the bridge. Any other exception is a bug and goes on up.

Usage::

    # A message line (a QLabel): the message is shown there, marked as an error ([level="error"]).
    event = run_guarded(self.message, lambda: sign_off(workspace, uid, comment, ...), self._signed)
    # ``_signed(event)`` runs only after success (clear the comment, say "Signed off"); after a
    # refusal ``run_guarded`` returns None and the comment is still typed.

    # A screen that decides what to clear: any callable taking the exception. Sign-in clears the
    # secret and keeps the name; ``calm_message(exc)`` gives the words.
    run_guarded(self.refuse_secret, lambda: people.sign_in(name, secret, ...), self._signed_in)

    # Success in words on the same line, styled as such.
    say(self.message, f"Signed off (event {event.seq}).", "ok")

    # What is only a courtesy (an audit entry, a phase's name): a default instead of a message.
    exports = quietly(lambda: people.exports_of(uid, user), [])

The room and the start page adopt it the same way, e.g. in the room
``run_guarded(room.save_error, lambda: controller.note(text), lambda _event: note_input.clear())``.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, overload

from PySide6.QtWidgets import QLabel

from kaproom.domain.protocol_error import ProtocolError
from kaproom.store.errors import StoreError
from kaproom.ui.kit.theme import set_level

T = TypeVar("T")
R = TypeVar("R")

#: Where a refusal is said: a message line, or a screen's own way of saying it (given the exception).
Target = QLabel | Callable[[Exception], object]

#: Said when an expected error came without words of its own.
NO_WORDS = "That could not be done. Nothing was changed; what you typed is kept."


def is_expected(exc: BaseException) -> bool:
    """An error whose ``str()`` was written for a person: a refusal to show, not a bug."""
    if isinstance(exc, StoreError | ProtocolError):
        return True
    # Imported here, not at the top: the home page imports this module before its first window,
    # and loading these there measured 30-70 ms (people), 50-150 ms (session, with the protocol
    # parser) and 90-130 ms more (discharge), against a home page shown in ~160 ms
    # (bench/bench_startup.py). Only code that loaded them can raise their refusals, so by the
    # time one is checked here the import costs nothing.
    from kaproom.domain.people import InputRefused  # noqa: PLC0415 - start-up, see above
    if isinstance(exc, InputRefused):
        return True
    from kaproom.domain.session import SessionError  # noqa: PLC0415 - start-up, see above
    if isinstance(exc, SessionError):
        return True
    from kaproom.domain.discharge import DischargeError  # noqa: PLC0415 - start-up, see above
    return isinstance(exc, DischargeError)


def calm_message(exc: BaseException) -> str:
    """The words to show: the error's own message (each says what happened and what to do)."""
    return str(exc).strip() or NO_WORDS


def say(label: QLabel, text: str, level: str = "error") -> None:
    """Put ``text`` on a screen's message line, styled by its level ("error", "ok", "info")."""
    label.setText(text)
    set_level(label, level)


def show_refusal(target: Target, exc: Exception) -> None:
    """Say ``exc`` on ``target``; nothing typed is touched."""
    if isinstance(target, QLabel):
        say(target, calm_message(exc))
    else:
        target(exc)


@overload
def run_guarded(target: Target, action: Callable[[], T], on_done: None = None, *,
                also: tuple[type[Exception], ...] = ()) -> T | None: ...
@overload
def run_guarded(target: Target, action: Callable[[], T], on_done: Callable[[T], R], *,
                also: tuple[type[Exception], ...] = ()) -> R | None: ...
def run_guarded(target: Target, action: Callable[[], T], on_done: Callable[[T], R] | None = None, *,
                also: tuple[type[Exception], ...] = ()) -> T | R | None:
    """Run ``action``; on success return ``on_done(result)`` (or the result), on an expected
    refusal say it on ``target`` and return None. ``also`` names more exceptions to say in words
    (the home page must open whatever went wrong). ``on_done`` runs outside the guard: an error
    there is not mistaken for a refusal of the action."""
    try:
        result = action()
    except Exception as exc:
        if not (is_expected(exc) or isinstance(exc, also)):
            raise
        show_refusal(target, exc)
        return None
    return on_done(result) if on_done is not None else result


def quietly(action: Callable[[], T], default: R, *, also: tuple[type[Exception], ...] = ()) -> T | R:
    """``action()``, or ``default`` after an expected refusal: for what the screen can do without
    (an audit entry, the exports list, a phase's name), where a message would only alarm."""
    try:
        return action()
    except Exception as exc:
        if not (is_expected(exc) or isinstance(exc, also)):
            raise
        return default

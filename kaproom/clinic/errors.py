"""What can go wrong with the clinic server, each with words a person can act on."""
from __future__ import annotations


class ClinicError(RuntimeError):
    """Base class: ``str(error)`` is the message to show."""


class ClinicUnreachable(ClinicError):
    """The server cannot be reached (down, network, wrong address): nothing is lost, it is retried."""


class ClinicRefused(ClinicError):
    """The server answered but refused: wrong password, a role that may not do this, no schema."""


class HistoryDiffers(ClinicRefused):
    """What this computer sent is not what the clinic holds for the same event: refused by name."""


class InsecureConnection(ClinicError):
    """A connection to another computer without TLS certificate verification."""

"""Music playback: the ``Player`` interface, its libvlc implementation, playlists and the director.

Nothing here imports Qt. The room screen wires it up in ``kaproom.ui.music.strip``.
"""
from __future__ import annotations

from kaproom.playback.player import NO_LIBVLC, PlaybackError, PlaybackUnavailable, Player, PlayerEvent
from kaproom.playback.vlc_player import shared_backend

__all__ = ["NO_LIBVLC", "PlaybackError", "PlaybackUnavailable", "Player", "PlayerEvent", "create_players"]


def create_players(count: int = 2) -> list[Player]:
    """Long-lived players on the system's libvlc; raises PlaybackUnavailable with what to install."""
    backend = shared_backend()
    return [backend.player(f"vlc-{index + 1}") for index in range(count)]

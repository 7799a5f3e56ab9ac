"""PySide6 screens: the room screen, its start and home pages, sign-in, review and the theme.

Nothing in here runs SQL or calls libvlc: screens talk to the Workspace, the SessionRunner
(through :class:`kaproom.ui.room.controller.SessionController`) and the Player interface.
"""

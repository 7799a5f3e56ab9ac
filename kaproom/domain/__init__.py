"""The pure-Python core: protocol, clock, session, events, vitals rules. No Qt, VLC or SQLite."""

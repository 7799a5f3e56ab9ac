"""The clinic server: every room's record copied to the clinic's PostgreSQL (psycopg 3).

This package imports the domain only: it knows the server, never the room's SQLite. What to send
comes in through :class:`kaproom.clinic.sender.Source`, which the services give it.
"""

"""The live board: every room's session of the day, for the supervisor's office."""

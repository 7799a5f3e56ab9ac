"""What the start page accepts as a client code and a therapist's name, and why not, in words a
person can act on. Plain checks with no Qt in them, kept apart from the page that shows them."""
from __future__ import annotations

import re

CLIENT_CODE_MAX = 24

NAME_MAX = 80
_CODE_RE = re.compile(r"^[A-Za-z0-9._/-]+$")


def client_code_problem(text: str) -> str:
    """Why this is not a usable clinic code ("" when it is). Names are refused by needing a digit."""
    code = text.strip()
    if not code:
        return "Type the client's clinic code (for example C-0042)."
    if len(code) > CLIENT_CODE_MAX:
        return f"A client code is at most {CLIENT_CODE_MAX} characters; this one has {len(code)}."
    if any(ch.isspace() for ch in code):
        return "A client code has no spaces (for example C-0042). Use the clinic code, not the client's name."
    if not _CODE_RE.match(code):
        return "A client code uses letters, digits and - _ . / only (for example C-0042)."
    if not any(ch.isdigit() for ch in code):
        return "A client code has at least one digit (for example C-0042). Use the clinic code, not the client's name."
    return ""


def therapist_problem(text: str) -> str:
    name = text.strip()
    if not name:
        return "Type the therapist's name."
    if len(name) > NAME_MAX:
        return f"The therapist's name is at most {NAME_MAX} characters."
    return ""

"""People and privacy: staff accounts, sign-in, permissions, the audit trail and clinic settings.

Other features use three things from here:

- ``People.of(workspace)`` to sign someone in, check a permission (``require``) and record what
  they did (``record_view``, ``record_export``, ``record_signoff``, ``record_protocol_change``);
- ``kaproom.people.cli.require(args, workspace, Permission.X)`` at the start of a command;
- ``load_settings(folder)`` for the clinic's choices (client code or initials, PIN to unlock).
"""
from ..domain.people import AuditKind, InputRefused, Permission, Role, User, may, may_see_session
from .service import DEMO_USER, AccessRefused, People
from .settings import ClinicSettings, load_settings, save_settings

__all__ = ["People", "AccessRefused", "DEMO_USER", "InputRefused", "Permission", "Role", "User", "AuditKind", "may",
           "may_see_session", "ClinicSettings", "load_settings", "save_settings"]

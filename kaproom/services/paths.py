"""Where KAP Room keeps its data, and the file permissions health records need."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import platformdirs

APP_ID = "kaproom"
ENV_DATA_DIR = "KAPROOM_DATA_DIR"
REPO_ROOT = Path(__file__).resolve().parents[2]  # kaproom/services/paths.py -> the checkout
#: Bundled assets (playlists and demo music). Frozen builds set KAPROOM_ASSETS_DIR.
ASSETS_DIR = Path(os.environ.get("KAPROOM_ASSETS_DIR", REPO_ROOT / "assets"))


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--data-dir`` wins, then ``$KAPROOM_DATA_DIR``, then the user data folder."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser()
    return platformdirs.user_data_path(APP_ID, appauthor=False)


def demo_dir(base: Path) -> Path:
    """The demo keeps its own database beside, never inside, the real one."""
    return base / "demo"


def make_demo_dir(base: Path) -> Path:
    """The demo's folder, made inside the data folder: the data folder is made private (0700)
    first, as a real session would make it, and the demo's folder in it is private too."""
    ensure_private_dir(base)
    folder = demo_dir(base)
    ensure_private_dir(folder)
    return folder


def ensure_private_dir(path: Path) -> list[str]:
    """Create ``path`` as 0700 if missing; return warnings if others can read it."""
    warnings: list[str] = []
    if not path.exists():
        path.mkdir(mode=0o700, parents=True)
        os.chmod(path, 0o700)
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        warnings.append(
            f"The data folder {path} can be read by other users of this computer (mode {stat.S_IMODE(mode):o}). "
            f"Session records are health information: run  chmod 700 '{path}'  to make it private.")
    return warnings


def data_folder_problem(path: Path) -> str | None:
    """Why ``path`` cannot be the data folder (a file, under a file, in a folder that cannot be
    written), in words for the person who typed it; None when it can be used or made."""
    if path.exists():
        if not path.is_dir():
            return (f"The data folder {path} is a file, not a folder; nothing was written. "
                    "Choose a folder with --data-dir (or $KAPROOM_DATA_DIR).")
        return None
    existing = next((parent for parent in path.parents if parent.exists()), None)
    if existing is not None and not existing.is_dir():
        return (f"The data folder {path} cannot be made: {existing} is a file, not a folder; nothing was "
                "written. Choose a folder with --data-dir (or $KAPROOM_DATA_DIR).")
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        return (f"The data folder {path} cannot be made: {existing} cannot be written by you; nothing was "
                "written. Choose a folder with --data-dir (or $KAPROOM_DATA_DIR).")
    return None


def private_file(path: Path) -> None:
    """Make an exported or created file readable by its owner only."""
    try:
        os.chmod(path, 0o600)
    except OSError:
        pass

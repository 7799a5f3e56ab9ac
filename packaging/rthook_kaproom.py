"""PyInstaller runtime hook: point python-vlc and KAP Room at what the bundle carries.

Runs inside the frozen app before any of its own code. python-vlc reads
``PYTHON_VLC_LIB_PATH`` / ``PYTHON_VLC_MODULE_PATH`` when it is first imported, and libvlccore
reads ``VLC_PLUGIN_PATH`` when an instance starts; ``kaproom.services.paths`` reads
``KAPROOM_ASSETS_DIR`` for the bundled music and playlists. The bundled libvlc always wins over
a VLC the computer may have (a different version could not load our plugins); the assets folder
may still be overridden by the environment. If the bundle was built without libvlc, nothing is
set and python-vlc looks for the system's as usual.
"""
import os
import sys


def _point_at_bundle(base, platform):
    if platform.startswith("win"):
        lib, core, plugins = "libvlc.dll", "libvlccore.dll", os.path.join(base, "plugins")
    elif platform == "darwin":
        lib, core, plugins = "libvlc.dylib", "libvlccore.dylib", os.path.join(base, "plugins")
    else:
        lib, core, plugins = "libvlc.so.5", "libvlccore.so.9", os.path.join(base, "vlc", "plugins")
    lib_path = os.path.join(base, lib)
    if os.path.isfile(lib_path) and os.path.isdir(plugins):
        if platform == "darwin":
            # libvlc.dylib finds libvlccore through the already loaded image, as python-vlc does with VLC.app.
            import ctypes
            ctypes.CDLL(os.path.join(base, core))
        os.environ["PYTHON_VLC_LIB_PATH"] = lib_path
        os.environ["PYTHON_VLC_MODULE_PATH"] = plugins
        os.environ["VLC_PLUGIN_PATH"] = plugins
    assets = os.path.join(base, "assets")
    if os.path.isdir(assets):
        os.environ.setdefault("KAPROOM_ASSETS_DIR", assets)


_point_at_bundle(getattr(sys, "_MEIPASS", os.path.dirname(os.path.abspath(sys.executable))), sys.platform)

"""Licence notices for the shared libraries a Linux build copies from Debian.

LGPL and most other licences of the bundled libraries (libvlc and its plugins' codecs, Qt's
X11 helpers, PulseAudio, ALSA, ...) ask that their notices travel with the copies. The spec
hands this module the source path of every binary it bundles; it asks dpkg which package each
came from and copies that package's ``/usr/share/doc/<package>/copyright`` into the bundle,
with a list saying which file came from which package and version, and how to get the exact
source. Libraries that arrive inside Python wheels (Qt itself, ICU) carry their notices in
the wheels' metadata, which the spec also bundles.
"""
from __future__ import annotations

import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

HEADER = """\
Shared libraries in this build that were copied from Debian {debian} packages.
Each package's copyright and licence file is beside this list as <package>.copyright.
The exact source code of every package listed here is available from Debian:
    apt-get source <source package>=<version>
or from https://snapshot.debian.org/package/<source package>/<version>/ .
Each library is a separate file in this folder and may be replaced by a compatible build.

"""


def _spellings(path: str) -> set[str]:
    """The names dpkg may know a file by: as given, resolved, and with /lib and /usr/lib swapped
    (Debian 12 merged /usr, but each package records the paths it was built with)."""
    names = {path, str(Path(path).resolve())}
    for name in list(names):
        if name.startswith("/usr/lib/"):
            names.add(name[len("/usr"):])
        elif name.startswith("/lib/"):
            names.add("/usr" + name)
    return names


def owning_packages(paths: list[str]) -> dict[str, str]:
    """Map each file path to the Debian package that installed it (files dpkg does not know are left out)."""
    if not paths or shutil.which("dpkg-query") is None:
        return {}
    spelled = {name: path for path in paths for name in _spellings(path)}
    result = subprocess.run(["dpkg-query", "-S", *sorted(spelled)], capture_output=True, text=True)
    owners: dict[str, str] = {}
    for line in result.stdout.splitlines():
        packages, _, name = line.partition(": ")
        if name.strip() in spelled:
            owners[spelled[name.strip()]] = packages.split(",")[0].split(":")[0].strip()
    return owners


def package_versions(packages: list[str]) -> dict[str, tuple[str, str]]:
    """package -> (version, source package)."""
    if not packages:
        return {}
    result = subprocess.run(["dpkg-query", "-W", "-f=${Package}\t${Version}\t${source:Package}\n", *packages],
                            capture_output=True, text=True)
    versions = {}
    for line in result.stdout.splitlines():
        name, version, source = (line.split("\t") + ["", ""])[:3]
        versions[name] = (version, source or name)
    return versions


def debian_notices(binary_sources: list[str], out_dir: Path) -> list[tuple[str, str]]:
    """Write the notices for ``binary_sources`` into ``out_dir``; return PyInstaller datas entries."""
    owners = owning_packages(binary_sources)
    if not owners:
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    files_by_package: dict[str, list[str]] = defaultdict(list)
    for path, package in owners.items():
        files_by_package[package].append(Path(path).name)
    versions = package_versions(sorted(files_by_package))
    debian = Path("/etc/debian_version").read_text().strip() if Path("/etc/debian_version").exists() else ""
    lines = [HEADER.format(debian=debian)]
    entries: list[tuple[str, str]] = []
    for package in sorted(files_by_package):
        version, source = versions.get(package, ("?", package))
        lines.append(f"{package} {version} (source package {source}): {', '.join(sorted(files_by_package[package]))}")
        copyright_file = Path("/usr/share/doc") / package / "copyright"
        if copyright_file.exists():
            target = out_dir / f"{package}.copyright"
            shutil.copyfile(copyright_file, target)
            entries.append((str(target), "licenses/debian"))
    listing = out_dir / "PACKAGES.txt"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    entries.append((str(listing), "licenses/debian"))
    return entries

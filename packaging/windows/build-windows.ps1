# Build KAP Room for Windows: the PyInstaller folder, then the Inno Setup installer.
# Run on a 64-bit Windows 10/11 machine from the repository root or anywhere:
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build-windows.ps1
# Needs: Python 3.11+ from python.org (the "py" launcher), VLC 3.0.x 64-bit installed
# (C:\Program Files\VideoLAN\VLC), Inno Setup 6 (ISCC.exe). See packaging\README.md.
param(
    [string]$Vlc = "C:\Program Files\VideoLAN\VLC",
    [string]$Iscc = "C:\Program Files (x86)\Inno Setup 6\ISCC.exe"
)
$ErrorActionPreference = "Stop"
Set-Location (Resolve-Path (Join-Path $PSScriptRoot "..\.."))

if (-not (Test-Path "$Vlc\libvlc.dll")) { throw "VLC 3.0.x (64-bit) not found in $Vlc: install it or pass -Vlc <folder>" }
if (-not (Test-Path $Iscc)) { throw "Inno Setup 6 not found at $Iscc: install it or pass -Iscc <path to ISCC.exe>" }

if (-not (Test-Path ".venv\Scripts\python.exe")) { py -3.11 -m venv .venv }
$py = ".venv\Scripts\python.exe"
& $py -m pip install -q -e . "pyinstaller>=6.10,<7"
if ($LASTEXITCODE) { throw "pip install failed" }
$version = & $py -c "import kaproom; print(kaproom.__version__)"

# The spec takes libvlc.dll, libvlccore.dll and the audio-only plugin subset from VLC's folder.
$env:KAPROOM_VLC_LIB_DIR = $Vlc
$env:KAPROOM_VLC_PLUGIN_DIR = "$Vlc\plugins"
& .venv\Scripts\pyinstaller.exe --noconfirm --distpath dist --workpath build\pyinstaller packaging\kaproom.spec
if ($LASTEXITCODE) { throw "PyInstaller failed" }

$internal = "dist\kaproom\_internal"
# libvlc reads plugins.dat instead of opening every plugin at each start.
& "$Vlc\vlc-cache-gen.exe" "$internal\plugins"
# VLC's own licence and authors, beside the other notices (LGPL: the notices travel with the DLLs).
New-Item -ItemType Directory -Force "$internal\licenses\vlc" | Out-Null
foreach ($name in "COPYING.txt", "AUTHORS.txt", "README.txt") {
    if (Test-Path "$Vlc\$name") { Copy-Item "$Vlc\$name" "$internal\licenses\vlc\" }
}

# Smoke test: the version, a headless session, and one track through the bundled libvlc.
$data = Join-Path $env:TEMP "kaproom-smoke-$(Get-Random)"
& dist\kaproom\kaproom.exe --version;                                         if ($LASTEXITCODE) { throw "--version failed" }
& dist\kaproom\kaproom.exe simulate --speed 1200 --protocol short-check --data-dir $data; if ($LASTEXITCODE) { throw "simulate failed" }
& dist\kaproom\kaproom.exe verify --data-dir $data;                           if ($LASTEXITCODE) { throw "verify failed" }
& dist\kaproom\kaproom-check-audio.exe;                                       if ($LASTEXITCODE) { throw "audio check failed" }
Remove-Item -Recurse -Force $data

& $Iscc "/DAppVersion=$version" packaging\windows\kaproom.iss
if ($LASTEXITCODE) { throw "Inno Setup failed" }
Write-Host "Built dist\KAPRoom-$version-windows-x64-setup.exe"

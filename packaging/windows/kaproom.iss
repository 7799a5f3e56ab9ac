; Inno Setup 6 script: the Windows installer for KAP Room, wrapped around the PyInstaller folder.
; Built on Windows only (it cannot be built on the Linux build machine):
;   powershell -ExecutionPolicy Bypass -File packaging\windows\build-windows.ps1
; which freezes the app into dist\kaproom and then runs
;   ISCC.exe /DAppVersion=<version from pyproject.toml> packaging\windows\kaproom.iss
; Output: dist\KAPRoom-<version>-windows-x64-setup.exe
;
; Session records live in the user's data folder (%LOCALAPPDATA%\kaproom), never under {app}:
; uninstalling or updating never touches them.

#ifndef AppVersion
  #error Pass the version: ISCC.exe /DAppVersion=0.1.0 packaging\windows\kaproom.iss
#endif
#define AppName "KAP Room"
#define AppExe "KAP Room.exe"
#define BuildDir "..\..\dist\kaproom"

[Setup]
; Never change AppId: Windows uses it to recognise an update of the same program.
AppId={{B206DB7D-70D1-4B7B-A19B-433727F90BF9}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=KAP Room developers
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\KAP Room
DefaultGroupName=KAP Room
DisableProgramGroupPage=yes
; Room computers usually get it for every user; an administrator may choose "just me" instead.
PrivilegesRequired=admin
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
LicenseFile=..\licenses\GPL-3.0.txt
SetupIconFile=kaproom.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
OutputDir=..\..\dist
OutputBaseFilename=KAPRoom-{#AppVersion}-windows-x64-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An update replaces the whole program folder, so no plugin or DLL of an older VLC lingers.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BuildDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\KAP Room"; Filename: "{app}\{#AppExe}"; AppUserModelID: "org.kaproom.KAPRoom"
Name: "{autodesktop}\KAP Room"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon; AppUserModelID: "org.kaproom.KAPRoom"

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,KAP Room}"; Flags: nowait postinstall skipifsilent

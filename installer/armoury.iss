; Inno Setup script: wraps dist\armoury-VERSION\ (built by PyInstaller with installer\armoury.spec on Windows)
; in a per-user installer. Build: iscc /DVersion=0.1.0 installer\armoury.iss
#ifndef Version
  #define Version "0.1.0"
#endif

[Setup]
AppId={{6C1F0E9B-4E36-4B4B-9D51-0A6E1E2B7A31}
AppName=Armoury
AppVersion={#Version}
DefaultDirName={localappdata}\Programs\Armoury
DefaultGroupName=Armoury
PrivilegesRequired=lowest
OutputBaseFilename=armoury-{#Version}-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"
Name: "fr"; MessagesFile: "compiler:Languages\French.isl"

[Files]
Source: "..\dist\armoury-{#Version}\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{group}\Armoury"; Filename: "{app}\armoury.exe"; Parameters: "gui"
Name: "{userdesktop}\Armoury"; Filename: "{app}\armoury.exe"; Parameters: "gui"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"

[Run]
Filename: "{app}\armoury.exe"; Parameters: "init"; Flags: runhidden

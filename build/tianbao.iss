; Inno Setup script for 填报通 Tianbao: a per-user install (no administrator rights) of the PyInstaller bundle.
;
; On Windows (no make there), from the repository root with the dev dependencies installed:
;   pyinstaller build/tianbao.spec --noconfirm --workpath pyi-work --distpath pyi-dist
; Build on Windows once that has produced pyi-dist\Tianbao\:
;   iscc /DAppVersion=0.1.0 /DZhMessages=ChineseSimplified.isl build\tianbao.iss
; Output: pyi-dist\installer\Tianbao-<version>-setup.exe
;
; Simplified Chinese is not among Inno Setup's bundled languages: the release workflow downloads the translation
; (jrsoftware/issrc, Files/Languages/Unofficial/ChineseSimplified.isl, at a fixed commit) to build\ and passes
; /DZhMessages=ChineseSimplified.isl. Without it, a copy in Inno Setup's own Languages folder is used.
; The file is UTF-8 with a BOM so that Inno Setup releases before 6.3 read the Chinese names correctly too.
;
; The database, keys and logs live in %LOCALAPPDATA%\Tianbao and the settings in %APPDATA%\Tianbao, never in
; the program folder, so uninstalling removes the program and keeps the data.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef ZhMessages
  #define ZhMessages "compiler:Languages\ChineseSimplified.isl"
#endif

[Setup]
; A fixed AppId: an upgrade replaces the previous version instead of installing beside it.
AppId={{6B1F3C2A-7E0D-4C53-9A8B-3D2E1F7C9A41}
AppName=填报通 Tianbao
AppVersion={#AppVersion}
AppVerName=填报通 Tianbao {#AppVersion}
AppPublisher=Tianbao
DefaultDirName={localappdata}\Programs\Tianbao
DefaultGroupName=填报通
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
OutputDir=..\pyi-dist\installer
OutputBaseFilename=Tianbao-{#AppVersion}-setup
SetupIconFile=..\resources\icons\tianbao.ico
UninstallDisplayIcon={app}\Tianbao.exe
UninstallDisplayName=填报通 Tianbao
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
CloseApplications=yes
; Created by the running program (ui/single_instance.py): setup and uninstall ask to close it first.
AppMutex=Tianbao.Running
; Chinese on a Chinese Windows, English elsewhere, without asking.
ShowLanguageDialog=auto

[Languages]
Name: "chinesesimplified"; MessagesFile: "{#ZhMessages}"
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\pyi-dist\Tianbao\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade starts from a clean program folder (user data is elsewhere and untouched).
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{group}\填报通"; Filename: "{app}\Tianbao.exe"
Name: "{group}\卸载 填报通"; Filename: "{uninstallexe}"
Name: "{userdesktop}\填报通"; Filename: "{app}\Tianbao.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\Tianbao.exe"; Description: "{cm:LaunchProgram,填报通}"; Flags: nowait postinstall skipifsilent

; No [UninstallDelete] for user folders: the uninstaller removes only what it installed, so the database,
; keys and exported files in %LOCALAPPDATA%\Tianbao stay for the next installation.

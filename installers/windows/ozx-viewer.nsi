; Windows installer of OZX Viewer (NSIS 3). Per-user by default: no administrator rights, files in
; %LOCALAPPDATA%\Programs\OZX Viewer, registry entries under HKCU only.
;
; makensis -DDEFINES=identity.nsh -DDIST=dist\ozx-viewer -DICONS=build\icons -DOUTFILE=OZX-Viewer-setup.exe ozx-viewer.nsi
;   DEFINES  `python packaging/desktop_files.py --nsis-defines identity.nsh` (names and IDs)
;   DIST     the PyInstaller bundle (ozx-viewer-gui.exe, ozx-viewer.exe, _internal\)
;   ICONS    `python resources/icons/make_icons.py ICONS` (the .ico files)
;
; `.ozx` becomes ours only when no other application owns it (the user's choice is never
; overridden); "Open with" always lists OZX Viewer (OpenWithProgids). The uninstaller removes
; exactly what the installer added.
Unicode true
Target amd64-unicode
!ifndef DEFINES | DIST | ICONS | OUTFILE
  !error "define DEFINES, DIST, ICONS and OUTFILE (see the top of this file)"
!endif
!include "${DEFINES}"
!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "FileFunc.nsh"

!define CLASSES "Software\Classes"
!define APP_KEY "Software\${REGISTRY_KEY}"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${REGISTRY_KEY}"
!define SHCNE_ASSOCCHANGED 0x08000000

Name "${APP_NAME}"
OutFile "${OUTFILE}"
RequestExecutionLevel user
InstallDir "$LOCALAPPDATA\Programs\${APP_NAME}"
InstallDirRegKey HKCU "${APP_KEY}" "InstallDir"
SetCompressor /SOLID lzma
ManifestDPIAware true
VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${APP_NAME}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${APP_NAME} installer"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "LegalCopyright" "BSD-3-Clause"

!define MUI_ICON "${ICONS}\${APP_ICON}"
!define MUI_UNICON "${ICONS}\${APP_ICON}"
!define MUI_FINISHPAGE_RUN "$INSTDIR\${GUI_EXE}"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Function .onInit
  SetShellVarContext current
FunctionEnd

Function un.onInit
  SetShellVarContext current
FunctionEnd

Section "Install"
  SetOutPath "$INSTDIR"
  File /r "${DIST}\*.*"
  File "${ICONS}\${APP_ICON}"
  File "${ICONS}\${DOCUMENT_ICON}"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateShortCut "$SMPROGRAMS\${APP_NAME}.lnk" "$INSTDIR\${GUI_EXE}" "" "$INSTDIR\${APP_ICON}" 0

  ; the document type
  WriteRegStr HKCU "${CLASSES}\${PROGID}" "" "${DOCUMENT_NAME}"
  WriteRegStr HKCU "${CLASSES}\${PROGID}" "FriendlyTypeName" "${DOCUMENT_NAME}"
  WriteRegStr HKCU "${CLASSES}\${PROGID}\DefaultIcon" "" '"$INSTDIR\${DOCUMENT_ICON}",0'
  WriteRegStr HKCU "${CLASSES}\${PROGID}\shell\open\command" "" '"$INSTDIR\${GUI_EXE}" "%1"'
  ; .ozx: always offered in "Open with"; the default only when nobody owns the extension yet
  WriteRegStr HKCU "${CLASSES}\${EXTENSION}\OpenWithProgids" "${PROGID}" ""
  ReadRegStr $0 HKCR "${EXTENSION}" ""
  ${If} $0 == ""
    WriteRegStr HKCU "${CLASSES}\${EXTENSION}" "" "${PROGID}"
    WriteRegStr HKCU "${CLASSES}\${EXTENSION}" "Content Type" "${MIME_TYPE}"
    WriteRegDWORD HKCU "${APP_KEY}" "OwnsExtension" 1
  ${EndIf}
  ; the application, for "Open with" and Default Apps
  WriteRegStr HKCU "${CLASSES}\Applications\${GUI_EXE}" "FriendlyAppName" "${APP_NAME}"
  WriteRegStr HKCU "${CLASSES}\Applications\${GUI_EXE}\SupportedTypes" "${EXTENSION}" ""
  WriteRegStr HKCU "${APP_KEY}" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${APP_KEY}\Capabilities" "ApplicationName" "${APP_NAME}"
  WriteRegStr HKCU "${APP_KEY}\Capabilities" "ApplicationDescription" "Viewer of zipped OME-Zarr images"
  WriteRegStr HKCU "${APP_KEY}\Capabilities\FileAssociations" "${EXTENSION}" "${PROGID}"
  WriteRegStr HKCU "Software\RegisteredApplications" "${REGISTRY_KEY}" "${APP_KEY}\Capabilities"
  ; Settings > Apps
  ${GetSize} "$INSTDIR" "/S=0K" $1 $2 $3
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "OZX Viewer developers"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" '"$INSTDIR\${APP_ICON}"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" $1
  ; Explorer rereads associations now, not after the next sign-in
  System::Call 'shell32::SHChangeNotify(i ${SHCNE_ASSOCCHANGED}, i 0, p 0, p 0)'
SectionEnd

Section "Uninstall"
  Delete "$SMPROGRAMS\${APP_NAME}.lnk"
  ReadRegDWORD $1 HKCU "${APP_KEY}" "OwnsExtension"
  ReadRegStr $0 HKCU "${CLASSES}\${EXTENSION}" ""
  ${If} $1 == 1
  ${AndIf} $0 == "${PROGID}"
    DeleteRegValue HKCU "${CLASSES}\${EXTENSION}" ""
    DeleteRegValue HKCU "${CLASSES}\${EXTENSION}" "Content Type"
  ${EndIf}
  DeleteRegValue HKCU "${CLASSES}\${EXTENSION}\OpenWithProgids" "${PROGID}"
  DeleteRegKey /ifempty HKCU "${CLASSES}\${EXTENSION}\OpenWithProgids"
  DeleteRegKey /ifempty HKCU "${CLASSES}\${EXTENSION}"
  DeleteRegKey HKCU "${CLASSES}\${PROGID}"
  DeleteRegKey HKCU "${CLASSES}\Applications\${GUI_EXE}"
  DeleteRegValue HKCU "Software\RegisteredApplications" "${REGISTRY_KEY}"
  DeleteRegKey HKCU "${APP_KEY}"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  ; only what the installer put there: the folder may be one the user chose, with other files
  ${If} ${FileExists} "$INSTDIR\${GUI_EXE}"
    RMDir /r "$INSTDIR\_internal"
    Delete "$INSTDIR\${GUI_EXE}"
    Delete "$INSTDIR\${CLI_EXE}"
    Delete "$INSTDIR\${APP_ICON}"
    Delete "$INSTDIR\${DOCUMENT_ICON}"
  ${EndIf}
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  System::Call 'shell32::SHChangeNotify(i ${SHCNE_ASSOCCHANGED}, i 0, p 0, p 0)'
SectionEnd

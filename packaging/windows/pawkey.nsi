; PawKey's Windows installer (NSIS 3, Unicode), built offline by `make dist-windows`
; (scripts/dist-windows.sh: makensis -DVERSION=... -DSRCDIR=... -DOUTFILE=...).
;
; Per user, no administrator rights: %LOCALAPPDATA%\Programs\PawKey holds pawkey.exe (the
; desktop app), pawkeyd.exe (the console CLI and server) and WebView2Loader.dll; that folder
; goes on the user's PATH (so `pawkeyd` works in a new terminal), a Start-menu entry is made,
; and an uninstaller is registered under Apps. "Start at login" (off unless chosen, or
; /AUTOSTART=1 on a silent install) writes the same Run entry the app's own setting does
; (value "PawKey", `pawkey.exe --hidden`). WebView2 is handled as Tauri's installers do:
; checked for, and when missing the Evergreen bootstrapper's page is offered (a link; nothing
; is downloaded while building or installing). The keychain entry (service pawkey, account
; master-token) is never touched: README.md "Uninstall" says how to remove it.

; 64-bit, as the programs it installs (a 32-bit installer would also need Wine's 32-bit
; half to be tested here).
Target amd64-unicode
!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "WordFunc.nsh"
!include "FileFunc.nsh"
!include "WinMessages.nsh"

!ifndef VERSION
  !error "pass -DVERSION=x.y.z"
!endif
!ifndef SRCDIR
  !error "pass -DSRCDIR=<folder with pawkey.exe, pawkeyd.exe, WebView2Loader.dll>"
!endif
!ifndef OUTFILE
  !define OUTFILE "PawKey_${VERSION}_x64-setup.exe"
!endif
!ifndef ICON
  !define ICON "..\..\icons\icon.ico"
!endif

!define APP "PawKey"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP}"
!define RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define WEBVIEW2_GUID "{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"
!define WEBVIEW2_DOWNLOAD "https://go.microsoft.com/fwlink/p/?LinkId=2124703"

Name "${APP}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${APP}"
InstallDirRegKey HKCU "${UNINSTALL_KEY}" "InstallLocation"
RequestExecutionLevel user
SetCompressor /SOLID lzma
BrandingText "${APP} ${VERSION}"
VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${APP}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${APP} installer"
VIAddVersionKey "LegalCopyright" "MIT License"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\pawkey.exe"
!define MUI_FINISHPAGE_RUN_TEXT "Start ${APP}"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

; Adds (+, installer) or removes (-, uninstaller: UN is "un.") $INSTDIR from the user's
; PATH (HKCU\Environment), then tells running programs the environment changed.
!macro UserPath OP UN
  ReadRegStr $0 HKCU "Environment" "Path"
  !if "${OP}" == "+"
    ${If} $0 == ""
      StrCpy $0 "$INSTDIR"
    ${Else}
      ${${UN}WordAdd} "$0" ";" "+$INSTDIR" $0
    ${EndIf}
  !else
    ${${UN}WordAdd} "$0" ";" "-$INSTDIR" $0
  !endif
  ${If} $0 == ""
    DeleteRegValue HKCU "Environment" "Path"
  ${Else}
    WriteRegExpandStr HKCU "Environment" "Path" "$0"
  ${EndIf}
  SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=500
!macroend

Section "${APP}" SecApp
  SectionIn RO
  SetShellVarContext current
  SetOutPath "$INSTDIR"
  File "${SRCDIR}\pawkey.exe"
  File "${SRCDIR}\pawkeyd.exe"
  File "${SRCDIR}\WebView2Loader.dll"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateShortcut "$SMPROGRAMS\${APP}.lnk" "$INSTDIR\pawkey.exe" "" "$INSTDIR\pawkey.exe" 0
  !insertmacro UserPath "+" ""
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APP}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${APP}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\pawkey.exe"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" "$0"
SectionEnd

Section /o "Start at login (in the tray)" SecAutostart
  WriteRegStr HKCU "${RUN_KEY}" "${APP}" '"$INSTDIR\pawkey.exe" --hidden'
SectionEnd

!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecApp} "The desktop app (pawkey.exe) and the command line (pawkeyd.exe, put on your PATH)."
  !insertmacro MUI_DESCRIPTION_TEXT ${SecAutostart} "Start PawKey hidden in the tray when you log in. You can change it later in PawKey's settings."
!insertmacro MUI_FUNCTION_DESCRIPTION_END

Function .onInit
  SetShellVarContext current
  ; /AUTOSTART=1 on the command line selects "Start at login" (for silent installs).
  ${GetParameters} $0
  ${GetOptions} $0 "/AUTOSTART=" $1
  ${If} $1 == "1"
    SectionSetFlags ${SecAutostart} ${SF_SELECTED}
  ${EndIf}
FunctionEnd

; As Tauri's installers: WebView2 is found under EdgeUpdate's Clients key (machine or user)
; with a version other than 0.0.0.0. When it is missing, offer the bootstrapper's page.
Function .onInstSuccess
  ReadRegStr $0 HKLM "SOFTWARE\WOW6432Node\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" "pv"
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    ReadRegStr $0 HKLM "SOFTWARE\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" "pv"
  ${EndIf}
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    ReadRegStr $0 HKCU "Software\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" "pv"
  ${EndIf}
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    MessageBox MB_YESNO|MB_ICONINFORMATION \
      "PawKey's window needs the Microsoft Edge WebView2 Runtime, which is not installed.$\r$\n$\r$\nThe server, the tray and pawkeyd work without it.$\r$\n$\r$\nOpen the download page (${WEBVIEW2_DOWNLOAD}) now?" \
      /SD IDNO IDNO webview2_done
    ExecShell "open" "${WEBVIEW2_DOWNLOAD}"
    webview2_done:
  ${EndIf}
FunctionEnd

Section "Uninstall"
  SetShellVarContext current
  ; A running PawKey holds its program file: ask to quit it first rather than leave half.
  ClearErrors
  Delete "$INSTDIR\pawkey.exe"
  ${If} ${Errors}
    MessageBox MB_OK|MB_ICONEXCLAMATION "PawKey is running. Quit it (tray menu, Quit), then uninstall again." /SD IDOK
    Abort "PawKey is running"
  ${EndIf}
  Delete "$INSTDIR\pawkeyd.exe"
  Delete "$INSTDIR\WebView2Loader.dll"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${APP}.lnk"
  ; The login entry, whether the installer or the app wrote it (the app writes an unquoted
  ; path, so only an entry pointing into this folder is removed).
  ReadRegStr $0 HKCU "${RUN_KEY}" "${APP}"
  ClearErrors
  ${un.WordFind} "$0" "$INSTDIR\pawkey.exe" "E+1{" $1
  ${IfNot} ${Errors}
    DeleteRegValue HKCU "${RUN_KEY}" "${APP}"
    DeleteRegValue HKCU "Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run" "${APP}"
  ${EndIf}
  !insertmacro UserPath "-" "un."
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
SectionEnd

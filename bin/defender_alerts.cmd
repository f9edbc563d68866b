@echo off
rem Launcher for TA-microsoft-defender on Windows (contract 2): finds Node.js >= 20 and runs bin\lib\<name>.cjs.
rem Order: the bundled runtime, then node on PATH, then %%SPLUNK_HOME%%\bin\node.exe.
setlocal
set "BUNDLE=%~dp0lib\%~n0.cjs"
set "NODE="
set "CHECK=process.exit(Number(process.versions.node.split(String.fromCharCode(46))[0])>=20?0:1)"
if exist "%~dp0..\windows_x86_64\bin\node.exe" (
  "%~dp0..\windows_x86_64\bin\node.exe" -e "%CHECK%" >nul 2>&1 && set "NODE=%~dp0..\windows_x86_64\bin\node.exe"
)
if not defined NODE (
  for %%N in (node.exe) do if not "%%~$PATH:N"=="" (
    "%%~$PATH:N" -e "%CHECK%" >nul 2>&1 && set "NODE=%%~$PATH:N"
  )
)
if not defined NODE if exist "%SPLUNK_HOME%\bin\node.exe" (
  "%SPLUNK_HOME%\bin\node.exe" -e "%CHECK%" >nul 2>&1 && set "NODE=%SPLUNK_HOME%\bin\node.exe"
)
if not defined NODE (
  echo ERROR message="No suitable Node.js runtime found; install Node >= 20 or the bundled runtime" script=%~n0 1>&2
  exit /b 1
)
rem --optimize-for-size keeps the V8 heap small (see defender_alerts.sh).
"%NODE%" --optimize-for-size "%BUNDLE%" %*
exit /b %ERRORLEVEL%

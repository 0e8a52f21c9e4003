# Shared setup for the CrmSync Pester tests (dot-sourced from BeforeAll; not a test file itself).
# Imports the module as the build staged it (out/CrmSync/<version>/), points CRMSYNC_HOME at a fresh folder,
# and offers New-FreshCrmSyncProfile, which creates a never-synced profile the way Connect-CrmSync leaves one.

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '..' '..')).Path
$script:ManifestData = Import-PowerShellDataFile (Join-Path $script:RepoRoot 'CrmSync.psd1')
$script:ModuleVersion = $script:ManifestData.ModuleVersion
$script:StagedModule = Join-Path $script:RepoRoot 'out' 'CrmSync' $script:ModuleVersion
$script:StagedManifest = Join-Path $script:StagedModule 'CrmSync.psd1'

if (-not (Test-Path $script:StagedManifest)) {
    throw "The staged module $script:StagedManifest does not exist: run 'dotnet build CrmSync.sln' first."
}

Get-Module CrmSync | Remove-Module -Force
Import-Module $script:StagedManifest -Force -ErrorAction Stop

# The engine types used to create test profiles; the same file the module loads, so one copy is in the process.
Add-Type -Path (Join-Path $script:StagedModule 'CrmSync.Engine.dll')

function Invoke-CrmSyncChildPwsh {
    # Runs a command in a new process of this very PowerShell (which need not be on PATH) and returns everything it
    # wrote, host output included. A pwsh installed as a .NET tool is hosted by `dotnet` (ProcessPath is dotnet, not
    # pwsh), so it is started as `dotnet <PSHOME>/pwsh.dll`; an installed pwsh is started as itself.
    param([Parameter(Mandatory)] [string] $Command)
    $executable = [System.Environment]::ProcessPath
    $prefix = @()
    if ([System.IO.Path]::GetFileNameWithoutExtension($executable) -eq 'dotnet') { $prefix = @(Join-Path $PSHOME 'pwsh.dll') }
    & $executable @prefix -NoProfile -NonInteractive -Command $Command *>&1 | Out-String
}

function Start-CrmSyncChildPwsh {
    # Starts a command in a new process of this very PowerShell and returns at once: { Process; StdOut; StdErr }, the
    # last two tasks that complete with everything the child wrote once it has exited.
    # On Unix the child starts with SIGINT at its default disposition (GNU env --default-signal, coreutils 8.31+): a test
    # runner started in the background of a non-interactive shell ignores SIGINT, every process it starts inherits that,
    # and .NET keeps an ignored SIGINT ignored, so Ctrl+C (Send-CrmSyncInterrupt) would never reach the child.
    param([Parameter(Mandatory)] [string] $Command)
    $executable = [System.Environment]::ProcessPath
    $arguments = [System.Collections.Generic.List[string]]::new()
    if ([System.IO.Path]::GetFileNameWithoutExtension($executable) -eq 'dotnet') { $arguments.Add((Join-Path $PSHOME 'pwsh.dll')) }
    foreach ($argument in @('-NoProfile', '-NonInteractive', '-Command', $Command)) { $arguments.Add($argument) }
    if (-not $IsWindows -and (Test-CrmSyncDefaultSignal)) {
        $start = [System.Diagnostics.ProcessStartInfo]::new('env')
        $start.ArgumentList.Add('--default-signal=INT')
        $start.ArgumentList.Add($executable)
    }
    else {
        $start = [System.Diagnostics.ProcessStartInfo]::new($executable)
    }
    foreach ($argument in $arguments) { $start.ArgumentList.Add($argument) }
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($start)
    [pscustomobject]@{ Process = $process; StdOut = $process.StandardOutput.ReadToEndAsync(); StdErr = $process.StandardError.ReadToEndAsync() }
}

function Test-CrmSyncDefaultSignal {
    # True when this system's env can reset a signal to its default before it runs a program (GNU coreutils 8.31+).
    if ($null -eq $script:CrmSyncDefaultSignal) {
        & env --default-signal=INT true 2>$null
        $script:CrmSyncDefaultSignal = $LASTEXITCODE -eq 0
    }
    $script:CrmSyncDefaultSignal
}

function Send-CrmSyncInterrupt {
    # Ctrl+C as a terminal sends it: SIGINT to the process (PowerShell turns it into StopProcessing of the running command).
    param([Parameter(Mandatory)] [System.Diagnostics.Process] $Process)
    & kill -INT $Process.Id
    if ($LASTEXITCODE -ne 0) { throw "kill -INT $($Process.Id) failed with exit code $LASTEXITCODE." }
}

function Stop-CrmSyncChildPwsh {
    # Idempotent clean-up for Start-CrmSyncChildPwsh: kills the child if it still runs and returns what it wrote.
    param([AllowNull()] $Child)
    if ($null -eq $Child -or $null -eq $Child.Process) { return }
    $process = $Child.Process
    $Child.Process = $null
    if (-not $process.HasExited) { $process.Kill($true); $process.WaitForExit() }
    $written = $Child.StdOut.GetAwaiter().GetResult() + $Child.StdErr.GetAwaiter().GetResult()
    $process.Dispose()
    $written
}

function New-CrmSyncTestHome {
    # A fresh, empty data folder for one test file; returned and exported as CRMSYNC_HOME.
    $path = Join-Path ([System.IO.Path]::GetTempPath()) ("crmsync-pester-" + [guid]::NewGuid().ToString('n'))
    New-Item -ItemType Directory -Path $path | Out-Null
    $env:CRMSYNC_HOME = $path
    $path
}

function New-FreshCrmSyncProfile {
    param(
        [Parameter(Mandatory)] [string] $Name,
        [string] $DatabasePath
    )
    $paths = [CrmSync.Engine.Connections.CrmSyncPaths]::new($env:CRMSYNC_HOME)
    $profiles = [CrmSync.Engine.Connections.ProfileStore]::new([CrmSync.Engine.Connections.ProfileLocator]::new($paths), $null)
    # System.Text.Json sets the record's required init-only properties; the engine reads the row back as usual.
    $json = @{ Name = $Name; Crm = [int][CrmSync.Engine.Crm.CrmKind]::Salesforce; LoginUrl = 'https://login.salesforce.com'; UserName = 'sync.user@example.com' } |
        ConvertTo-Json -Compress
    $info = [System.Text.Json.JsonSerializer]::Deserialize($json, [CrmSync.Engine.Store.ProfileInfo], [System.Text.Json.JsonSerializerOptions]::new())
    $store = $profiles.Create($info, $(if ($DatabasePath) { $DatabasePath } else { [NullString]::Value }))
    $store.Dispose()
}

function Remove-CrmSyncTestHome {
    # Called from AfterAll, which also runs when BeforeAll failed before the folder was made: an empty path is not an error.
    param([AllowNull()] [AllowEmptyString()] [string] $Path)
    # release pooled SQLite handles so the files can be deleted (Windows)
    if ('Microsoft.Data.Sqlite.SqliteConnection' -as [type]) { [Microsoft.Data.Sqlite.SqliteConnection]::ClearAllPools() }
    if ($Path) { Remove-Item -LiteralPath $Path -Recurse -Force -ErrorAction SilentlyContinue }
    Remove-Item Env:CRMSYNC_HOME -ErrorAction SilentlyContinue
}

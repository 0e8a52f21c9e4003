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

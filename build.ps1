<#
.SYNOPSIS
    Builds, tests, packages and demonstrates CrmSync: a thin dispatcher over the dotnet commands that CI runs.

.DESCRIPTION
    Build    dotnet build CrmSync.sln -c Release (which also stages the module in out/CrmSync/<version>/).
    Test     Build, then the test command README.md gives (dotnet test), every Pester file in tests/pester run in the
             PowerShell 7.6.10 pinned by .config/dotnet-tools.json with Pester 5.7.1 from NuGet (both installed into
             the repository: .tools/), and the npm conformance tests when tests/conformance/package.json exists.
    Package  Build, then zip the staged module folder to out/CrmSync-<version>.zip.
    Demo     Build, then run `crmsync demo`: the CRM emulator with seeded data, Connect, Sync-CrmField, the first cycle,
             changes in the CRM and with plain SQL, another cycle, the status and a check that the local database
             matches the CRM, in a throw-away data folder (never your own profiles). -Crm Dynamics runs
             `crmsync demo --crm dynamics`: the same flow against the emulator's Dynamics 365 org, with the sync
             filter new_synctomkto (No to Yes, Yes to No), a QualifyLead and a contact merge.
    Clean    dotnet clean, and remove out/ and TestResults/.

.PARAMETER Crm
    Demo only: the CRM the demo runs against, Salesforce (the default) or Dynamics.

.EXAMPLE
    ./build.ps1 Test

.EXAMPLE
    ./build.ps1 Demo -Crm Dynamics
#>
# (#Requires after the help block: a line before it hides the help from Get-Help)
#Requires -Version 7.4
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Package', 'Demo', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    [ValidateSet('Salesforce', 'Dynamics')]
    [string] $Crm = 'Salesforce'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$root = $PSScriptRoot
$solution = Join-Path $root 'CrmSync.sln'
$version = (Import-PowerShellDataFile (Join-Path $root 'CrmSync.psd1')).ModuleVersion
$staged = Join-Path $root 'out' 'CrmSync' $version

function Invoke-Dotnet {
    # The arguments are one array, so that '-c' or '--' reach dotnet untouched by PowerShell's parameter binder.
    param([Parameter(Mandatory)] [string[]] $Arguments)
    Write-Host "dotnet $($Arguments -join ' ')" -ForegroundColor Cyan
    & dotnet @Arguments
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($Arguments[0]) failed with exit code $LASTEXITCODE." }
}

function Invoke-Build {
    Invoke-Dotnet @('build', $solution, '-c', $Configuration)
}

function Install-TestTools {
    # PowerShell 7.6.10 (a .NET tool) and Pester 5.7.1 (a NuGet package), as scripts/restore-test-tools.sh does.
    Push-Location $root
    try { Invoke-Dotnet @('tool', 'restore') }
    finally { Pop-Location }
    $module = Join-Path $root '.tools' 'modules' 'Pester' '5.7.1'
    if (-not (Test-Path (Join-Path $module 'Pester.psd1'))) {
        $packages = Join-Path $root '.tools' 'nuget'
        Invoke-Dotnet @('restore', (Join-Path $root 'tests' 'tools' 'PesterRestore.csproj'), '--packages', $packages)
        $source = Join-Path $packages 'pester' '5.7.1' 'tools'
        if (-not (Test-Path (Join-Path $source 'Pester.psd1'))) { throw "The Pester package has no tools/Pester.psd1 in $source." }
        New-Item -ItemType Directory -Path (Split-Path -Parent $module) -Force | Out-Null
        Copy-Item -LiteralPath $source -Destination $module -Recurse
    }
}

function Invoke-Test {
    Invoke-Build
    $failures = @()

    # The one dotnet test command README.md states (CI runs the same one).
    $testArguments = @('test', $solution, '-c', $Configuration, '--no-build', '--logger', 'trx',
        '--results-directory', (Join-Path $root 'TestResults' 'local'), '--blame-hang-timeout', '10m')
    Write-Host "dotnet $($testArguments -join ' ')" -ForegroundColor Cyan
    & dotnet @testArguments
    if ($LASTEXITCODE -ne 0) { $failures += 'dotnet test' }

    # Pester in the PowerShell the repository pins (.config/dotnet-tools.json), with Pester 5.7.1 from NuGet in
    # .tools/modules: both installed into the repository, never into the user's own module folders; a tool that cannot
    # be installed fails the run.
    Install-TestTools
    $pesterArguments = @('tool', 'run', 'pwsh', '-NoLogo', '-NoProfile', '-NonInteractive', '-File',
        (Join-Path $root 'scripts' 'run-pester.ps1'), '-ResultPath', (Join-Path $root 'TestResults' 'local' 'pester.xml'))
    Write-Host "dotnet $($pesterArguments -join ' ')" -ForegroundColor Cyan
    & dotnet @pesterArguments
    if ($LASTEXITCODE -ne 0) { $failures += 'Pester' }

    $conformance = Join-Path $root 'tests' 'conformance'
    if ((Test-Path (Join-Path $conformance 'package.json')) -and -not (Get-Command npm -ErrorAction SilentlyContinue)) {
        $failures += 'npm conformance tests (npm is not installed)'
    }
    elseif (Test-Path (Join-Path $conformance 'package.json')) {
        Push-Location $conformance
        try {
            & npm ci --no-audit --no-fund
            if ($LASTEXITCODE -ne 0) { & npm install --no-audit --no-fund }
            & npm test
            if ($LASTEXITCODE -ne 0) { $failures += 'npm conformance tests' }
        }
        finally { Pop-Location }
    }

    if ($failures) { throw "Failed: $($failures -join ', ')." }
    Write-Host 'All tests passed.' -ForegroundColor Green
}

function Invoke-Package {
    Invoke-Build
    $zip = Join-Path $root 'out' "CrmSync-$version.zip"
    # The zip holds CrmSync/<version>/..., ready to extract into a folder on PSModulePath; only this version.
    $layout = Join-Path ([System.IO.Path]::GetTempPath()) ("crmsync-package-" + [guid]::NewGuid().ToString('n'))
    try {
        $target = Join-Path $layout 'CrmSync' $version
        New-Item -ItemType Directory -Path $target -Force | Out-Null
        Copy-Item -Path (Join-Path $staged '*') -Destination $target -Recurse
        Compress-Archive -Path (Join-Path $layout 'CrmSync') -DestinationPath $zip -Force
    }
    finally {
        Remove-Item -LiteralPath $layout -Recurse -Force -ErrorAction SilentlyContinue
    }
    Write-Host "Packaged $staged as $zip"
}

function Invoke-Demo {
    Invoke-Build
    # crmsync demo: the CRM emulator (child process), Connect, Sync-CrmField, Start (initial copy), CRM and SQL changes,
    # another cycle, status and a local-equals-CRM check, in a throw-away data folder under the system temp folder.
    Invoke-Dotnet @('run', '--project', (Join-Path $root 'src' 'CrmSync.Cli'), '-c', $Configuration, '--no-build', '--', 'demo', '--crm', $Crm.ToLowerInvariant())
}

function Invoke-Clean {
    Invoke-Dotnet @('clean', $solution, '-c', $Configuration)
    foreach ($folder in 'out', 'TestResults') {
        $path = Join-Path $root $folder
        if (Test-Path $path) { Remove-Item -LiteralPath $path -Recurse -Force }
    }
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Package' { Invoke-Package }
    'Demo' { Invoke-Demo }
    'Clean' { Invoke-Clean }
}

#Requires -Version 7.4
<#
.SYNOPSIS
    Runs every Pester file in tests/pester with Pester 5.7.1 from .tools/modules (see scripts/restore-test-tools.sh),
    writes NUnit XML, and prints one line "PESTER_RESULT <passed> <failed>" that .ci/run and build.ps1 add to their
    totals.
.DESCRIPTION
    The module under test is the one the build staged in out/CrmSync/<version>/: build the solution first.
    Exits 1 when Pester cannot be imported or when any test, block or container failed.
.EXAMPLE
    dotnet tool run pwsh -NoProfile -File scripts/run-pester.ps1 -ResultPath TestResults/local/pester.xml
#>
[CmdletBinding()]
param(
    [string] $ResultPath = (Join-Path $PSScriptRoot '..' 'TestResults' 'local' 'pester.xml'),
    [string] $Path = (Join-Path $PSScriptRoot '..' 'tests' 'pester')
)

$root = (Resolve-Path (Join-Path $PSScriptRoot '..')).Path
$modules = Join-Path $root '.tools' 'modules'
if (-not (Test-Path (Join-Path $modules 'Pester' '5.7.1' 'Pester.psd1'))) {
    Write-Output "PESTER_MISSING Pester 5.7.1 is not in ${modules}: run 'bash scripts/restore-test-tools.sh' (or ./build.ps1 Test) first."
    exit 1
}
# The repository's own module folder first: nothing is installed into the user's module folders.
$env:PSModulePath = $modules + [System.IO.Path]::PathSeparator + $env:PSModulePath
Import-Module Pester -RequiredVersion 5.7.1 -ErrorAction Stop

New-Item -ItemType Directory -Path (Split-Path -Parent $ResultPath) -Force | Out-Null
$config = New-PesterConfiguration
$config.Run.Path = $Path
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.TestResult.Enabled = $true
$config.TestResult.OutputFormat = 'NUnitXml'
$config.TestResult.OutputPath = $ResultPath

# The tests run with PowerShell's default preferences, as in a user's session: under 'Stop' the non-terminating errors
# they expect (-ErrorVariable, $? checks) would become exceptions.
$result = @(& { Set-StrictMode -Off; $ErrorActionPreference = 'Continue'; Invoke-Pester -Configuration $config })[-1]
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
Write-Output ("Pester {0}: {1} passed, {2} failed, {3} skipped, {4} not run" -f $result.Version, $result.PassedCount, $failed, $result.SkippedCount, $result.NotRunCount)
Write-Output ("PESTER_RESULT {0} {1}" -f $result.PassedCount, $failed)
if ($failed -gt 0) { exit 1 }

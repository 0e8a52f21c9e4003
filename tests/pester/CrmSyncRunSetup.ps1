# Shared setup for the Start-/Stop-CrmSync and report Pester tests (dot-sourced from BeforeAll after CrmSyncTestSetup.ps1;
# not a test file itself). Starts the CRM emulator as a process on a free loopback port with its admin API, connects a
# profile to it and creates its fields (Connect-CrmSync, Sync-CrmField), and reads the profile's SQLite file.

function Start-CrmSyncTestEmulator {
    # -Crm dynamics starts a Dynamics 365 (Dataverse) org instead: its org URL and Entra authority are BaseUrl, its admin API Admin/dynamics.
    param([string] $Seed = 'lead=30,contact=10,account=5,campaign=2,member=4', [ValidateSet('salesforce', 'dynamics')] [string] $Crm = 'salesforce')
    if ($Crm -eq 'dynamics' -and $Seed -match 'campaign') { $Seed = 'lead=10,contact=5,account=3' }
    $dll = Get-ChildItem -Path (Join-Path $script:RepoRoot 'src' 'CrmSync.Emulator' 'bin') -Recurse -Filter 'CrmSync.Emulator.dll' -ErrorAction SilentlyContinue |
        Where-Object { $_.Directory.Name -eq 'net8.0' } | Sort-Object LastWriteTimeUtc -Descending | Select-Object -First 1
    if (-not $dll) { throw "The emulator is not built: run 'dotnet build src/CrmSync.Emulator' first." }

    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    $port = $listener.LocalEndpoint.Port
    $listener.Stop()

    $start = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    foreach ($arg in @($dll.FullName, '--urls', "http://127.0.0.1:$port", '--seed', $Seed, '--admin', '--crm', $Crm)) { $start.ArgumentList.Add($arg) }
    $start.RedirectStandardOutput = $true
    $start.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($start)
    $banner = $process.StandardOutput.ReadLineAsync()
    if (-not $banner.Wait([TimeSpan]::FromSeconds(60)) -or $banner.Result -notmatch 'listening on') {
        if (-not $process.HasExited) { $process.Kill($true) }
        $process.Dispose()
        throw "The emulator did not start: $($banner.Result)"
    }
    # Keep reading what it prints after the banner: a full, unread stdout pipe would block the emulator mid-test.
    $null = $process.StandardOutput.BaseStream.CopyToAsync([System.IO.Stream]::Null)
    [pscustomobject]@{ Process = $process; BaseUrl = "http://127.0.0.1:$port"; Admin = "http://127.0.0.1:$port/_emulator" }
}

function Stop-CrmSyncTestEmulator {
    # Called from AfterAll, which also runs when BeforeAll failed before the emulator started: $null is not an error.
    param([AllowNull()] $Emulator)
    # Idempotent: a file that stops the emulator early in BeforeAll stops it again in AfterAll (for when BeforeAll failed first).
    if ($null -eq $Emulator -or $null -eq $Emulator.Process) { return }
    $process = $Emulator.Process
    $Emulator.Process = $null
    if (-not $process.HasExited) { $process.Kill($true) }
    $process.WaitForExit()
    $process.Dispose()
}

function Connect-CrmSyncTestProfile {
    # A profile connected to the emulator's sync user (credentials saved for the current user) with its fields created.
    param([Parameter(Mandatory)] $Emulator, [Parameter(Mandatory)] [string] $Name)
    $credential = [pscredential]::new('sync@crmsync.emulator', (ConvertTo-SecureString 'password' -AsPlainText -Force))
    $token = ConvertTo-SecureString 'emulatortoken' -AsPlainText -Force
    Connect-CrmSync -Profile $Name -Crm Salesforce -Credential $credential -SecurityToken $token -LoginUrl $Emulator.BaseUrl -Confirm:$false | Out-Null
    Sync-CrmField -Profile $Name -Confirm:$false | Out-Null
}

function Get-CrmSyncTestDatabase {
    param([Parameter(Mandatory)] [string] $Name)
    Join-Path $env:CRMSYNC_HOME 'profiles' "$Name.db"
}

function Invoke-CrmSyncTestSql {
    # Runs one statement against a profile's database (another tool writing the file, as admins do) and returns the scalar.
    param([Parameter(Mandatory)] [string] $Name, [Parameter(Mandatory)] [string] $Sql)
    $connection = [Microsoft.Data.Sqlite.SqliteConnection]::new("Data Source=$(Get-CrmSyncTestDatabase -Name $Name);Pooling=False")
    try {
        $connection.Open()
        $command = $connection.CreateCommand()
        $command.CommandText = $Sql
        $command.ExecuteScalar()
    }
    finally {
        $connection.Dispose()
    }
}

function Invoke-CrmSyncTestAdmin {
    # The emulator's admin API: records, faults (see src/CrmSync.Emulator/README.md).
    param([Parameter(Mandatory)] $Emulator, [Parameter(Mandatory)] [string] $Method, [Parameter(Mandatory)] [string] $Path, $Body)
    $arguments = @{ Method = $Method; Uri = "$($Emulator.Admin)/$Path"; ContentType = 'application/json' }
    if ($null -ne $Body) { $arguments.Body = ($Body | ConvertTo-Json -Compress) }
    Invoke-RestMethod @arguments
}

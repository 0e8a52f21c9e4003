#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

BeforeAll {
    . (Join-Path $PSScriptRoot 'CrmSyncTestSetup.ps1')
    . (Join-Path $PSScriptRoot 'CrmSyncRunSetup.ps1')
    $script:TestHome = New-CrmSyncTestHome
    $script:Emulator = Start-CrmSyncTestEmulator
}

AfterAll {
    Stop-CrmSyncTestEmulator -Emulator $script:Emulator
    Remove-CrmSyncTestHome -Path $script:TestHome
}

Describe 'Start-CrmSync' {
    Context 'the first start' {
        BeforeAll { Connect-CrmSyncTestProfile -Emulator $script:Emulator -Name 'first' }

        It 'does nothing with -WhatIf: no run, no data, the mappings stay editable' {
            $result = Start-CrmSync -Profile 'first' -WhatIf
            $result | Should -BeNullOrEmpty
            Invoke-CrmSyncTestSql -Name 'first' -Sql 'SELECT count(*) FROM crmsync_run' | Should -Be 0
            Invoke-CrmSyncTestSql -Name 'first' -Sql 'SELECT count(*) FROM person' | Should -Be 0
            (Get-CrmSyncStatus -Profile 'first').State | Should -Be 'NotStarted'
        }

        It 'runs the initial copy when confirmed, locks the mappings and announces the completed initial sync' {
            $output = Start-CrmSync -Profile 'first' -Confirm:$false -Verbose 4>&1
            $result = $output | Where-Object { $_ -is [CrmSync.Engine.Sync.SyncRunResult] }
            $result.State | Should -Be 'Succeeded'
            $result.Kind | Should -Be 'Initial'
            $result.Profile | Should -Be 'first'
            $result.InitialSyncCompleted | Should -BeTrue
            $result.ApiCalls | Should -BeGreaterThan 0
            $output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like "Initial sync completed for profile 'first'*" } |
                Should -Not -BeNullOrEmpty
            $accounts = (Invoke-CrmSyncTestAdmin -Emulator $script:Emulator -Method Get -Path 'info').counts.Account
            Invoke-CrmSyncTestSql -Name 'first' -Sql 'SELECT count(*) FROM account' | Should -Be $accounts
            { Set-CrmFieldMapping -Profile 'first' -Object Lead -Field Company -Rule AlwaysCrm -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'MappingLocked,CrmSync.PowerShell.Cmdlets.SetCrmFieldMappingCommand'
        }

        It 'is shown as a table with the cycle counts' {
            $text = Start-CrmSync -Profile 'first' | Out-String
            $text | Should -Match 'Profile\s+RunId\s+State\s+Kind'
            $text | Should -Match 'first\s+\d+\s+Succeeded\s+Incremental'
        }
    }

    Context 'a bulk initial copy inside PowerShell' {
        BeforeAll { Connect-CrmSyncTestProfile -Emulator $script:Emulator -Name 'bulk' }

        It 'copies every person by the Bulk API through the row writer, whose raw SQLite calls reach the module''s own SQLite' {
            $awkward = "O'Brien, ""Jr.""`nZürich 東京"
            Invoke-CrmSyncTestAdmin -Emulator $script:Emulator -Method Post -Path 'records/Lead' -Body @{ LastName = $awkward; Company = 'Bulk Pester' } | Out-Null
            $result = Start-CrmSync -Profile 'bulk' -InitialStrategy Bulk -Confirm:$false
            $result.State | Should -Be 'Succeeded'
            $result.Kind | Should -Be 'Initial'
            # The row writer binds through SqliteNative; were its calls unable to reach the e_sqlite3 the module loaded, every
            # row would silently take the record path instead. Under pwsh (the module's own load context) they must reach it.
            $native = [CrmSync.Engine.Sync.SyncRunResult].Assembly.GetType('CrmSync.Engine.Sync.SqliteNative', $true)
            $native.GetProperty('Available', [Reflection.BindingFlags]'Static,Public,NonPublic').GetValue($null) | Should -BeTrue
            $counts = (Invoke-CrmSyncTestAdmin -Emulator $script:Emulator -Method Get -Path 'info').counts
            Invoke-CrmSyncTestSql -Name 'bulk' -Sql "SELECT count(*) FROM person WHERE _crm_type = 'Lead'" | Should -Be $counts.Lead
            Invoke-CrmSyncTestSql -Name 'bulk' -Sql "SELECT count(*) FROM person WHERE _crm_type = 'Contact'" | Should -Be $counts.Contact
            Invoke-CrmSyncTestSql -Name 'bulk' -Sql "SELECT LastName FROM person WHERE Company = 'Bulk Pester'" | Should -BeExactly $awkward
        }
    }

    Context 'later starts, as a scheduled task runs them' {
        BeforeAll {
            Connect-CrmSyncTestProfile -Emulator $script:Emulator -Name 'cron'
            Start-CrmSync -Profile 'cron' -Confirm:$false | Out-Null
        }

        It 'never prompts, even at ConfirmImpact High with $ConfirmPreference High' {
            $ConfirmPreference = 'High'
            $result = Start-CrmSync -Profile 'cron'
            $result.State | Should -Be 'Succeeded'
            $result.Kind | Should -Be 'Incremental'
        }

        It 'still honours an explicit -WhatIf: no run is made' {
            $runs = Invoke-CrmSyncTestSql -Name 'cron' -Sql 'SELECT count(*) FROM crmsync_run'
            Start-CrmSync -Profile 'cron' -WhatIf | Should -BeNullOrEmpty
            Invoke-CrmSyncTestSql -Name 'cron' -Sql 'SELECT count(*) FROM crmsync_run' | Should -Be $runs
        }

        It 'brings records changed in the CRM since the last cycle' {
            Invoke-CrmSyncTestAdmin -Emulator $script:Emulator -Method Post -Path 'records/Lead' -Body @{ LastName = 'Pester'; Company = 'Pester Inc' } | Out-Null
            $result = Start-CrmSync -Profile 'cron'
            ($result.Counts | Where-Object ObjectName -eq 'Lead' | Measure-Object -Property New -Sum).Sum | Should -Be 1
            Invoke-CrmSyncTestSql -Name 'cron' -Sql "SELECT count(*) FROM person WHERE LastName = 'Pester'" | Should -Be 1
        }

        It 'binds -Profile from Get-CrmSyncStatus on the pipeline' {
            (Get-CrmSyncStatus -Profile 'cron' | Start-CrmSync).Profile | Should -Be 'cron'
        }

        It 'refuses an -Interval below one second, and -Interval without -Continuous' {
            { Start-CrmSync -Profile 'cron' -Continuous -Interval ([TimeSpan]::FromMilliseconds(500)) } | Should -Throw -ErrorId 'ParameterArgumentValidationError,CrmSync.PowerShell.Cmdlets.StartCrmSyncCommand'
            { Start-CrmSync -Profile 'cron' -Interval '00:01:00' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidArgument,CrmSync.PowerShell.Cmdlets.StartCrmSyncCommand'
            { Start-CrmSync -Profile 'cron' -Continuous -Interval '60.00:00:00' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidArgument,CrmSync.PowerShell.Cmdlets.StartCrmSyncCommand'
        }
    }

    Context 'failures' {
        BeforeAll {
            Connect-CrmSyncTestProfile -Emulator $script:Emulator -Name 'busy'
            Start-CrmSync -Profile 'busy' -Confirm:$false | Out-Null
        }

        It 'writes a failed cycle and a non-terminating error with the run''s ErrorId; -ErrorAction Stop throws' {
            $fault = Invoke-CrmSyncTestAdmin -Emulator $script:Emulator -Method Post -Path 'faults' -Body @{ kind = 'RequestLimitExceeded'; pathContains = '/services/data/' }
            try {
                $result = Start-CrmSync -Profile 'busy' -ErrorVariable failures -ErrorAction SilentlyContinue
                $result.State | Should -Be 'Failed'
                $failures.Count | Should -Be 1
                $failures[0].FullyQualifiedErrorId | Should -Be "$($result.Error.ErrorId),CrmSync.PowerShell.Cmdlets.StartCrmSyncCommand"
                { Start-CrmSync -Profile 'busy' -ErrorAction Stop } | Should -Throw
            }
            finally {
                Invoke-CrmSyncTestAdmin -Emulator $script:Emulator -Method Delete -Path "faults/$($fault.id)" | Out-Null
            }
            (Start-CrmSync -Profile 'busy').State | Should -Be 'Succeeded' # the next cycle resumes
        }

        It 'records a start that fails at login as a failed run: Get-CrmSyncStatus says Failed with the reason and what to do' {
            $fault = Invoke-CrmSyncTestAdmin -Emulator $script:Emulator -Method Post -Path 'faults' -Body @{ kind = 'HttpStatus'; statusCode = 500; pathContains = '/services/Soap/' }
            try {
                { Start-CrmSync -Profile 'busy' -ErrorAction Stop } | Should -Throw -ErrorId 'CrmRequestFailed,CrmSync.PowerShell.Cmdlets.StartCrmSyncCommand'
            }
            finally {
                Invoke-CrmSyncTestAdmin -Emulator $script:Emulator -Method Delete -Path "faults/$($fault.id)" | Out-Null
            }
            $status = Get-CrmSyncStatus -Profile 'busy'
            $status.State | Should -Be 'Failed'
            $status.LastError.ErrorId | Should -Be 'CrmRequestFailed'
            $status.LastError.Message | Should -Match 'HTTP 500'
            $status.LastError.RecommendedAction | Should -Not -BeNullOrEmpty
            (Start-CrmSync -Profile 'busy').State | Should -Be 'Succeeded'
            (Get-CrmSyncStatus -Profile 'busy').State | Should -Be 'LastSynced'
        }

        It 'is a terminating SyncLockHeld error naming the holder while another run holds the lock' {
            $store = [CrmSync.Engine.Connections.ProfileStore]::new(
                [CrmSync.Engine.Connections.ProfileLocator]::new([CrmSync.Engine.Connections.CrmSyncPaths]::new($env:CRMSYNC_HOME)), $null).Open('busy', [NullString]::Value)
            try {
                $lease = $store.RunLock.Acquire($null)
                { Start-CrmSync -Profile 'busy' -ErrorAction Stop } | Should -Throw -ErrorId 'SyncLockHeld,CrmSync.PowerShell.Cmdlets.StartCrmSyncCommand'
                try { Start-CrmSync -Profile 'busy' -ErrorAction Stop } catch { $_.Exception.Message | Should -Match ([regex]::Escape([Environment]::MachineName)) }
                $store.RunLock.Release($lease)
            }
            finally {
                $store.Dispose()
            }
        }
    }

    Context 'changes waiting for a retry (-RetryNow)' {
        BeforeAll {
            Connect-CrmSyncTestProfile -Emulator $script:Emulator -Name 'backoff'
            Start-CrmSync -Profile 'backoff' -Confirm:$false | Out-Null
        }

        It 'shows a change backing off after UNABLE_TO_LOCK_ROW in a warning and in the status, and -RetryNow pushes it at once' {
            $lead = Invoke-CrmSyncTestSql -Name 'backoff' -Sql "SELECT _crm_id FROM person WHERE _crm_type = 'Lead' ORDER BY _row_id LIMIT 1"
            Invoke-CrmSyncTestSql -Name 'backoff' -Sql "UPDATE person SET Title = 'Retried by Pester' WHERE _crm_id = '$lead'" | Out-Null
            $fault = Invoke-CrmSyncTestAdmin -Emulator $script:Emulator -Method Post -Path 'faults' -Body @{ kind = 'RecordError'; recordIds = @($lead); errorCode = 'UNABLE_TO_LOCK_ROW'; count = 1 }
            try {
                $result = Start-CrmSync -Profile 'backoff' -WarningVariable warnings -WarningAction SilentlyContinue
            }
            finally {
                # a rule with a count retires once it fired: only one that did not fire is still there to remove
                try { Invoke-CrmSyncTestAdmin -Emulator $script:Emulator -Method Delete -Path "faults/$($fault.id)" | Out-Null } catch { }
            }
            $result.State | Should -Be 'Succeeded'
            ($warnings | Where-Object { "$_" -like '1 local change(s) wait for a retry*-RetryNow*' }) | Should -Not -BeNullOrEmpty
            $status = Get-CrmSyncStatus -Profile 'backoff'
            $status.RetryWaiting | Should -Be 1
            $status.NextRetryAt | Should -BeGreaterThan ([DateTimeOffset]::UtcNow)

            Start-CrmSync -Profile 'backoff' -RetryNow | Out-Null

            (Invoke-CrmSyncTestAdmin -Emulator $script:Emulator -Method Get -Path "records/Lead/$lead").Title | Should -Be 'Retried by Pester'
            (Get-CrmSyncStatus -Profile 'backoff').RetryWaiting | Should -Be 0
        }
    }
}

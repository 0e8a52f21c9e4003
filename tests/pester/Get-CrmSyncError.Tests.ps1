#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

BeforeAll {
    . (Join-Path $PSScriptRoot 'CrmSyncTestSetup.ps1')
    . (Join-Path $PSScriptRoot 'CrmSyncRunSetup.ps1')
    $script:TestHome = New-CrmSyncTestHome
    $script:Emulator = Start-CrmSyncTestEmulator
    Connect-CrmSyncTestProfile -Emulator $script:Emulator -Name 'prod'
    Start-CrmSync -Profile 'prod' -Confirm:$false | Out-Null
    # one failed cycle: a job-level error with the run's ErrorId
    $fault = Invoke-CrmSyncTestAdmin -Emulator $script:Emulator -Method Post -Path 'faults' -Body @{ kind = 'RequestLimitExceeded'; pathContains = '/services/data/' }
    $script:Failed = Start-CrmSync -Profile 'prod' -ErrorAction SilentlyContinue
    Invoke-CrmSyncTestAdmin -Emulator $script:Emulator -Method Delete -Path "faults/$($fault.id)" | Out-Null
}

AfterAll {
    Stop-CrmSyncTestEmulator -Emulator $script:Emulator
    Remove-CrmSyncTestHome -Path $script:TestHome
}

Describe 'Get-CrmSyncError' {
    It 'lists the job-level error of the failed run' {
        $errors = Get-CrmSyncError -Profile 'prod'
        $errors | Should -Not -BeNullOrEmpty
        $job = $errors | Where-Object { $_.RunId -eq $script:Failed.RunId }
        $job.Level | Should -Be 'Job'
        $job.ErrorId | Should -Be $script:Failed.Error.ErrorId
        $job.Profile | Should -Be 'prod'
    }

    It 'filters by level and run, and takes -RunId from a piped Start-CrmSync result' {
        Get-CrmSyncError -Profile 'prod' -Level Record | Where-Object RunId -eq $script:Failed.RunId | Should -BeNullOrEmpty
        ($script:Failed | Get-CrmSyncError).RunId | Select-Object -Unique | Should -Be $script:Failed.RunId
        @(Get-CrmSyncError -Profile 'prod' -Last 1).Count | Should -Be 1
    }

    It 'is a read: nothing is deleted without -Purge' {
        $before = Invoke-CrmSyncTestSql -Name 'prod' -Sql 'SELECT count(*) FROM crmsync_error'
        Get-CrmSyncError -Profile 'prod' | Out-Null
        Invoke-CrmSyncTestSql -Name 'prod' -Sql 'SELECT count(*) FROM crmsync_error' | Should -Be $before
    }

    It 'deletes old errors with -Purge only after ShouldProcess; -WhatIf deletes nothing' {
        Invoke-CrmSyncTestSql -Name 'prod' -Sql "UPDATE crmsync_error SET occurred_at = '2000-01-01T00:00:00.000Z'" | Out-Null
        $before = Invoke-CrmSyncTestSql -Name 'prod' -Sql 'SELECT count(*) FROM crmsync_error'
        Get-CrmSyncError -Profile 'prod' -Purge -WhatIf | Out-Null
        Invoke-CrmSyncTestSql -Name 'prod' -Sql 'SELECT count(*) FROM crmsync_error' | Should -Be $before
        Get-CrmSyncError -Profile 'prod' -Purge -Retention '1.00:00:00' -Confirm:$false | Should -BeNullOrEmpty
        Invoke-CrmSyncTestSql -Name 'prod' -Sql 'SELECT count(*) FROM crmsync_error' | Should -Be 0
    }

    It 'refuses -Retention without -Purge' {
        { Get-CrmSyncError -Profile 'prod' -Retention '1.00:00:00' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidArgument,CrmSync.PowerShell.Cmdlets.GetCrmSyncErrorCommand'
    }
}

#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

# The whole setup as an administrator types it in PowerShell, against the CRM emulator: connect with a PSCredential and
# a SecureString security token, review the fields with -WhatIf, create them, adjust a mapping, the confirmed first
# start, an unattended later start, the status, plain SQL on the database, another start, and the change in the CRM.
# Then Ctrl+C of a continuous sync in a child pwsh, and the next start resuming.

BeforeAll {
    . (Join-Path $PSScriptRoot 'CrmSyncTestSetup.ps1')
    . (Join-Path $PSScriptRoot 'CrmSyncRunSetup.ps1')
    $script:TestHome = New-CrmSyncTestHome
    $script:Emulator = Start-CrmSyncTestEmulator -Seed 'lead=40,contact=15,account=6,campaign=2,member=4'
    $script:Database = Get-CrmSyncTestDatabase -Name 'trial'
}

AfterAll {
    Stop-CrmSyncTestEmulator -Emulator $script:Emulator
    Remove-CrmSyncTestHome -Path $script:TestHome
}

Describe 'An administrator sets up and runs the sync in PowerShell' {
    It 'connects with a PSCredential and a SecureString security token' {
        $cred = [pscredential]::new('sync@crmsync.emulator', (ConvertTo-SecureString 'password' -AsPlainText -Force))
        $token = ConvertTo-SecureString 'emulatortoken' -AsPlainText -Force
        $connection = Connect-CrmSync -Crm Salesforce -LoginUrl $script:Emulator.BaseUrl -Credential $cred -SecurityToken $token -Profile 'trial'
        $connection.Profile | Should -Be 'trial'
        $connection.UserName | Should -Be 'sync@crmsync.emulator'
        $connection.DatabasePath | Should -Be $script:Database
        (Get-CrmSyncStatus -Profile 'trial').State | Should -Be 'NotStarted'
    }

    It 'reviews the permanent fields with -WhatIf, which creates nothing' {
        $plan = Sync-CrmField -Profile 'trial' -ExcludeField '*.Fax' -WhatIf
        ($plan | Where-Object { $_.ObjectName -eq 'Lead' -and $_.FieldName -eq 'Title' }).Action | Should -Be 'Create'
        ($plan | Where-Object { $_.ObjectName -eq 'Lead' -and $_.FieldName -eq 'Fax' }).Action | Should -Be 'Excluded'
        Invoke-CrmSyncTestSql -Name 'trial' -Sql "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'person'" | Should -Be 0
    }

    It 'creates the fields when confirmed' {
        $created = Sync-CrmField -Profile 'trial' -ExcludeField '*.Fax' -Confirm:$false
        ($created | Where-Object { $_.ObjectName -eq 'Lead' -and $_.FieldName -eq 'Title' }).Action | Should -Be 'Create'
        Invoke-CrmSyncTestSql -Name 'trial' -Sql "SELECT count(*) FROM pragma_table_info('person') WHERE name = 'Title'" | Should -Be 1
        Invoke-CrmSyncTestSql -Name 'trial' -Sql "SELECT count(*) FROM pragma_table_info('person') WHERE name = 'Fax'" | Should -Be 0
    }

    It 'exports the mappings and changes one before the first start' {
        $path = Join-Path $script:TestHome 'mapping.json'
        Export-CrmFieldMapping -Profile 'trial' -Path $path | Out-Null
        Test-Path $path | Should -BeTrue
        Set-CrmFieldMapping -Profile 'trial' -Object Lead -Field Rating -Rule AlwaysCrm -Confirm:$false | Out-Null
        (Get-CrmFieldMapping -Profile 'trial' -Object Lead -Field Rating).Rule | Should -Be 'AlwaysCrm'
    }

    It 'runs the first start, the initial copy, once confirmed' {
        $result = Start-CrmSync -Profile 'trial' -Confirm:$false
        $result.State | Should -Be 'Succeeded'
        $result.Kind | Should -Be 'Initial'
        $counts = (Invoke-CrmSyncTestAdmin -Emulator $script:Emulator -Method Get -Path 'info').counts
        Invoke-CrmSyncTestSql -Name 'trial' -Sql "SELECT count(*) FROM person WHERE _crm_type = 'Lead'" | Should -Be $counts.Lead
        Invoke-CrmSyncTestSql -Name 'trial' -Sql "SELECT count(*) FROM person WHERE _crm_type = 'Contact'" | Should -Be $counts.Contact
    }

    It 'runs later starts unattended, as a scheduled task does, and reports the status' {
        $ConfirmPreference = 'High'
        $result = Start-CrmSync -Profile 'trial'
        $result.State | Should -Be 'Succeeded'
        $result.Kind | Should -Be 'Incremental'
        $status = Get-CrmSyncStatus -Profile 'trial'
        $status.State | Should -Be 'LastSynced'
        $status.LastSuccess | Should -Not -BeNullOrEmpty
        $status.LastError | Should -BeNullOrEmpty
        $status.PushBacklog | Should -Be 0
        $status.Enabled | Should -BeTrue
    }

    It 'pushes a plain SQL UPDATE and INSERT made with another tool to the CRM on the next start' {
        $leadId = Invoke-CrmSyncTestSql -Name 'trial' -Sql "SELECT _crm_id FROM person WHERE _crm_type = 'Lead' AND _crm_is_deleted = 0 ORDER BY _row_id LIMIT 1"
        Invoke-CrmSyncTestSql -Name 'trial' -Sql "UPDATE person SET Title = 'VP Pester' WHERE _crm_id = '$leadId'" | Out-Null
        Invoke-CrmSyncTestSql -Name 'trial' -Sql "INSERT INTO person (FirstName, LastName, Email, Company) VALUES ('Grace', 'Hopper', 'grace.hopper@example.com', 'Navy')" | Out-Null

        $result = Start-CrmSync -Profile 'trial'
        $result.State | Should -Be 'Succeeded'

        (Invoke-CrmSyncTestAdmin -Emulator $script:Emulator -Method Get -Path "records/Lead/$leadId").Title | Should -Be 'VP Pester'
        $newId = Invoke-CrmSyncTestSql -Name 'trial' -Sql "SELECT _crm_id FROM person WHERE Email = 'grace.hopper@example.com'"
        $newId | Should -Not -BeNullOrEmpty
        $created = Invoke-CrmSyncTestAdmin -Emulator $script:Emulator -Method Get -Path "records/Lead/$newId"
        $created.LastName | Should -Be 'Hopper'
        $created.Company | Should -Be 'Navy'
        Invoke-CrmSyncTestSql -Name 'trial' -Sql "SELECT count(*) FROM person WHERE Email = 'grace.hopper@example.com'" | Should -Be 1

        # and the next cycle sends nothing again
        $again = Start-CrmSync -Profile 'trial'
        @($again.Counts | Where-Object { $_.Operation -in 'PushNew', 'PushUpdates' -and ($_.New + $_.Updated) -gt 0 }) | Should -BeNullOrEmpty
        (Invoke-CrmSyncTestAdmin -Emulator $script:Emulator -Method Get -Path 'info').counts.Lead |
            Should -Be (Invoke-CrmSyncTestSql -Name 'trial' -Sql "SELECT count(*) FROM person WHERE _crm_type = 'Lead' AND _crm_is_deleted = 0")
    }

    It 'stops a continuous sync in a child pwsh on Ctrl+C, leaves the database consistent, and the next start resumes' -Skip:$IsWindows {
        $runsBefore = Invoke-CrmSyncTestSql -Name 'trial' -Sql 'SELECT count(*) FROM crmsync_run'
        $child = Start-CrmSyncChildPwsh -Command "`$env:CRMSYNC_HOME = '$env:CRMSYNC_HOME'; Import-Module '$script:StagedManifest'; Start-CrmSync -Profile 'trial' -Continuous -Interval '00:00:01'"
        try {
            # a change in the CRM while the loop runs, so that a cycle has real work
            Invoke-CrmSyncTestAdmin -Emulator $script:Emulator -Method Post -Path 'records/Lead' -Body @{ LastName = 'CtrlC'; Company = 'Signal Ltd' } | Out-Null
            $deadline = [DateTime]::UtcNow.AddSeconds(90)
            while ((Invoke-CrmSyncTestSql -Name 'trial' -Sql 'SELECT count(*) FROM crmsync_run') -lt $runsBefore + 2 -and [DateTime]::UtcNow -lt $deadline -and -not $child.Process.HasExited) {
                Start-Sleep -Milliseconds 100
            }
            $child.Process.HasExited | Should -BeFalse -Because 'the continuous sync runs until it is stopped' 
            (Invoke-CrmSyncTestSql -Name 'trial' -Sql 'SELECT count(*) FROM crmsync_run') | Should -BeGreaterOrEqual ($runsBefore + 2)

            Send-CrmSyncInterrupt -Process $child.Process
            if (-not $child.Process.WaitForExit(60000)) {
                # Say what the child was doing: its output so far (it is killed here), then fail.
                $output = Stop-CrmSyncChildPwsh -Child $child
                $false | Should -BeTrue -Because "Ctrl+C stops the continuous sync (the child still ran 60 s after SIGINT; it wrote: $output)"
            }
            # PowerShell caught the signal and stopped the pipeline (StopProcessing), so `pwsh -Command` ends with 1;
            # a process killed by an unhandled SIGINT would end with 130
            $child.Process.ExitCode | Should -Be 1
        }
        finally {
            $written = Stop-CrmSyncChildPwsh -Child $child
        }
        $written | Should -Not -Match 'Exception|at CrmSync\.' -Because 'Ctrl+C ends the sync without a stack trace'


        Invoke-CrmSyncTestSql -Name 'trial' -Sql 'PRAGMA integrity_check' | Should -Be 'ok'
        Invoke-CrmSyncTestSql -Name 'trial' -Sql "SELECT count(*) FROM crmsync_run WHERE state = 'Running'" | Should -Be 0
        (Get-CrmSyncStatus -Profile 'trial').State | Should -Not -Be 'InProgress'

        $next = Start-CrmSync -Profile 'trial'
        $next.State | Should -Be 'Succeeded'
        Invoke-CrmSyncTestSql -Name 'trial' -Sql "SELECT count(*) FROM person WHERE LastName = 'CtrlC'" | Should -Be 1
        Invoke-CrmSyncTestSql -Name 'trial' -Sql 'SELECT count(*) - count(DISTINCT _crm_id) FROM person WHERE _crm_id IS NOT NULL' | Should -Be 0
        (Invoke-CrmSyncTestAdmin -Emulator $script:Emulator -Method Get -Path 'info').counts.Lead |
            Should -Be (Invoke-CrmSyncTestSql -Name 'trial' -Sql "SELECT count(*) FROM person WHERE _crm_type = 'Lead' AND _crm_is_deleted = 0")
    }
}

#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

# The Dynamics 365 setup as an administrator types it in PowerShell, against the CRM emulator started as a Dataverse org
# (--crm dynamics): connect the sync user with a PSCredential (-WhatIf first), check the connection, review the fields with
# -WhatIf and create them, the confirmed first start, the status with the sync filter's Filtered count, plain SQL reaching
# the CRM, a record the CRM rejects in Get-CrmSyncError, the Application User profile, and Disconnect-CrmSync.
# (Connect-CrmSync.Tests.ps1 covers the Dynamics parameter sets and sign-in failures.)

BeforeAll {
    . (Join-Path $PSScriptRoot 'CrmSyncTestSetup.ps1')
    . (Join-Path $PSScriptRoot 'CrmSyncRunSetup.ps1')
    $script:TestHome = New-CrmSyncTestHome
    # filterno=1 among 10: some seeded leads and contacts have an explicit No and are kept out
    $script:Dataverse = Start-CrmSyncTestEmulator -Crm dynamics -Seed 'lead=20,contact=10,account=3,list=1,listmember=2,filteryes=6,filterempty=2,filterno=2'
    $script:Database = Get-CrmSyncTestDatabase -Name 'd365'
    $script:Url = $script:Dataverse.BaseUrl
    $script:Credential = [pscredential]::new('sync@crmsync.onmicrosoft.test', (ConvertTo-SecureString 'CrmSync-Emulator-1' -AsPlainText -Force))
}

AfterAll {
    Stop-CrmSyncTestEmulator -Emulator $script:Dataverse
    Remove-CrmSyncTestHome -Path $script:TestHome
}

Describe 'An administrator sets up and runs the Dynamics 365 sync in PowerShell' {
    It 'reviews the connection with -WhatIf, which signs in to nothing and saves nothing' {
        Connect-CrmSync -Profile 'd365' -Crm Dynamics -Url $script:Url -LoginUrl $script:Url -Credential $script:Credential -SyncFilterField 'new_synctomkto' -WhatIf
        Test-Path $script:Database | Should -BeFalse
        Test-Path (Join-Path $script:TestHome 'secrets' 'd365.json') | Should -BeFalse
    }

    It 'connects the sync user with a PSCredential and the sync filter when confirmed' {
        $connection = Connect-CrmSync -Profile 'd365' -Crm Dynamics -Url $script:Url -LoginUrl $script:Url -Credential $script:Credential -SyncFilterField 'new_synctomkto' -Confirm:$false
        "$($connection.Crm)" | Should -Be 'Dynamics'
        $connection.UserName | Should -Be 'sync@crmsync.onmicrosoft.test'
        $connection.DatabasePath | Should -Be $script:Database
        "$((Get-CrmSyncStatus -Profile 'd365').State)" | Should -Be 'NotStarted'
    }

    It 'checks the connection the way Validate Sync does: every check passes' {
        $rows = Test-CrmSyncConnection -Profile 'd365'
        $rows.Where({ "$($_.Result)" -ne 'Passed' }) | Should -BeNullOrEmpty
        $rows.Where({ $_.Check -eq 'Sync filter field' }).Target | Should -Contain 'lead.new_synctomkto'
    }

    It 'reviews the permanent fields with -WhatIf, which creates nothing' {
        $plan = Sync-CrmField -Profile 'd365' -WhatIf
        "$(($plan | Where-Object { $_.ObjectName -eq 'lead' -and $_.FieldName -eq 'jobtitle' }).Action)" | Should -Be 'Create'
        Invoke-CrmSyncTestSql -Name 'd365' -Sql "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'person'" | Should -Be 0
    }

    It 'creates the fields when confirmed' {
        Sync-CrmField -Profile 'd365' -Confirm:$false | Out-Null
        Invoke-CrmSyncTestSql -Name 'd365' -Sql "SELECT count(*) FROM pragma_table_info('person') WHERE name = 'jobtitle'" | Should -Be 1
        Invoke-CrmSyncTestSql -Name 'd365' -Sql "SELECT count(*) FROM pragma_table_info('person') WHERE name = 'new_synctomkto'" | Should -Be 1
    }

    It 'runs the first start, the initial copy, once confirmed, and keeps the explicit No out' {
        $result = Start-CrmSync -Profile 'd365' -Confirm:$false
        "$($result.State)" | Should -Be 'Succeeded'
        "$($result.Kind)" | Should -Be 'Initial'
        $leads = Invoke-CrmSyncTestSql -Name 'd365' -Sql "SELECT count(*) FROM person WHERE _crm_type = 'Lead'"
        $leads | Should -BeGreaterThan 0
        $leads | Should -BeLessThan 20
        Invoke-CrmSyncTestSql -Name 'd365' -Sql "SELECT count(*) FROM person WHERE new_synctomkto = 0" | Should -Be 0
    }

    It 'shows the Filtered count in Get-CrmSyncStatus' {
        $status = Get-CrmSyncStatus -Profile 'd365'
        "$($status.State)" | Should -Be 'LastSynced'
        $lead = $status.Counts | Where-Object { $_.ObjectName -eq 'lead' -and "$($_.Operation)" -eq 'PullUpdates' }
        $lead.Filtered | Should -Be (20 - (Invoke-CrmSyncTestSql -Name 'd365' -Sql "SELECT count(*) FROM person WHERE _crm_type = 'Lead'"))
        $lead.Filtered | Should -BeGreaterThan 0
    }

    It 'pushes a plain SQL UPDATE made with another tool to the CRM on the next start' {
        $leadId = Invoke-CrmSyncTestSql -Name 'd365' -Sql "SELECT _crm_id FROM person WHERE _crm_type = 'Lead' AND _crm_is_deleted = 0 ORDER BY _row_id LIMIT 1"
        Invoke-CrmSyncTestSql -Name 'd365' -Sql "UPDATE person SET jobtitle = 'VP Pester' WHERE _crm_id = '$leadId'" | Out-Null

        $result = Start-CrmSync -Profile 'd365'
        "$($result.State)" | Should -Be 'Succeeded'
        ($result.Counts | Where-Object { $_.ObjectName -eq 'lead' -and "$($_.Operation)" -eq 'PushUpdates' }).Updated | Should -Be 1
        (Invoke-CrmSyncTestAdmin -Emulator $script:Dataverse -Method Get -Path "dynamics/records/lead/$leadId").jobtitle | Should -Be 'VP Pester'
    }

    It 'lists a record the CRM rejects in Get-CrmSyncError' {
        $leadId = Invoke-CrmSyncTestSql -Name 'd365' -Sql "SELECT _crm_id FROM person WHERE _crm_type = 'Lead' AND _crm_is_deleted = 0 ORDER BY _row_id LIMIT 1 OFFSET 1"
        $fault = Invoke-CrmSyncTestAdmin -Emulator $script:Dataverse -Method Post -Path 'dynamics/faults' -Body @{
            kind = 'RecordError'; recordIds = @($leadId); statusCode = 400; errorCode = '0x80040237'; message = 'Rejected by a plug-in (Pester).'
        }
        try {
            Invoke-CrmSyncTestSql -Name 'd365' -Sql "UPDATE person SET jobtitle = 'Never arrives' WHERE _crm_id = '$leadId'" | Out-Null
            Start-CrmSync -Profile 'd365' -WarningAction SilentlyContinue | Out-Null
        }
        finally {
            Invoke-CrmSyncTestAdmin -Emulator $script:Dataverse -Method Delete -Path 'dynamics/faults' | Out-Null
        }
        $record = Get-CrmSyncError -Profile 'd365' -Level Record | Where-Object CrmId -eq $leadId
        $record | Should -Not -BeNullOrEmpty
        $record[0].Object | Should -Be 'lead'
        (Invoke-CrmSyncTestAdmin -Emulator $script:Dataverse -Method Get -Path "dynamics/records/lead/$leadId").jobtitle | Should -Not -Be 'Never arrives'
    }

    It 'connects the Application User with the ClientCredentials set, checks it and disconnects both profiles, keeping their databases' {
        $secret = ConvertTo-SecureString 'crmsync-emulator-client-secret' -AsPlainText -Force
        $app = Connect-CrmSync -Profile 'd365app' -Crm Dynamics -Url $script:Url -LoginUrl $script:Url -ClientCredentials -TenantId '6d1f1c2e-5a3b-4c8d-9e0f-1a2b3c4d5e6f' `
            -ClientId '5e3c9a77-2f4b-4b61-9c3d-7a8b9c0d1e2f' -ClientSecret $secret -Confirm:$false
        "$($app.AuthMethod)" | Should -Be 'ClientCredentials'
        (Test-CrmSyncConnection -Profile 'd365app').Where({ $_.Check -eq 'Login' }).Result | ForEach-Object { "$_" } | Should -Be 'Passed'

        foreach ($name in 'd365', 'd365app') {
            Disconnect-CrmSync -Profile $name -Confirm:$false | Out-Null
            Test-Path (Get-CrmSyncTestDatabase -Name $name) | Should -BeTrue
            Test-Path (Join-Path $script:TestHome 'secrets' "$name.json") | Should -BeFalse
        }
        { Start-CrmSync -Profile 'd365' -ErrorAction Stop } | Should -Throw
    }
}

#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

BeforeAll {
    . (Join-Path $PSScriptRoot 'CrmSyncTestSetup.ps1')
    . (Join-Path $PSScriptRoot 'CrmSyncRunSetup.ps1')
    $script:TestHome = New-CrmSyncTestHome
    $script:Salesforce = Start-CrmSyncTestEmulator
    $script:Dataverse = Start-CrmSyncTestEmulator -Crm dynamics
    $credential = [pscredential]::new('sync@crmsync.emulator', (ConvertTo-SecureString 'password' -AsPlainText -Force))
    Connect-CrmSync -Profile 'sf' -Credential $credential -SecurityToken (ConvertTo-SecureString 'emulatortoken' -AsPlainText -Force) -LoginUrl $script:Salesforce.BaseUrl -Confirm:$false | Out-Null
    $dvCredential = [pscredential]::new('sync@crmsync.onmicrosoft.test', (ConvertTo-SecureString 'CrmSync-Emulator-1' -AsPlainText -Force))
    Connect-CrmSync -Profile 'd365' -Crm Dynamics -Url $script:Dataverse.BaseUrl -LoginUrl $script:Dataverse.BaseUrl -Credential $dvCredential -Confirm:$false | Out-Null
}

AfterAll {
    Stop-CrmSyncTestEmulator -Emulator $script:Salesforce
    Stop-CrmSyncTestEmulator -Emulator $script:Dataverse
    Remove-CrmSyncTestHome -Path $script:TestHome
}

Describe 'Test-CrmSyncConnection' {
    It 'passes every check of a healthy Dynamics 365 org, one CrmConnectionCheck per check' {
        $rows = Test-CrmSyncConnection -Profile 'd365'
        $rows | Should -Not -BeNullOrEmpty
        $rows | ForEach-Object { $_ | Should -BeOfType ([CrmSync.Engine.Crm.CrmConnectionCheck]) }
        $rows.Where({ $_.Result -ne 'Passed' }) | Should -BeNullOrEmpty
        ($rows.Check | Select-Object -Unique) | Should -Be @('URL reachable', 'Login', 'Read access', 'Change tracking', 'Sync filter field', 'CrmSync key', 'API limits')
        # the standard entities in the catalog's order, then the custom entities the sync picks up (the org's new_invoice)
        $rows.Where({ $_.Check -eq 'Read access' }).Target | Should -Be @('lead', 'contact', 'list', 'listmember', 'account', 'systemuser', 'opportunity', 'new_invoice')
        $rows.Where({ $_.Check -eq 'Change tracking' }).Target | Should -Be @('lead', 'contact', 'list', 'listmember', 'account', 'systemuser', 'opportunity', 'new_invoice')
    }

    It 'passes every check of a healthy Salesforce org, with the Salesforce objects and no filter field' {
        $rows = Test-CrmSyncConnection -Profile 'sf'
        $rows.Where({ $_.Result -ne 'Passed' }) | Should -BeNullOrEmpty
        $rows.Where({ $_.Check -eq 'Read access' }).Target | Should -Contain 'CampaignMember'
        $rows.Check | Should -Not -Contain 'Sync filter field'
        $rows.Where({ $_.Check -eq 'API limits' }).Detail | Should -Match 'daily API requests left'
    }

    It 'reports a table without change tracking, an inactive key and a filter field of the wrong type, each with what to do' {
        Invoke-CrmSyncTestAdmin -Emulator $script:Dataverse -Method Put -Path 'dynamics/schema/account' -Body @{ changeTrackingEnabled = $false } | Out-Null
        Invoke-CrmSyncTestAdmin -Emulator $script:Dataverse -Method Put -Path 'dynamics/schema/contact/keys/new_crmsynckey_key' -Body @{ status = 'Failed' } | Out-Null
        Invoke-CrmSyncTestAdmin -Emulator $script:Dataverse -Method Delete -Path 'dynamics/schema/lead/attributes/new_synctomkto' | Out-Null
        Invoke-CrmSyncTestAdmin -Emulator $script:Dataverse -Method Post -Path 'dynamics/schema/lead/attributes' -Body @{ name = 'new_synctomkto'; type = 'String' } | Out-Null

        $failed = Test-CrmSyncConnection -Profile 'd365' | Where-Object Result -eq 'Failed'

        ($failed | ForEach-Object { "$($_.Check)|$($_.Target)" }) | Should -Be @('Change tracking|account', 'Sync filter field|lead.new_synctomkto', 'CrmSync key|contact.new_crmsynckey')
        $failed | ForEach-Object { $_.WhatToDo | Should -Not -BeNullOrEmpty }
        $failed.Where({ $_.Check -eq 'CrmSync key' }).WhatToDo | Should -Match 'reactivate'
    }

    It 'checks another filter field with -SyncFilterField and warns where it is missing' {
        $rows = Test-CrmSyncConnection -Profile 'd365' -SyncFilterField 'new_synctocrmsync' | Where-Object Check -eq 'Sync filter field'
        $rows.Result | Select-Object -Unique | Should -Be 'Warning'
        $rows[0].Target | Should -Be 'lead.new_synctocrmsync'
    }

    It 'writes a failed login as a row and skips the rest' {
        Invoke-CrmSyncTestAdmin -Emulator $script:Dataverse -Method Put -Path 'dynamics/settings' -Body @{ mfaRequired = $true } | Out-Null
        try { $rows = Test-CrmSyncConnection -Profile 'd365' }
        finally { Invoke-CrmSyncTestAdmin -Emulator $script:Dataverse -Method Put -Path 'dynamics/settings' -Body @{ mfaRequired = $false } | Out-Null }
        $rows[0].Result | Should -Be 'Passed'
        $rows[1].Check | Should -Be 'Login'
        $rows[1].Result | Should -Be 'Failed'
        $rows[1].Detail | Should -Match 'CrmMfaRequired'
        $rows | Select-Object -Skip 2 | ForEach-Object { $_.Result | Should -Be 'Skipped' }
    }

    It 'formats the rows as a table with Check, Target, Result, Detail and WhatToDo' {
        $text = Test-CrmSyncConnection -Profile 'sf' | Out-String -Width 250
        $text | Should -Match 'Check\s+Target\s+Result\s+Detail\s+WhatToDo'
        $text | Should -Match 'URL reachable'
    }

    It 'binds Profile from the pipeline and fails with ProfileNotFound for an unknown profile' {
        ([pscustomobject]@{ Profile = 'sf' } | Test-CrmSyncConnection | Select-Object -First 1).Profile | Should -Be 'sf'
        { Test-CrmSyncConnection -Profile 'nope' -ErrorAction Stop } | Should -Throw -ErrorId 'ProfileNotFound,CrmSync.PowerShell.Cmdlets.TestCrmSyncConnectionCommand'
    }
}

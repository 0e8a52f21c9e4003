#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

BeforeAll {
    . (Join-Path $PSScriptRoot 'CrmSyncTestSetup.ps1')
    . (Join-Path $PSScriptRoot 'CrmSyncRunSetup.ps1')
    $script:TestHome = New-CrmSyncTestHome
    $script:Emulator = Start-CrmSyncTestEmulator
    Connect-CrmSyncTestProfile -Emulator $script:Emulator -Name 'prod'
    Start-CrmSync -Profile 'prod' -Confirm:$false | Out-Null
}

AfterAll {
    Stop-CrmSyncTestEmulator -Emulator $script:Emulator
    Remove-CrmSyncTestHome -Path $script:TestHome
}

Describe 'Get-CrmSyncConflict' {
    It 'lists nothing before any collision' {
        Get-CrmSyncConflict -Profile 'prod' | Should -BeNullOrEmpty
    }

    It 'journals a field changed locally and in the CRM within one cycle; for a Lead the local change wins' {
        $leadId = Invoke-CrmSyncTestSql -Name 'prod' -Sql "SELECT _crm_id FROM person WHERE _crm_type = 'Lead' AND _crm_is_deleted = 0 ORDER BY _row_id LIMIT 1"
        Invoke-CrmSyncTestSql -Name 'prod' -Sql "UPDATE person SET Title = 'Local title' WHERE _crm_id = '$leadId'" | Out-Null
        Invoke-CrmSyncTestAdmin -Emulator $script:Emulator -Method Patch -Path "records/Lead/$leadId" -Body @{ Title = 'CRM title' } | Out-Null

        $cycle = Start-CrmSync -Profile 'prod'
        $conflict = Get-CrmSyncConflict -Profile 'prod' -Object Lead -Field Title
        $conflict | Should -Not -BeNullOrEmpty
        $conflict.CrmId | Should -Be $leadId
        $conflict.LocalValue | Should -Be 'Local title'
        $conflict.CrmValue | Should -Be 'CRM title'
        $conflict.Winner | Should -Be 'Local'
        $conflict.RunId | Should -Be $cycle.RunId
        ($cycle | Get-CrmSyncConflict).Field | Should -Contain 'Title'
    }

    It 'filters by wildcard object and field patterns and by -Last' {
        Get-CrmSyncConflict -Profile 'prod' -Object 'Cont*' | Should -BeNullOrEmpty
        (Get-CrmSyncConflict -Profile 'prod' -Field 'Ti*' -Last 1).Field | Should -Be 'Title'
    }

    It 'is shown as a table' {
        Get-CrmSyncConflict -Profile 'prod' | Out-String | Should -Match 'Field\s+LocalValue\s+CrmValue\s+Winner'
    }
}

#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

BeforeAll {
    . (Join-Path $PSScriptRoot 'CrmSyncTestSetup.ps1')
    . (Join-Path $PSScriptRoot 'CrmSyncRunSetup.ps1')
    $script:TestHome = New-CrmSyncTestHome
    $script:Emulator = Start-CrmSyncTestEmulator
    Connect-CrmSyncTestProfile -Emulator $script:Emulator -Name 'default'
    Stop-CrmSyncTestEmulator -Emulator $script:Emulator
}

AfterAll {
    Stop-CrmSyncTestEmulator -Emulator $script:Emulator
    Remove-CrmSyncTestHome -Path $script:TestHome
}

Describe 'Get-CrmFieldMapping' {
    It 'lists the default mappings: Lead and Contact fields with the same name share one person column' {
        $lead = Get-CrmFieldMapping -Object Lead -Field Email
        $contact = Get-CrmFieldMapping -Object Contact -Field Email
        $lead | Should -BeOfType ([CrmSync.Engine.Schema.CrmFieldMapping])
        $lead.TableName | Should -Be 'person'
        $contact.ColumnName | Should -Be $lead.ColumnName
        $lead.Rule | Should -Be 'TwoWay'
    }

    It 'changes nothing: it has no -Path, no -WhatIf (the export is Export-CrmFieldMapping)' {
        (Get-Command Get-CrmFieldMapping).Parameters.Keys | Should -Not -Contain 'Path'
        (Get-Command Get-CrmFieldMapping).Parameters.Keys | Should -Not -Contain 'WhatIf'
    }

    It 'writes ObjectNotSynced for a literal object without mappings' {
        Get-CrmFieldMapping -Object 'NoSuchObject' -ErrorVariable errors -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -Be 'ObjectNotSynced,CrmSync.PowerShell.Cmdlets.GetCrmFieldMappingCommand'
    }

    It 'is shown as a table by default' {
        Get-CrmFieldMapping -Object Lead -Field Email | Out-String | Should -Match 'Object\s+Field\s+Column\s+Rule'
    }
}

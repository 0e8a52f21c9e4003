#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

BeforeAll {
    . (Join-Path $PSScriptRoot 'CrmSyncTestSetup.ps1')
    . (Join-Path $PSScriptRoot 'CrmSyncRunSetup.ps1')
    $script:TestHome = New-CrmSyncTestHome
    function Get-Completion([string] $Line) { (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText }
    $script:Emulator = Start-CrmSyncTestEmulator
    Connect-CrmSyncTestProfile -Emulator $script:Emulator -Name 'default'
    # the catalog is local: the emulator is no longer needed
    Stop-CrmSyncTestEmulator -Emulator $script:Emulator
    New-FreshCrmSyncProfile -Name 'empty'
}

AfterAll {
    Stop-CrmSyncTestEmulator -Emulator $script:Emulator
    Remove-CrmSyncTestHome -Path $script:TestHome
}

Describe 'Get-CrmField' {
    It 'lists the created fields from the local catalog, without the network' {
        $fields = Get-CrmField
        $fields | Should -Not -BeNullOrEmpty
        $fields[0] | Should -BeOfType ([CrmSync.Engine.Schema.CrmFieldInfo])
        ($fields | Where-Object { $_.ObjectName -eq 'Lead' -and $_.FieldName -eq 'Email' }).ColumnName | Should -Be 'Email'
    }

    It 'filters by object and name with wildcards' {
        $fields = Get-CrmField -Object Lead -Name 'Email*'
        $fields.ObjectName | Sort-Object -Unique | Should -Be 'Lead'
        $fields.FieldName | ForEach-Object { $_ | Should -BeLike 'Email*' }
        $fields.FieldName | Should -Contain 'Email'
    }

    It 'writes ObjectNotSynced for a literal object without fields and goes on' {
        $fields = Get-CrmField -Object 'Lead', 'NoSuchObject' -ErrorVariable errors -ErrorAction SilentlyContinue
        $fields | Should -Not -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -Be 'ObjectNotSynced,CrmSync.PowerShell.Cmdlets.GetCrmFieldCommand'
    }

    It 'warns to run Sync-CrmField when the profile has no fields' {
        Get-CrmField -Profile 'empty' -WarningVariable warnings -WarningAction SilentlyContinue | Should -BeNullOrEmpty
        $warnings[0].Message | Should -Match 'Sync-CrmField'
    }

    It 'completes -Object and -Name from the catalog of the profile already typed' {
        $objects = Get-Completion 'Get-CrmField -Object Le'
        $objects | Should -Contain 'Lead'
        $names = Get-Completion 'Get-CrmField -Object Lead -Name Ema'
        $names | Should -Contain 'Email'
        Get-Completion 'Get-CrmField -Profile empty -Object Le' | Should -BeNullOrEmpty
    }

    It 'completes -Profile from the data folder' {
        $profiles = Get-Completion 'Get-CrmField -Profile em'
        $profiles | Should -Be @('empty')
    }

    It 'is shown as a table by default' {
        Get-CrmField -Object Lead -Name Email | Out-String | Should -Match 'Object\s+Field\s+Column'
    }
}

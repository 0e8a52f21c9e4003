#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

BeforeAll {
    . (Join-Path $PSScriptRoot 'CrmSyncTestSetup.ps1')
    . (Join-Path $PSScriptRoot 'CrmSyncRunSetup.ps1')
    $script:TestHome = New-CrmSyncTestHome
    function Get-Completion([string] $Line) { (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText }
    $script:Emulator = Start-CrmSyncTestEmulator
    Connect-CrmSyncTestProfile -Emulator $script:Emulator -Name 'default'
    Stop-CrmSyncTestEmulator -Emulator $script:Emulator
}

AfterAll {
    Stop-CrmSyncTestEmulator -Emulator $script:Emulator
    Remove-CrmSyncTestHome -Path $script:TestHome
}

Describe 'Set-CrmFieldMapping' {
    It 'changes nothing with -WhatIf' {
        Set-CrmFieldMapping -Object Lead -Field Email -Rule AlwaysCrm -WhatIf
        (Get-CrmFieldMapping -Object Lead -Field Email).Rule | Should -Be 'TwoWay'
    }

    It 'sets a rule before the first start' {
        $mapping = Set-CrmFieldMapping -Object Lead -Field Email -Rule AlwaysCrm
        $mapping | Should -BeOfType ([CrmSync.Engine.Schema.CrmFieldMapping])
        $mapping.Rule | Should -Be 'AlwaysCrm'
        (Get-CrmFieldMapping -Object Lead -Field Email).Rule | Should -Be 'AlwaysCrm'
    }

    It 'takes the object and field from Get-CrmFieldMapping on the pipeline' {
        Get-CrmFieldMapping -Object Contact -Field Email | Set-CrmFieldMapping -Rule PreferCrmUnlessBlank | Out-Null
        (Get-CrmFieldMapping -Object Contact -Field Email).Rule | Should -Be 'PreferCrmUnlessBlank'
    }

    It 'breaks and restores a mapping' {
        (Set-CrmFieldMapping -Object Lead -Field Title -Disable).Enabled | Should -BeFalse
        (Set-CrmFieldMapping -Object Lead -Field Title -Enable).Enabled | Should -BeTrue
        { Set-CrmFieldMapping -Object Lead -Field Title -Enable -Disable -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidArgument,CrmSync.PowerShell.Cmdlets.SetCrmFieldMappingCommand'
    }

    It 'refuses an unknown field with MappingInvalid' {
        { Set-CrmFieldMapping -Object Lead -Field NoSuchField__c -Rule AlwaysCrm -ErrorAction Stop } | Should -Throw -ErrorId 'MappingInvalid,CrmSync.PowerShell.Cmdlets.SetCrmFieldMappingCommand'
    }

    It 'imports an exported file' {
        $file = Join-Path $script:TestHome 'mapping.json'
        Export-CrmFieldMapping -Path $file
        Set-CrmFieldMapping -Object Lead -Field Email -Rule TwoWay | Out-Null
        Set-CrmFieldMapping -Path $file -Confirm:$false | Out-Null
        (Get-CrmFieldMapping -Object Lead -Field Email).Rule | Should -Be 'AlwaysCrm'
    }

    It 'refuses every change with MappingLocked once the sync has started' {
        $db = Join-Path $env:CRMSYNC_HOME 'profiles' 'default.db'
        $store = [CrmSync.Engine.Store.CrmSyncStore]::Open($db, [TimeProvider]::System)
        try { [CrmSync.Engine.Schema.FieldMappingService]::new($store, $null).LockMappings($null) | Out-Null } finally { $store.Dispose() }

        { Set-CrmFieldMapping -Object Lead -Field Email -Rule TwoWay -ErrorAction Stop } | Should -Throw -ErrorId 'MappingLocked,CrmSync.PowerShell.Cmdlets.SetCrmFieldMappingCommand'
        (Get-CrmFieldMapping -Object Lead -Field Email).Rule | Should -Be 'AlwaysCrm'
    }

    It 'completes -Field from the -Object already typed' {
        $names = Get-Completion 'Set-CrmFieldMapping -Object Lead -Field Ema'
        $names | Should -Contain 'Email'
    }
}

#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

BeforeAll {
    . (Join-Path $PSScriptRoot 'CrmSyncTestSetup.ps1')
    . (Join-Path $PSScriptRoot 'CrmSyncRunSetup.ps1')
    $script:TestHome = New-CrmSyncTestHome
    $script:Emulator = Start-CrmSyncTestEmulator
    $credential = [pscredential]::new('sync@crmsync.emulator', (ConvertTo-SecureString 'password' -AsPlainText -Force))
    $token = ConvertTo-SecureString 'emulatortoken' -AsPlainText -Force
    Connect-CrmSync -Credential $credential -SecurityToken $token -LoginUrl $script:Emulator.BaseUrl | Out-Null
    $script:Secrets = Join-Path $script:TestHome 'secrets' 'default.json'
}

AfterAll {
    Stop-CrmSyncTestEmulator -Emulator $script:Emulator
    Remove-CrmSyncTestHome -Path $script:TestHome
}

Describe 'Disconnect-CrmSync' {
    It 'changes nothing with -WhatIf' {
        Disconnect-CrmSync -WhatIf
        Test-Path $script:Secrets | Should -BeTrue
    }

    It 'forgets the saved secrets and keeps the database' {
        $result = Disconnect-CrmSync -Confirm:$false
        $result | Should -BeOfType ([CrmSync.Engine.Connections.CrmDisconnectionInfo])
        $result.SavedSecretsForgotten | Should -BeTrue
        Test-Path $script:Secrets | Should -BeFalse
        Test-Path (Join-Path $script:TestHome 'profiles' 'default.db') | Should -BeTrue
    }

    It 'makes Sync-CrmField fail with CredentialsNotSaved afterwards' {
        { Sync-CrmField -WhatIf -ErrorAction Stop } | Should -Throw -ErrorId 'CredentialsNotSaved,CrmSync.PowerShell.Cmdlets.SyncCrmFieldCommand'
    }

    It 'fails with ProfileNotFound for an unknown profile' {
        { Disconnect-CrmSync -Profile 'nope' -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'ProfileNotFound,CrmSync.PowerShell.Cmdlets.DisconnectCrmSyncCommand'
    }

    It 'declares ConfirmImpact Medium' {
        (Get-Command Disconnect-CrmSync).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false).ConfirmImpact |
            Should -Be 'Medium'
    }
}

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

Describe 'Stop-CrmSync' {
    It 'changes nothing with -WhatIf' {
        Stop-CrmSync -Profile 'prod' -WhatIf | Should -BeNullOrEmpty
        (Get-CrmSyncStatus -Profile 'prod').Enabled | Should -BeTrue
    }

    It 'disables the persistent sync and writes the status' {
        $status = Stop-CrmSync -Profile 'prod' -Confirm:$false
        $status | Should -BeOfType ([CrmSync.Engine.Sync.SyncStatus])
        $status.Enabled | Should -BeFalse
        (Get-CrmSyncStatus -Profile 'prod').Enabled | Should -BeFalse
    }

    It 'is enabled again by the next Start-CrmSync, which does not prompt' {
        (Start-CrmSync -Profile 'prod').State | Should -Be 'Succeeded'
        (Get-CrmSyncStatus -Profile 'prod').Enabled | Should -BeTrue
    }

    It 'ends a continuous sync running in another runspace after its cycle' {
        $job = Start-ThreadJob -ScriptBlock {
            param($manifest, $dataFolder)
            $env:CRMSYNC_HOME = $dataFolder
            Import-Module $manifest
            Start-CrmSync -Profile 'prod' -Continuous -Interval '00:00:02'
        } -ArgumentList $script:StagedManifest, $env:CRMSYNC_HOME
        try {
            # wait (on a condition) until the loop has completed a cycle and planned the next one
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not (Get-CrmSyncStatus -Profile 'prod').NextRun -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            (Get-CrmSyncStatus -Profile 'prod').NextRun | Should -Not -BeNullOrEmpty
            Stop-CrmSync -Profile 'prod' -Confirm:$false | Out-Null
            $job | Wait-Job -Timeout 60 | Out-Null
            $job.State | Should -Be 'Completed'
            $results = $job | Receive-Job
            @($results).Count | Should -BeGreaterOrEqual 1
            (Get-CrmSyncStatus -Profile 'prod').NextRun | Should -BeNullOrEmpty
        }
        finally {
            $job | Remove-Job -Force
        }
    }

    It 'fails with ProfileNotFound for an unknown profile' {
        { Stop-CrmSync -Profile 'nope' -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'ProfileNotFound,CrmSync.PowerShell.Cmdlets.StopCrmSyncCommand'
    }
}

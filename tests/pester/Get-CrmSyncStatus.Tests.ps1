#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

BeforeAll {
    . (Join-Path $PSScriptRoot 'CrmSyncTestSetup.ps1')
    $script:TestHome = New-CrmSyncTestHome
    New-FreshCrmSyncProfile -Name 'default'
    New-FreshCrmSyncProfile -Name 'prod'
}

AfterAll {
    Remove-CrmSyncTestHome -Path $script:TestHome
}

Describe 'Get-CrmSyncStatus' {
    Context 'a fresh profile' {
        It 'uses the profile named default when -Profile is not given' {
            $status = Get-CrmSyncStatus
            $status.Profile | Should -Be 'default'
            $status.State | Should -Be 'NotStarted'
        }

        It 'reports State NotStarted and nothing synced yet' {
            $status = Get-CrmSyncStatus -Profile 'prod'
            $status.State | Should -Be ([CrmSync.Engine.Sync.SyncState]::NotStarted)
            $status.LastSuccess | Should -BeNullOrEmpty
            $status.LastError | Should -BeNullOrEmpty
            $status.Counts.Count | Should -Be 0
            $status.PushBacklog | Should -Be 0
            $status.DatabasePath | Should -Be (Join-Path $script:TestHome 'profiles' 'prod.db')
        }

        It 'takes -Profile from piped objects by property name' {
            $statuses = [pscustomobject]@{ Profile = 'prod' }, [pscustomobject]@{ Profile = 'default' } | Get-CrmSyncStatus
            $statuses.Profile | Should -Be @('prod', 'default')
        }

        It 'accepts its own output on the pipeline' {
            (Get-CrmSyncStatus -Profile 'prod' | Get-CrmSyncStatus).Profile | Should -Be 'prod'
        }

        It 'resolves a relative -DatabasePath against the current PowerShell location' {
            $folder = Join-Path $script:TestHome 'elsewhere'
            New-Item -ItemType Directory -Path $folder | Out-Null
            New-FreshCrmSyncProfile -Name 'moved' -DatabasePath (Join-Path $folder 'moved.db')
            Push-Location $folder
            try {
                $status = Get-CrmSyncStatus -Profile 'moved' -DatabasePath './moved.db'
            }
            finally {
                Pop-Location
            }
            $status.State | Should -Be 'NotStarted'
            $status.DatabasePath | Should -Be (Join-Path $folder 'moved.db')
        }

        It 'refuses a -DatabasePath that is not on the file system' {
            Push-Location Env:
            try {
                { Get-CrmSyncStatus -Profile 'prod' -DatabasePath 'prod.db' -ErrorAction Stop } |
                    Should -Throw -ErrorId 'InvalidArgument,CrmSync.PowerShell.Cmdlets.GetCrmSyncStatusCommand'
            }
            finally {
                Pop-Location
            }
        }

        It 'is shown as a table by default' {
            $text = Get-CrmSyncStatus -Profile 'prod' | Out-String
            $text | Should -Match 'Profile\s+Crm\s+State'
            $text | Should -Match 'prod\s+Salesforce\s+NotStarted'
        }

        It 'writes a verbose line and never prompts' {
            $verbose = Get-CrmSyncStatus -Profile 'prod' -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
            $verbose.Message | Should -Contain "Reading the sync status of profile 'prod'."
        }
    }

    Context 'an unknown profile' {
        BeforeAll {
            $script:Caught = $null
            try { Get-CrmSyncStatus -Profile 'nope' -ErrorAction Stop } catch { $script:Caught = $_ }
        }

        It 'is a terminating error with the catalogued ErrorId' {
            $script:Caught | Should -Not -BeNullOrEmpty
            $script:Caught.FullyQualifiedErrorId | Should -Be 'ProfileNotFound,CrmSync.PowerShell.Cmdlets.GetCrmSyncStatusCommand'
        }

        It 'has category ObjectNotFound and the profile as target' {
            $script:Caught.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $script:Caught.TargetObject | Should -Be 'nope'
        }

        It 'recommends running Connect-CrmSync' {
            $script:Caught.ErrorDetails.RecommendedAction | Should -BeLike 'Run Connect-CrmSync*'
        }

        It 'stops the pipeline even without -ErrorAction Stop' {
            $after = $false
            try { Get-CrmSyncStatus -Profile 'nope'; $after = $true } catch { }
            $after | Should -BeFalse
        }

        It 'creates no database' {
            Test-Path (Join-Path $script:TestHome 'profiles' 'nope.db') | Should -BeFalse
        }
    }

    Context 'an invalid profile name' {
        It 'fails with InvalidProfileName and category InvalidArgument' {
            $caught = $null
            try { Get-CrmSyncStatus -Profile '../outside' -ErrorAction Stop } catch { $caught = $_ }
            $caught.FullyQualifiedErrorId | Should -Be 'InvalidProfileName,CrmSync.PowerShell.Cmdlets.GetCrmSyncStatusCommand'
            $caught.CategoryInfo.Category | Should -Be 'InvalidArgument'
        }

        It 'refuses an empty name at parameter binding' {
            $caught = $null
            try { Get-CrmSyncStatus -Profile '' -ErrorAction Stop } catch { $caught = $_ }
            $caught.FullyQualifiedErrorId | Should -Be 'ParameterArgumentValidationError,CrmSync.PowerShell.Cmdlets.GetCrmSyncStatusCommand'
        }
    }

    Context 'the command surface' {
        It 'declares SyncStatus as its output type' {
            (Get-Command Get-CrmSyncStatus).OutputType.Type | Should -Be ([CrmSync.Engine.Sync.SyncStatus])
        }

        It 'does not support ShouldProcess (it only reads)' {
            (Get-Command Get-CrmSyncStatus).Parameters.ContainsKey('WhatIf') | Should -BeFalse
        }
    }
}

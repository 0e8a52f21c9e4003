#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

BeforeAll {
    . (Join-Path $PSScriptRoot 'CrmSyncTestSetup.ps1')
    $script:TestHome = New-CrmSyncTestHome
}

AfterAll {
    Remove-CrmSyncTestHome -Path $script:TestHome
}

Describe 'The staged CrmSync module' {
    It 'imports from out/CrmSync/<version> with the manifest version' {
        $module = Get-Module CrmSync
        $module | Should -Not -BeNullOrEmpty
        $module.Version | Should -Be ([version]$script:ModuleVersion)
        $module.ModuleBase | Should -Be $script:StagedModule
    }

    It 'exports exactly the cmdlets the manifest lists' {
        $exported = (Get-Command -Module CrmSync).Name | Sort-Object
        $listed = $script:ManifestData.CmdletsToExport | Sort-Object
        $exported | Should -Be $listed
    }

    It 'exports no functions, variables or aliases' {
        $module = Get-Module CrmSync
        $module.ExportedFunctions.Count | Should -Be 0
        $module.ExportedVariables.Count | Should -Be 0
        $module.ExportedAliases.Count | Should -Be 0
    }

    It 'exports only compiled cmdlets' {
        Get-Command -Module CrmSync | ForEach-Object { $_.CommandType | Should -Be 'Cmdlet' }
    }

    It 'has about_CrmSync help' {
        # about_ topics are found through PSModulePath; out/ holds CrmSync/<version>/ like any module folder
        $savedPath = $env:PSModulePath
        $env:PSModulePath = (Join-Path $script:RepoRoot 'out') + [System.IO.Path]::PathSeparator + $savedPath
        try { $help = Get-Help about_CrmSync -ErrorAction Stop } finally { $env:PSModulePath = $savedPath }
        ($help | Out-String) | Should -Match 'Get-CrmSyncStatus'
    }

    It 'does not load a second System.Management.Automation' {
        $loaded = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'System.Management.Automation' }
        @($loaded).Count | Should -Be 1
        Test-Path (Join-Path $script:StagedModule 'System.Management.Automation.dll') | Should -BeFalse
    }
}

Describe 'Get-CrmSyncStatus through the imported module' {
    It 'reports NotStarted for a fresh profile (this opens SQLite through the staged native library)' {
        New-FreshCrmSyncProfile -Name 'fresh'
        $status = Get-CrmSyncStatus -Profile 'fresh'
        $status.State | Should -Be 'NotStarted'
        $status.GetType().FullName | Should -Be 'CrmSync.Engine.Sync.SyncStatus'
    }

    It 'fails an unknown profile with the ProfileNotFound error id' {
        $caught = $null
        try { Get-CrmSyncStatus -Profile 'nope' -ErrorAction Stop } catch { $caught = $_ }
        $caught | Should -Not -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -Be 'ProfileNotFound,CrmSync.PowerShell.Cmdlets.GetCrmSyncStatusCommand'
    }
}

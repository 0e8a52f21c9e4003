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

Describe 'Export-CrmFieldMapping' {
    It 'exports the filtered mappings to a JSON file and writes nothing to the pipeline' {
        $file = Join-Path $script:TestHome 'lead.json'
        Export-CrmFieldMapping -Object Lead -Path $file | Should -BeNullOrEmpty
        $json = Get-Content $file -Raw | ConvertFrom-Json
        $json | Should -Not -BeNullOrEmpty
        Get-Content $file -Raw | Should -Match '"Email"'
        Get-Content $file -Raw | Should -Not -Match '"Contact"'
    }

    It 'resolves a relative -Path against the current PowerShell location' {
        Push-Location $script:TestHome
        try { Export-CrmFieldMapping './all.json' } finally { Pop-Location }
        Test-Path (Join-Path $script:TestHome 'all.json') | Should -BeTrue
    }

    It 'writes no file with -WhatIf' {
        $file = Join-Path $script:TestHome 'whatif.json'
        Export-CrmFieldMapping -Path $file -WhatIf
        Test-Path $file | Should -BeFalse
    }

    It 'overwrites an existing file, like Export-Csv' {
        $file = Join-Path $script:TestHome 'overwrite.json'
        Set-Content -Path $file -Value 'old'
        Export-CrmFieldMapping -Path $file
        Get-Content $file -Raw | Should -Match '"Email"'
    }

    It 'refuses an existing file with -NoClobber and leaves it as it was' {
        $file = Join-Path $script:TestHome 'kept.json'
        Set-Content -Path $file -Value 'old'
        $thrown = { Export-CrmFieldMapping -Path $file -NoClobber -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidArgument,CrmSync.PowerShell.Cmdlets.ExportCrmFieldMappingCommand' -PassThru
        $thrown.Exception.Message | Should -Match 'already exists; -NoClobber keeps it'
        (Get-Content $file -Raw).Trim() | Should -Be 'old'
    }

    It 'overwrites a read-only file only with -Force' {
        $file = Join-Path $script:TestHome 'readonly.json'
        Set-Content -Path $file -Value 'old'
        Set-ItemProperty -Path $file -Name IsReadOnly -Value $true
        try {
            { Export-CrmFieldMapping -Path $file -ErrorAction Stop } | Should -Throw '*read-only*'
            (Get-Content $file -Raw).Trim() | Should -Be 'old'
            Export-CrmFieldMapping -Path $file -Force
            Get-Content $file -Raw | Should -Match '"Email"'
        }
        finally { Set-ItemProperty -Path $file -Name IsReadOnly -Value $false }
    }

    It 'round-trips: a changed mapping is put back by importing the export' {
        $file = Join-Path $script:TestHome 'roundtrip.json'
        (Get-CrmFieldMapping -Object Lead -Field Email).Rule | Should -Be 'TwoWay'
        Export-CrmFieldMapping -Path $file
        $before = Get-Content $file -Raw
        Set-CrmFieldMapping -Object Lead -Field Email -Rule AlwaysCrm | Out-Null
        Set-CrmFieldMapping -Path $file -Confirm:$false | Out-Null
        (Get-CrmFieldMapping -Object Lead -Field Email).Rule | Should -Be 'TwoWay'
        $again = Join-Path $script:TestHome 'roundtrip-again.json'
        Export-CrmFieldMapping -Path $again
        Get-Content $again -Raw | Should -Be $before
    }

    It 'writes ObjectNotSynced for a literal object without mappings' {
        $file = Join-Path $script:TestHome 'none.json'
        Export-CrmFieldMapping -Object 'NoSuchObject' -Path $file -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -Be 'ObjectNotSynced,CrmSync.PowerShell.Cmdlets.ExportCrmFieldMappingCommand'
    }
}

#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

BeforeAll {
    . (Join-Path $PSScriptRoot 'CrmSyncTestSetup.ps1')
    . (Join-Path $PSScriptRoot 'CrmSyncRunSetup.ps1')
    $script:TestHome = New-CrmSyncTestHome
    $script:Emulator = Start-CrmSyncTestEmulator
    Connect-CrmSyncTestProfile -Emulator $script:Emulator -Name 'prod'
    foreach ($n in 1..2) {
        Invoke-CrmSyncTestAdmin -Emulator $script:Emulator -Method Post -Path 'records/Lead' `
            -Body @{ FirstName = 'Dana'; LastName = 'Twin'; Company = 'Twin Corp'; Email = 'Dana.Twin@Example.com' } | Out-Null
    }
    Start-CrmSync -Profile 'prod' -Confirm:$false | Out-Null
}

AfterAll {
    Stop-CrmSyncTestEmulator -Emulator $script:Emulator
    Remove-CrmSyncTestHome -Path $script:TestHome
}

Describe 'Find-CrmDuplicate' {
    It 'groups persons with the same e-mail address' {
        $group = Find-CrmDuplicate -Profile 'prod' -Rule Email | Where-Object Key -eq 'dana.twin@example.com'
        $group.Count | Should -Be 2
        $group.Rule | Should -Be 'Email'
        $group.Profile | Should -Be 'prod'
        $group.Members.CrmType | Should -Be @('Lead', 'Lead')
    }

    It 'groups persons with the same name and company' {
        Find-CrmDuplicate -Profile 'prod' -Rule NameAndCompany | Where-Object { $_.Members.LastName -contains 'Twin' } | Should -Not -BeNullOrEmpty
    }

    It 'never merges or writes anything' {
        $before = Invoke-CrmSyncTestSql -Name 'prod' -Sql "SELECT count(*) FROM person WHERE LastName = 'Twin' AND _merged_into IS NULL"
        Find-CrmDuplicate -Profile 'prod' | Out-Null
        Invoke-CrmSyncTestSql -Name 'prod' -Sql "SELECT count(*) FROM person WHERE LastName = 'Twin' AND _merged_into IS NULL" | Should -Be $before
        $before | Should -Be 2
    }

    It 'accepts only person, Lead or Contact for -Object' {
        { Find-CrmDuplicate -Profile 'prod' -Object Account } | Should -Throw
        Find-CrmDuplicate -Profile 'prod' -Object Contact -Rule Email | Where-Object Key -eq 'dana.twin@example.com' | Should -BeNullOrEmpty
    }

    It 'is shown as a table' {
        Find-CrmDuplicate -Profile 'prod' -Rule Email | Out-String | Should -Match 'Rule\s+Key\s+Count\s+Members'
    }
}

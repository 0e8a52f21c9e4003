#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

BeforeAll {
    . (Join-Path $PSScriptRoot 'CrmSyncTestSetup.ps1')
    . (Join-Path $PSScriptRoot 'CrmSyncRunSetup.ps1')
    $script:TestHome = New-CrmSyncTestHome
    $script:Emulator = Start-CrmSyncTestEmulator
    $token = ConvertTo-SecureString 'emulatortoken' -AsPlainText -Force
    $password = ConvertTo-SecureString 'password' -AsPlainText -Force
    Connect-CrmSync -Credential ([pscredential]::new('sync@crmsync.emulator', $password)) -SecurityToken $token -LoginUrl $script:Emulator.BaseUrl | Out-Null
    Connect-CrmSync -Profile 'restricted' -Credential ([pscredential]::new('restricted@crmsync.emulator', $password)) -SecurityToken $token -LoginUrl $script:Emulator.BaseUrl | Out-Null

    function Get-PersonColumn([string] $Profile = 'default') {
        $db = Join-Path $env:CRMSYNC_HOME 'profiles' "$Profile.db"
        $connection = [Microsoft.Data.Sqlite.SqliteConnection]::new("Data Source=$db;Mode=ReadOnly;Pooling=False")
        try {
            $connection.Open()
            $command = $connection.CreateCommand()
            $command.CommandText = "SELECT name FROM pragma_table_info('person')"
            $reader = $command.ExecuteReader()
            while ($reader.Read()) { $reader.GetString(0) }
        }
        finally { $connection.Dispose() }
    }
}

AfterAll {
    Stop-CrmSyncTestEmulator -Emulator $script:Emulator
    Remove-CrmSyncTestHome -Path $script:TestHome
}

Describe 'Sync-CrmField' {
    It 'prints the plan with -WhatIf, lists every field to create in the What if text, and changes nothing' {
        $plan = Sync-CrmField -ExcludeField 'Lead.*Phone*', '*.Fax' -WhatIf
        $plan | Should -Not -BeNullOrEmpty
        $plan[0] | Should -BeOfType ([CrmSync.Engine.Schema.FieldPlanEntry])
        ($plan | Where-Object { $_.ObjectName -eq 'Lead' -and $_.FieldName -eq 'Phone' }).Action | Should -Be 'Excluded'
        ($plan | Where-Object { $_.ObjectName -eq 'Lead' -and $_.FieldName -eq 'Email' }).Action | Should -Be 'Create'
        @(Get-PersonColumn) | Should -BeNullOrEmpty

        # the "What if:" text goes to the host, not to a stream: run the same command in a child pwsh to read it
        $whatIf = Invoke-CrmSyncChildPwsh -Command "Import-Module '$script:StagedManifest'; `$env:CRMSYNC_HOME='$env:CRMSYNC_HOME'; Sync-CrmField -ExcludeField 'Lead.*Phone*', '*.Fax' -WhatIf | Out-Null"
        $created = @($plan | Where-Object Action -eq 'Create')
        $whatIf | Should -Match "What if: Performing the operation"
        $whatIf | Should -Match "Fields to create \($($created.Count)\)"
        foreach ($field in $created) { $whatIf | Should -Match ([regex]::Escape("  $($field.ObjectName).$($field.FieldName) ")) }
        $whatIf | Should -Not -Match ([regex]::Escape('  Lead.Phone '))
    }

    It 'shows that the restricted user sees fewer Lead fields' {
        $sync = @(Sync-CrmField -WhatIf | Where-Object { $_.ObjectName -eq 'Lead' -and $_.Action -eq 'Create' })
        $restricted = @(Sync-CrmField -Profile 'restricted' -WhatIf | Where-Object { $_.ObjectName -eq 'Lead' -and $_.Action -eq 'Create' })
        $restricted.Count | Should -BeLessThan $sync.Count
        $restricted.FieldName | ForEach-Object { $sync.FieldName | Should -Contain $_ }
    }

    It 'creates real SQLite columns when confirmed, and a second run adds nothing' {
        $plan = Sync-CrmField -ExcludeField 'Lead.*Phone*' -Confirm:$false
        $columns = @(Get-PersonColumn)
        $columns | Should -Contain 'Email'
        $columns | Should -Contain '_crm_id'
        ($plan | Where-Object { $_.ObjectName -eq 'Lead' -and $_.Action -eq 'Create' }).FieldName | ForEach-Object { $columns | Should -Contain $_ }

        $again = Sync-CrmField -Confirm:$false
        @($again | Where-Object Action -eq 'Create') | Should -BeNullOrEmpty
        @(Get-PersonColumn) | Should -Be $columns
    }

    It 'creates only the fields selected with -Field (plus the ones the sync needs), remembers the selection and warns about a pattern that matches nothing' {
        $token = ConvertTo-SecureString 'emulatortoken' -AsPlainText -Force
        $password = ConvertTo-SecureString 'password' -AsPlainText -Force
        Connect-CrmSync -Profile 'selected' -Credential ([pscredential]::new('sync@crmsync.emulator', $password)) -SecurityToken $token -LoginUrl $script:Emulator.BaseUrl | Out-Null

        $plan = Sync-CrmField -Profile 'selected' -Field 'Lead.Email', '*.Phone', 'Lead.NoSuch*' -ExcludeField 'Contact.Phone' -Confirm:$false -WarningVariable warnings 3>$null
        ($warnings -join "`n") | Should -Match ([regex]::Escape("-Field pattern 'Lead.NoSuch*' matches no field"))
        $columns = @(Get-PersonColumn -Profile 'selected')
        $columns | Should -Contain 'Email'
        $columns | Should -Contain 'Phone'
        $columns | Should -Contain 'CrmSync_Key__c'
        $columns | Should -Contain 'SystemModstamp'
        $columns | Should -Not -Contain 'Website'
        ($plan | Where-Object { $_.ObjectName -eq 'Contact' -and $_.FieldName -eq 'Phone' }).Action | Should -Be 'Excluded'

        # a plain run keeps to the remembered selection and shows it in the plan
        $again = Sync-CrmField -Profile 'selected' -WhatIf
        @($again | Where-Object Action -eq 'Create') | Should -BeNullOrEmpty
        $website = $again | Where-Object { $_.ObjectName -eq 'Lead' -and $_.FieldName -eq 'Website' }
        $website.Action | Should -Be 'Excluded'
        $website.Note | Should -Match ([regex]::Escape("-Field selection ('Lead.Email', '*.Phone', 'Lead.NoSuch*')"))
    }

    It 'narrows the remembered selection with -ResetFieldSelection, keeps the created fields syncing, and clears it without -Field' {
        # the profile 'selected' of the test above: Lead.Email, *.Phone and Lead.NoSuch* are remembered, Email and Phone created
        $preview = Sync-CrmField -Profile 'selected' -Field 'Lead.Email' -ResetFieldSelection -WhatIf -WarningVariable previewWarnings 3>$null
        ($previewWarnings -join "`n") | Should -Match 'outside the new -Field selection'
        ($previewWarnings -join "`n") | Should -Match ([regex]::Escape('Lead.Phone'))
        ($preview | Where-Object { $_.ObjectName -eq 'Lead' -and $_.FieldName -eq 'Phone' }).Action | Should -Be 'Exists'
        $unchanged = Sync-CrmField -Profile 'selected' -WhatIf
        ($unchanged | Where-Object { $_.ObjectName -eq 'Lead' -and $_.FieldName -eq 'Website' }).Note |
            Should -Match ([regex]::Escape("('Lead.Email', '*.Phone', 'Lead.NoSuch*')")) # -WhatIf remembered nothing

        Sync-CrmField -Profile 'selected' -Field 'Lead.Email' -ResetFieldSelection -Confirm:$false -WarningAction SilentlyContinue | Out-Null
        $narrowed = Sync-CrmField -Profile 'selected' -WhatIf
        $phone = $narrowed | Where-Object { $_.ObjectName -eq 'Lead' -and $_.FieldName -eq 'Phone' }
        $phone.Action | Should -Be 'Exists'
        $phone.Note | Should -Match 'created before: created fields are permanent and keep syncing'
        ($narrowed | Where-Object { $_.ObjectName -eq 'Lead' -and $_.FieldName -eq 'Website' }).Note | Should -Match ([regex]::Escape("-Field selection ('Lead.Email')"))
        @(Get-PersonColumn -Profile 'selected') | Should -Contain 'Phone'

        $cleared = Sync-CrmField -Profile 'selected' -ResetFieldSelection -WhatIf
        ($cleared | Where-Object { $_.ObjectName -eq 'Lead' -and $_.FieldName -eq 'Website' }).Action | Should -Be 'Create'
        Sync-CrmField -Profile 'selected' -ResetFieldSelection -Confirm:$false | Out-Null
        @(Get-PersonColumn -Profile 'selected') | Should -Contain 'Website'
        # only the remembered -ExcludeField pattern still keeps a field out
        @(Sync-CrmField -Profile 'selected' -WhatIf | Where-Object Action -eq 'Excluded' | ForEach-Object { "$($_.ObjectName).$($_.FieldName)" }) |
            Should -Be @('Contact.Phone')
    }

    It 'is ConfirmImpact High' {
        (Get-Command Sync-CrmField).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false).ConfirmImpact |
            Should -Be 'High'
    }

    It 'fails with ProfileNotFound for an unknown profile' {
        { Sync-CrmField -Profile 'nope' -WhatIf -ErrorAction Stop } | Should -Throw -ErrorId 'ProfileNotFound,CrmSync.PowerShell.Cmdlets.SyncCrmFieldCommand'
    }
}

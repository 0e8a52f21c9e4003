#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

BeforeAll {
    . (Join-Path $PSScriptRoot 'CrmSyncTestSetup.ps1')
    . (Join-Path $PSScriptRoot 'CrmSyncRunSetup.ps1')
    $script:TestHome = New-CrmSyncTestHome
    $script:Emulator = Start-CrmSyncTestEmulator
    $script:Credential = [pscredential]::new('sync@crmsync.emulator', (ConvertTo-SecureString 'password' -AsPlainText -Force))
    $script:Token = ConvertTo-SecureString 'emulatortoken' -AsPlainText -Force
}

AfterAll {
    Stop-CrmSyncTestEmulator -Emulator $script:Emulator
    Remove-CrmSyncTestHome -Path $script:TestHome
}

Describe 'Connect-CrmSync' {
    It 'fails with InvalidCredentials and a message about the security token, and saves nothing, when the token is wrong' {
        $wrong = ConvertTo-SecureString 'not-the-token' -AsPlainText -Force
        $err = $null
        try {
            Connect-CrmSync -Profile 'wrong' -Crm Salesforce -Credential $script:Credential -SecurityToken $wrong -LoginUrl $script:Emulator.BaseUrl -ErrorAction Stop
        }
        catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -Be 'InvalidCredentials,CrmSync.PowerShell.Cmdlets.ConnectCrmSyncCommand'
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
        "$($err.ErrorDetails.Message) $($err.ErrorDetails.RecommendedAction)" | Should -Match 'security token'
        Test-Path (Join-Path $script:TestHome 'profiles' 'wrong.db') | Should -BeFalse
        Test-Path (Join-Path $script:TestHome 'secrets' 'wrong.json') | Should -BeFalse
    }

    It 'logs in with the right token, saves the profile and returns a connection without secrets' {
        $connection = Connect-CrmSync -Crm Salesforce -Credential $script:Credential -SecurityToken $script:Token -LoginUrl $script:Emulator.BaseUrl
        $connection | Should -BeOfType ([CrmSync.Engine.Connections.CrmConnectionInfo])
        $connection.Profile | Should -Be 'default'
        $connection.UserName | Should -Be 'sync@crmsync.emulator'
        $connection.Scope | Should -Be 'CurrentUser'
        Test-Path $connection.SecretsStoredAt | Should -BeTrue
        ($connection | ConvertTo-Json) | Should -Not -Match 'emulatortoken|"password"'
    }

    It 'writes Verbose lines from the login and never the secret' {
        $verbose = Connect-CrmSync -Profile 'verbose' -Credential $script:Credential -SecurityToken $script:Token -LoginUrl $script:Emulator.BaseUrl -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        # the first Verbose line is ShouldProcess's own ("Performing the operation ..."); the login's lines follow it
        ($verbose.Message -join "`n") | Should -Match 'Logging in to Salesforce at .* as sync@crmsync\.emulator'
        ($verbose.Message -join "`n") | Should -Match 'Signed in as sync@crmsync\.emulator'
        ($verbose.Message -join "`n") | Should -Not -Match 'emulatortoken'
    }

    It 'changes nothing with -WhatIf' {
        Connect-CrmSync -Profile 'whatif' -Credential $script:Credential -SecurityToken $script:Token -LoginUrl $script:Emulator.BaseUrl -WhatIf
        Test-Path (Join-Path $script:TestHome 'profiles' 'whatif.db') | Should -BeFalse
    }

    It 'keeps nothing secret on disk with -Scope Process' {
        $connection = Connect-CrmSync -Profile 'session' -Scope Process -Credential $script:Credential -SecurityToken $script:Token -LoginUrl $script:Emulator.BaseUrl
        $connection.SecretsStoredAt | Should -BeNullOrEmpty
        Test-Path (Join-Path $script:TestHome 'secrets' 'session.json') | Should -BeFalse
    }

    It 'selects the client-credentials set with -ClientCredentials and logs in without a user' {
        $secret = ConvertTo-SecureString 'crmsync-emulator-consumer-secret' -AsPlainText -Force
        $connection = Connect-CrmSync -Profile 'app' -ClientCredentials -ClientId 'crmsync-emulator-consumer-key' -ClientSecret $secret -LoginUrl $script:Emulator.BaseUrl -Confirm:$false
        $connection.Profile | Should -Be 'app'
        $connection.AuthMethod | Should -Be 'ClientCredentials'
    }

    It 'resolves -ClientId/-ClientSecret/-LoginUrl without -ClientCredentials to the sync-user set, which needs -Credential' {
        # PowerShell picks the default set when a call fits several; in a non-interactive session the missing -Credential is an error
        $output = Invoke-CrmSyncChildPwsh -Command "Import-Module '$script:StagedManifest'; Connect-CrmSync -Profile 'noflow' -ClientId 'x' -ClientSecret (ConvertTo-SecureString 'y' -AsPlainText -Force) -LoginUrl '$($script:Emulator.BaseUrl)' -WhatIf"
        $output | Should -Match 'missing mandatory parameters: Credential'
    }

    It 'refuses plain http to a host that is not loopback with InsecureTransport' {
        { Connect-CrmSync -Profile 'insecure' -Credential $script:Credential -SecurityToken $script:Token -LoginUrl 'http://example.com' -ErrorAction Stop } |
            Should -Throw -ErrorId 'InsecureTransport,CrmSync.PowerShell.Cmdlets.ConnectCrmSyncCommand'
    }

    It 'accepts -Url, -TenantId and -SyncFilterField only with -Crm Dynamics, and -Crm Dynamics only with -Url' {
        { Connect-CrmSync -Crm Dynamics -Credential $script:Credential -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidArgument,CrmSync.PowerShell.Cmdlets.ConnectCrmSyncCommand'
        { Connect-CrmSync -Profile 'dyn' -Url 'https://org.crm.dynamics.com' -Credential $script:Credential -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidArgument,CrmSync.PowerShell.Cmdlets.ConnectCrmSyncCommand'
        Test-Path (Join-Path $script:TestHome 'profiles' 'dyn.db') | Should -BeFalse
    }

    It 'has no plain-string secret parameter' {
        $command = Get-Command Connect-CrmSync
        $command.Parameters['Credential'].ParameterType | Should -Be ([pscredential])
        $command.Parameters['SecurityToken'].ParameterType | Should -Be ([securestring])
        $command.Parameters['ClientSecret'].ParameterType | Should -Be ([securestring])
        $command.Parameters.Keys | Should -Not -Contain 'Password'
    }
}

Describe 'Connect-CrmSync -Crm Dynamics' {
    BeforeAll {
        $script:Dataverse = Start-CrmSyncTestEmulator -Crm dynamics
        $script:DvCredential = [pscredential]::new('sync@crmsync.onmicrosoft.test', (ConvertTo-SecureString 'CrmSync-Emulator-1' -AsPlainText -Force))
        $script:DvSecret = ConvertTo-SecureString 'crmsync-emulator-client-secret' -AsPlainText -Force
        $script:DvTenant = '6d1f1c2e-5a3b-4c8d-9e0f-1a2b3c4d5e6f'
        $script:DvClientId = '5e3c9a77-2f4b-4b61-9c3d-7a8b9c0d1e2f'
    }

    AfterAll {
        Stop-CrmSyncTestEmulator -Emulator $script:Dataverse
    }

    It 'has a DynamicsUser set (-Credential) and a DynamicsClientCredentials set (-ClientCredentials -TenantId -ClientId -ClientSecret)' {
        $sets = (Get-Command Connect-CrmSync).ParameterSets | Group-Object Name -AsHashTable
        $sets['DynamicsUser'].Parameters.Where({ $_.IsMandatory }).Name | Sort-Object | Should -Be @('Credential', 'Url')
        $sets['DynamicsClientCredentials'].Parameters.Where({ $_.IsMandatory }).Name | Sort-Object | Should -Be @('ClientCredentials', 'ClientId', 'ClientSecret', 'TenantId', 'Url')
        $sets['DynamicsUser'].Parameters.Name | Should -Contain 'SyncFilterField'
        $sets['DynamicsUser'].Parameters.Name | Should -Not -Contain 'SecurityToken'
    }

    It 'connects the sync user with the password grant, keeps its id and saves the password encrypted' {
        $connection = Connect-CrmSync -Profile 'd365' -Crm Dynamics -Url $script:Dataverse.BaseUrl -LoginUrl $script:Dataverse.BaseUrl -Credential $script:DvCredential -SyncFilterField 'new_synctomkto' -Confirm:$false
        $info = Invoke-RestMethod "$($script:Dataverse.Admin)/dynamics/info"
        $connection.Crm | Should -Be 'Dynamics'
        $connection.UserId | Should -Be $info.syncUser.id
        $connection.OrganizationId | Should -Be $info.organizationId
        $connection.ApiVersion | Should -Be '9.2'
        Test-Path $connection.SecretsStoredAt | Should -BeTrue
        (Get-Content -Raw $connection.SecretsStoredAt) | Should -Not -Match 'CrmSync-Emulator-1'
        (Get-CrmSyncStatus -Profile 'd365').Crm | Should -Be 'Dynamics'
    }

    It 'connects the Application User with -ClientCredentials' {
        $connection = Connect-CrmSync -Profile 'd365app' -Crm Dynamics -Url $script:Dataverse.BaseUrl -LoginUrl $script:Dataverse.BaseUrl -ClientCredentials -TenantId $script:DvTenant -ClientId $script:DvClientId -ClientSecret $script:DvSecret -Confirm:$false
        $connection.AuthMethod | Should -Be 'ClientCredentials'
        $connection.UserId | Should -Be (Invoke-RestMethod "$($script:Dataverse.Admin)/dynamics/info").applicationUser.id
    }

    It 'gives a wrong password, a wrong client secret and an MFA-required answer their own ErrorId and saves nothing' {
        $wrong = [pscredential]::new('sync@crmsync.onmicrosoft.test', (ConvertTo-SecureString 'wrong' -AsPlainText -Force))
        { Connect-CrmSync -Profile 'bad1' -Crm Dynamics -Url $script:Dataverse.BaseUrl -LoginUrl $script:Dataverse.BaseUrl -Credential $wrong -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidCredentials,CrmSync.PowerShell.Cmdlets.ConnectCrmSyncCommand'
        $badSecret = ConvertTo-SecureString 'wrong' -AsPlainText -Force
        { Connect-CrmSync -Profile 'bad2' -Crm Dynamics -Url $script:Dataverse.BaseUrl -LoginUrl $script:Dataverse.BaseUrl -ClientCredentials -TenantId $script:DvTenant -ClientId $script:DvClientId -ClientSecret $badSecret -ErrorAction Stop } |
            Should -Throw -ErrorId 'CrmClientRejected,CrmSync.PowerShell.Cmdlets.ConnectCrmSyncCommand'
        Invoke-CrmSyncTestAdmin -Emulator $script:Dataverse -Method Put -Path 'dynamics/settings' -Body @{ mfaRequired = $true } | Out-Null
        try {
            { Connect-CrmSync -Profile 'bad3' -Crm Dynamics -Url $script:Dataverse.BaseUrl -LoginUrl $script:Dataverse.BaseUrl -Credential $script:DvCredential -ErrorAction Stop } |
                Should -Throw -ErrorId 'CrmMfaRequired,CrmSync.PowerShell.Cmdlets.ConnectCrmSyncCommand'
        }
        finally {
            Invoke-CrmSyncTestAdmin -Emulator $script:Dataverse -Method Put -Path 'dynamics/settings' -Body @{ mfaRequired = $false } | Out-Null
        }
        foreach ($name in 'bad1', 'bad2', 'bad3') { Test-Path (Join-Path $script:TestHome 'profiles' "$name.db") | Should -BeFalse }
    }

    It 'refuses a sync user without Read on a synced entity with CrmPermissionDenied naming the entity' {
        Invoke-CrmSyncTestAdmin -Emulator $script:Dataverse -Method Put -Path 'dynamics/settings' -Body @{ readDenied = @('account') } | Out-Null
        try {
            $err = $null
            try { Connect-CrmSync -Profile 'noread' -Crm Dynamics -Url $script:Dataverse.BaseUrl -LoginUrl $script:Dataverse.BaseUrl -Credential $script:DvCredential -ErrorAction Stop }
            catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'CrmPermissionDenied,CrmSync.PowerShell.Cmdlets.ConnectCrmSyncCommand'
            $err.Exception.Message | Should -Match 'cannot read account'
            "$($err.ErrorDetails.RecommendedAction)" | Should -Match 'Connect-CrmSync'
        }
        finally {
            Invoke-CrmSyncTestAdmin -Emulator $script:Dataverse -Method Put -Path 'dynamics/settings' -Body @{ readDenied = @() } | Out-Null
        }
        Test-Path (Join-Path $script:TestHome 'profiles' 'noread.db') | Should -BeFalse
    }

    It 'syncs the fields of a Dynamics profile and runs a cycle' {
        Sync-CrmField -Profile 'd365' -Confirm:$false -ErrorAction Stop | Out-Null
        $run = Start-CrmSync -Profile 'd365' -Confirm:$false -ErrorAction Stop
        "$($run.State)" | Should -Be 'Succeeded'
    }

    It 'disconnects a Dynamics profile and keeps its database' {
        Disconnect-CrmSync -Profile 'd365app' -Confirm:$false | Out-Null
        Test-Path (Join-Path $script:TestHome 'profiles' 'd365app.db') | Should -BeTrue
        Test-Path (Join-Path $script:TestHome 'secrets' 'd365app.json') | Should -BeFalse
    }
}

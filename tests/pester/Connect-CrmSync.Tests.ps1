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

    It 'accepts -Crm Dynamics only with -Url, and the engine refuses Dynamics clearly' {
        { Connect-CrmSync -Crm Dynamics -Credential $script:Credential -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidArgument,CrmSync.PowerShell.Cmdlets.ConnectCrmSyncCommand'
        { Connect-CrmSync -Profile 'dyn' -Crm Dynamics -Url 'https://org.crm.dynamics.com' -Credential $script:Credential -ErrorAction Stop } | Should -Throw -ExpectedMessage '*only Salesforce*'
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

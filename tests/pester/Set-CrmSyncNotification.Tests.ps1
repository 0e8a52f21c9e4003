#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

BeforeAll {
    . (Join-Path $PSScriptRoot 'CrmSyncTestSetup.ps1')
    . (Join-Path $PSScriptRoot 'CrmSyncSmtpSetup.ps1')
    $script:TestHome = New-CrmSyncTestHome
    New-FreshCrmSyncProfile -Name 'default'
    New-FreshCrmSyncProfile -Name 'other'
    $script:Smtp = Start-CrmSyncTestSmtp
}

AfterAll {
    if ($script:Smtp) { $script:Smtp.Dispose() }
    Remove-CrmSyncTestHome -Path $script:TestHome
}

Describe 'Set-CrmSyncNotification' {
    It 'changes nothing with -WhatIf and sends no test message' {
        Set-CrmSyncNotification -Recipient admin@example.com -SmtpServer 127.0.0.1 -Port $script:Smtp.Port -TlsMode None -Test -WhatIf |
            Should -BeNullOrEmpty
        (Get-CrmSyncNotification).Configured | Should -BeFalse
        $script:Smtp.Messages.Count | Should -Be 0
    }

    It 'saves the settings, keeps the password of -Credential encrypted and never shows it' {
        $password = ConvertTo-SecureString 'Smtp-Pester-Pass1' -AsPlainText -Force
        $credential = [pscredential]::new('mailer', $password)
        $info = Set-CrmSyncNotification -Recipient admin@example.com, ops@example.com -SmtpServer smtp.example.com -Credential $credential `
            -Sender crmsync@example.com -Event SyncTrouble, FailureDigest -TroubleThreshold 4 -Confirm:$false
        $info | Should -BeOfType ([CrmSync.Engine.Notifications.NotificationInfo])
        $info.Recipients | Should -Be @('admin@example.com', 'ops@example.com')
        $info.Port | Should -Be 587
        $info.TlsMode | Should -Be 'StartTls'
        $info.HasCredential | Should -BeTrue
        $info.SmtpUserName | Should -Be 'mailer'
        $info.Events | Should -Be ([CrmSync.Engine.Notifications.NotificationEvent]'SyncTrouble, FailureDigest')
        $info.TroubleThreshold | Should -Be 4
        ($info | Format-List * | Out-String) | Should -Not -Match 'Smtp-Pester-Pass1'
        Get-ChildItem -Path $script:TestHome -Recurse -File | ForEach-Object {
            [System.IO.File]::ReadAllText($_.FullName) | Should -Not -Match 'Smtp-Pester-Pass1'
        }
    }

    It 'changes only the parameters given' {
        $info = Set-CrmSyncNotification -Port 2587 -Confirm:$false
        $info.Port | Should -Be 2587
        $info.SmtpServer | Should -Be 'smtp.example.com'
        $info.Recipients.Count | Should -Be 2
        (Set-CrmSyncNotification -RemoveCredential -Confirm:$false).HasCredential | Should -BeFalse
    }

    It 'refuses plain SMTP to a server that is not loopback with InsecureTransport' {
        { Set-CrmSyncNotification -SmtpServer smtp.example.com -TlsMode None -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'InsecureTransport,CrmSync.PowerShell.Cmdlets.SetCrmSyncNotificationCommand'
        (Get-CrmSyncNotification).TlsMode | Should -Be 'StartTls'
    }

    It 'refuses a recipient that is not an e-mail address' {
        { Set-CrmSyncNotification -Recipient 'not an address' -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidArgument,CrmSync.PowerShell.Cmdlets.SetCrmSyncNotificationCommand'
    }

    It 'sends a test message with -Test and shows the server''s answer' {
        $info = Set-CrmSyncNotification -Profile other -Recipient admin@example.com -SmtpServer 127.0.0.1 -Port $script:Smtp.Port -TlsMode None -Test -Confirm:$false
        $info.TestResponse | Should -Match 'queued as PESTER'
        $script:Smtp.Messages.Count | Should -Be 1
        $message = @($script:Smtp.Messages)[0]
        $message | Should -Match 'Subject: \[CrmSync other\] Test message'
        $message | Should -Match 'To: admin@example.com'
        $message | Should -Match 'text/html'
    }

    It 'reports a refused recipient of -Test as a non-terminating NotificationSendFailed error and keeps the settings' {
        $script:Smtp.Refused.Add('nobody@example.com') | Out-Null
        $info = Set-CrmSyncNotification -Profile other -Recipient nobody@example.com -Test -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -Be 'NotificationSendFailed,CrmSync.PowerShell.Cmdlets.SetCrmSyncNotificationCommand'
        $failures[0].Exception.Message | Should -Match 'refused the recipient nobody@example.com'
        $info.TestResponse | Should -BeNullOrEmpty
        (Get-CrmSyncNotification -Profile other).Recipients | Should -Be @('nobody@example.com')
    }

    It 'reports a server that is down without hanging' {
        $port = Get-CrmSyncFreePort
        $elapsed = Measure-Command {
            Set-CrmSyncNotification -Profile other -Recipient admin@example.com -Port $port -Timeout 00:00:03 -Test -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue | Out-Null
        }
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'NotificationSendFailed,*'
        $elapsed.TotalSeconds | Should -BeLessThan 15
    }

    It 'is shown as a table by default' {
        $table = Get-CrmSyncNotification -Profile other | Out-String
        $table | Should -Match 'Recipients'
        $table | Should -Match 'TlsMode'
    }
}

#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

BeforeAll {
    . (Join-Path $PSScriptRoot 'CrmSyncTestSetup.ps1')
    $script:TestHome = New-CrmSyncTestHome
    New-FreshCrmSyncProfile -Name 'default'
    New-FreshCrmSyncProfile -Name 'mailed'
    Set-CrmSyncNotification -Profile mailed -Recipient admin@example.com -SmtpServer 127.0.0.1 -Port 2525 -TlsMode None -Confirm:$false | Out-Null
}

AfterAll {
    Remove-CrmSyncTestHome -Path $script:TestHome
}

Describe 'Get-CrmSyncNotification' {
    It 'says when a profile has no notifications, with the defaults it would use' {
        $info = Get-CrmSyncNotification
        $info | Should -BeOfType ([CrmSync.Engine.Notifications.NotificationInfo])
        $info.Configured | Should -BeFalse
        $info.Recipients.Count | Should -Be 0
        $info.Port | Should -Be 587
        $info.Events | Should -Be 'All'
        $info.TroubleThreshold | Should -Be 3
    }

    It 'shows the settings and the sending state of a profile' {
        $info = Get-CrmSyncNotification -Profile mailed
        $info.Configured | Should -BeTrue
        $info.Recipients | Should -Be @('admin@example.com')
        $info.SmtpServer | Should -Be '127.0.0.1'
        $info.Port | Should -Be 2525
        $info.TlsMode | Should -Be 'None'
        $info.HasCredential | Should -BeFalse
        $info.Pending | Should -Be 0
        $info.LastError | Should -BeNullOrEmpty
    }

    It 'takes the profile from the pipeline by property name' {
        (Get-CrmSyncStatus -Profile mailed | Get-CrmSyncNotification).Profile | Should -Be 'mailed'
    }

    It 'shows the notification state in Get-CrmSyncStatus too' {
        (Get-CrmSyncStatus -Profile mailed).Notification.Recipients | Should -Be @('admin@example.com')
        (Get-CrmSyncStatus).Notification | Should -BeNullOrEmpty
    }

    It 'fails with ProfileNotFound for an unknown profile' {
        { Get-CrmSyncNotification -Profile nosuch -ErrorAction Stop } |
            Should -Throw -ErrorId 'ProfileNotFound,CrmSync.PowerShell.Cmdlets.GetCrmSyncNotificationCommand'
    }

    It 'is read-only: it declares no ShouldProcess' {
        (Get-Command Get-CrmSyncNotification).Parameters.ContainsKey('WhatIf') | Should -BeFalse
    }
}

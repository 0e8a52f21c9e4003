@{
    RootModule           = 'CrmSync.PowerShell.dll'
    ModuleVersion        = '0.1.0'
    CompatiblePSEditions = @('Core')
    GUID                 = '5b7c2f0e-8f1d-4c8e-9d1a-2f6c3b8e4a71'
    Author               = 'CrmSync'
    CompanyName          = 'CrmSync'
    Copyright            = '(c) CrmSync contributors. All rights reserved.'
    Description          = 'Keeps a local SQLite marketing database in continuous two-way sync with Salesforce and Microsoft Dynamics 365, the way Marketo Engage''s CRM sync does.'
    PowerShellVersion    = '7.4'
    FormatsToProcess     = @('CrmSync.format.ps1xml')
    CmdletsToExport      = @(
        'Connect-CrmSync',
        'Disconnect-CrmSync',
        'Export-CrmFieldMapping',
        'Find-CrmDuplicate',
        'Get-CrmField',
        'Get-CrmFieldMapping',
        'Get-CrmSyncConflict',
        'Get-CrmSyncError',
        'Get-CrmSyncNotification',
        'Get-CrmSyncStatus',
        'Set-CrmFieldMapping',
        'Set-CrmSyncNotification',
        'Start-CrmSync',
        'Stop-CrmSync',
        'Sync-CrmField',
        'Test-CrmSyncConnection'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('CRM', 'Salesforce', 'Dynamics365', 'Sync', 'Marketing', 'SQLite')
            ReleaseNotes = 'See README.md.'
        }
    }
}

#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

# Get-Help as a user sees it, for every exported cmdlet: the build generates en-US/CrmSync.PowerShell.dll-Help.xml from the
# cmdlets' documentation comments. Without that file, Get-Help shows only the name and the syntax, which these tests reject.

BeforeDiscovery {
    $manifest = Import-PowerShellDataFile (Join-Path $PSScriptRoot '..' '..' 'CrmSync.psd1')
    $script:Cmdlets = @($manifest.CmdletsToExport | ForEach-Object { @{ Name = $_ } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'CrmSyncTestSetup.ps1')
    $script:TestHome = New-CrmSyncTestHome

    # The parameters PowerShell documents itself; -WhatIf and -Confirm are not among them and need help text of their own.
    $script:CommonParameters = [System.Management.Automation.PSCmdlet]::CommonParameters

    function Get-HelpText {
        param([object] $Node)
        # A MAML description is a list of paragraphs (objects with a Text property).
        (@($Node) | Where-Object { $_ } | ForEach-Object { $_.Text }) -join "`n"
    }
}

AfterAll {
    Remove-CrmSyncTestHome -Path $script:TestHome
}

Describe 'Get-Help <Name>' -ForEach $Cmdlets {
    BeforeAll {
        $help = Get-Help $Name -Full -ErrorAction Stop
        $command = Get-Command $Name -Module CrmSync -ErrorAction Stop
    }

    It 'comes from the generated help file staged with the module' {
        # a compiled cmdlet's help file is <assembly>-Help.xml, looked up in <module base>/<culture> (en-US as the fallback)
        # (HelpFile holds the bare name until Get-Help has resolved it to the full path)
        Split-Path -Leaf $command.HelpFile | Should -Be 'CrmSync.PowerShell.dll-Help.xml'
        Test-Path (Join-Path $script:StagedModule 'en-US' 'CrmSync.PowerShell.dll-Help.xml') | Should -BeTrue
    }

    It 'has a synopsis that is a sentence, not the name or the syntax' {
        $synopsis = "$($help.Synopsis)".Trim()
        $synopsis | Should -Not -BeNullOrEmpty
        $synopsis | Should -Not -Be $Name
        # without a help file, PowerShell puts the syntax here ("Start-CrmSync [-Continuous] ...")
        $synopsis | Should -Not -Match ('^' + [regex]::Escape($Name) + '\s')
        $synopsis | Should -Match '^[A-Z].{20,}\.$'
    }

    It 'has a description' {
        $description = Get-HelpText $help.description
        $description.Length | Should -BeGreaterThan 100
        $description | Should -Not -Be $help.Synopsis
    }

    It 'describes every parameter, also with Get-Help -Parameter' {
        $parameters = @($command.Parameters.Keys | Where-Object { $_ -notin $script:CommonParameters })
        $parameters.Count | Should -BeGreaterThan 0
        $undocumented = foreach ($parameter in $parameters) {
            $parameterHelp = Get-Help $Name -Parameter $parameter -ErrorAction SilentlyContinue
            $text = if ($parameterHelp) { Get-HelpText $parameterHelp.description } else { '' }
            if ($text.Length -lt 15) { $parameter }
        }
        $undocumented | Should -BeNullOrEmpty -Because "every parameter of $Name needs a description"
    }

    It 'documents no parameter the cmdlet does not have' {
        $documented = @($help.parameters.parameter.name)
        $actual = @($command.Parameters.Keys)
        $documented | Where-Object { $_ -notin $actual } | Should -BeNullOrEmpty
    }

    It 'has a syntax block for each parameter set' {
        @($help.syntax.syntaxItem).Count | Should -Be @($command.ParameterSets).Count
    }

    It 'has at least one example with code and an explanation' {
        $examples = @($help.examples.example)
        $examples.Count | Should -BeGreaterOrEqual 1
        foreach ($example in $examples) {
            "$($example.code)" | Should -Match ([regex]::Escape($Name))
            (Get-HelpText $example.remarks).Trim().Length | Should -BeGreaterThan 20
        }
    }

    It 'shows the examples with Get-Help -Examples' {
        $text = Get-Help $Name -Examples | Out-String -Width 200
        $text | Should -Match 'Example 1: '
        $text | Should -Match ([regex]::Escape("PS> $Name"))
    }

    It 'documents its inputs and each declared output type' {
        $inputs = @($help.inputTypes.inputType)
        $inputs.Count | Should -BeGreaterOrEqual 1
        foreach ($inputType in $inputs) { (Get-HelpText $inputType.description) | Should -Not -BeNullOrEmpty }
        $outputs = @($help.returnValues.returnValue)
        foreach ($declared in $command.OutputType.Name) {
            $match = $outputs | Where-Object { $_.type.name -eq $declared }
            $match | Should -Not -BeNullOrEmpty -Because "[OutputType($declared)] needs an OUTPUTS entry"
            (Get-HelpText $match.description) | Should -Not -BeNullOrEmpty
        }
    }

    It 'links to about_CrmSync' {
        @($help.relatedLinks.navigationLink.linkText) | Should -Contain 'about_CrmSync'
    }
}

Describe 'The help of the setup steps' {
    It 'Connect-CrmSync shows a login with a PSCredential and a SecureString security token' {
        $code = (Get-Help Connect-CrmSync -Examples).examples.example.code -join "`n"
        $code | Should -Match 'Get-Credential'
        $code | Should -Match 'Read-Host -AsSecureString'
        $code | Should -Match 'Connect-CrmSync -Credential \$cred -SecurityToken \$token'
    }

    It 'Sync-CrmField and Start-CrmSync show -WhatIf before the permanent step' {
        foreach ($name in 'Sync-CrmField', 'Start-CrmSync') {
            $first = @((Get-Help $name -Examples).examples.example)[0].code
            $first | Should -Match "$name.*-WhatIf(.|\n)*\n.*$name"
        }
    }

    It 'Start-CrmSync shows a scheduled task' {
        (Get-Help Start-CrmSync -Examples | Out-String -Width 200) | Should -Match 'Register-ScheduledTask'
    }

    It 'Get-Help -Parameter shows the default value and that secrets are SecureStrings' {
        (Get-Help Start-CrmSync -Parameter Interval | Out-String) | Should -Match 'Default value\s+00:05:00'
        (Get-Help Connect-CrmSync -Parameter SecurityToken | Out-String) | Should -Match '-SecurityToken <SecureString>'
    }
}

Describe 'about_CrmSync' {
    BeforeAll {
        # about_ topics are found through PSModulePath; out/ holds CrmSync/<version>/ like any module folder
        $savedPath = $env:PSModulePath
        $env:PSModulePath = (Join-Path $script:RepoRoot 'out') + [System.IO.Path]::PathSeparator + $savedPath
        try { $script:About = Get-Help about_CrmSync -ErrorAction Stop | Out-String } finally { $env:PSModulePath = $savedPath }
    }

    It 'is found by Get-Help' {
        $script:About | Should -Match 'about_CrmSync'
        $script:About | Should -Match 'SHORT DESCRIPTION'
    }

    It 'names every exported cmdlet' {
        foreach ($name in $script:ManifestData.CmdletsToExport) { $script:About | Should -Match ([regex]::Escape($name)) }
    }

    It 'covers the setup order and scheduled tasks' {
        $script:About | Should -Match 'SCHEDULED TASKS'
        $script:About | Should -Match 'Register-ScheduledTask'
        $script:About | Should -Match 'THE SETUP FLOW'
    }
}

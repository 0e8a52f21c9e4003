#!/usr/bin/env bash
# Brings the test tools into the repository, from the package feeds alone (nothing goes into the user's own profile or
# module folders):
#   - PowerShell 7.6.10, pinned in .config/dotnet-tools.json: `dotnet tool restore`, then `dotnet tool run pwsh`;
#   - Pester 5.7.1, the NuGet package `Pester` (the module is its tools/ folder), restored by
#     tests/tools/PesterRestore.csproj and copied to .tools/modules/Pester/5.7.1, the folder the test run puts first on
#     PSModulePath.
# Exits non-zero, saying which tool and why, when either cannot be installed.
#   bash scripts/restore-test-tools.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
PESTER_VERSION=5.7.1

if ! dotnet tool restore; then
  echo "restore-test-tools: PowerShell could not be installed: 'dotnet tool restore' failed (.config/dotnet-tools.json pins PowerShell 7.6.10; it needs a NuGet feed that serves the PowerShell .NET tool)" >&2
  exit 1
fi
if ! version="$(dotnet tool run pwsh -NoLogo -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()' 2>&1)"; then
  echo "restore-test-tools: PowerShell was installed but does not start: $version" >&2
  exit 1
fi
echo "PowerShell $version (dotnet tool run pwsh)"

packages="$ROOT/.tools/nuget"
module="$ROOT/.tools/modules/Pester/$PESTER_VERSION"
if [ ! -f "$module/Pester.psd1" ]; then
  if ! dotnet restore tests/tools/PesterRestore.csproj --packages "$packages"; then
    echo "restore-test-tools: Pester $PESTER_VERSION could not be installed: 'dotnet restore tests/tools/PesterRestore.csproj' failed (it needs a NuGet feed that serves the package Pester $PESTER_VERSION)" >&2
    exit 1
  fi
  source_dir="$packages/pester/$PESTER_VERSION/tools"
  if [ ! -f "$source_dir/Pester.psd1" ]; then
    echo "restore-test-tools: the Pester package has no tools/Pester.psd1 in $source_dir" >&2
    exit 1
  fi
  rm -rf "$module"
  mkdir -p "$(dirname "$module")"
  cp -R "$source_dir" "$module"
fi
echo "Pester $PESTER_VERSION in $ROOT/.tools/modules"

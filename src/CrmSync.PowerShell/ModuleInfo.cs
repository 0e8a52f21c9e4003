namespace CrmSync.PowerShell; internal static class ModuleInfo { }

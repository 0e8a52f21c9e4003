using System.Reflection;

namespace CrmSync.Engine;

/// <summary>Facts about this build of the engine.</summary>
public static class EngineInfo
{
    /// <summary>The module/engine version (one source: ModuleVersion in CrmSync.psd1).</summary>
    public static string Version { get; } =
        typeof(EngineInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(EngineInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}

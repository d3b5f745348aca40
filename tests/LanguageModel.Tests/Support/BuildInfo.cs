using System.Reflection;

namespace LanguageModel.Tests.Support;

/// <summary>Facts about the build that produced the tests (from Directory.Build.props and MSBuild).</summary>
public static class BuildInfo
{
    public static string Get(string key) =>
        typeof(BuildInfo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    public static string RepositoryRoot => Get("RepositoryRoot");

    public static string Configuration => Get("Configuration");

    public static string NuGetPackageRoot => Get("NuGetPackageRoot");
}

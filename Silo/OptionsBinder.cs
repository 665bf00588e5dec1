using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace BlitzScale.Silo;

/// <summary>
/// Binds one configuration section onto an options object, collecting every problem (an unknown key, a value
/// that does not parse) instead of stopping at the first as <c>ConfigurationBinder.Bind</c> does.
/// </summary>
internal static class OptionsBinder
{
    public static void Bind(IConfiguration configuration, string section, object target, List<string> errors)
    {
        var properties = target.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.SetMethod!.IsPublic)
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var child in configuration.GetSection(section).GetChildren())
        {
            string key = $"{section}:{child.Key}";
            if (!properties.TryGetValue(child.Key, out var property))
            {
                errors.Add($"{key}: unknown setting; expected one of {string.Join(", ", properties.Keys)}");
                continue;
            }
            if (property.PropertyType == typeof(IReadOnlyList<string>))
            {
                // A list: a JSON array (children 0, 1, …) or one value for a list of one.
                property.SetValue(target, child.Value is { } single
                    ? single.Length == 0 ? [] : new[] { single }
                    : child.GetChildren().Select(c => c.Value ?? "").ToArray());
                continue;
            }
            if (child.Value == "") continue; // an empty value (JSON null) keeps the default
            if (child.Value is null)
            {
                errors.Add($"{property.Name}: expected {Expected(property.PropertyType)}, found a section");
                continue;
            }
            if (TryConvert(child.Value, property.PropertyType, out object? value))
                property.SetValue(target, value);
            else
                errors.Add($"{property.Name}: expected {Expected(property.PropertyType)}, found \"{child.Value}\"{Hint(key)}");
        }
    }

    private static bool TryConvert(string text, Type type, out object? value)
    {
        var converter = TypeDescriptor.GetConverter(type);
        try
        {
            value = converter.ConvertFromString(null, CultureInfo.InvariantCulture, text);
            return true;
        }
        catch (Exception e) when (e is FormatException or NotSupportedException or ArgumentException || e.InnerException is FormatException or OverflowException)
        {
            value = null;
            return false;
        }
    }

    private static string Expected(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(int) || type == typeof(long)) return "an integer";
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal)) return "a number";
        if (type == typeof(bool)) return "true or false";
        if (type.IsEnum) return $"one of {string.Join(", ", Enum.GetNames(type))}";
        return $"a {type.Name}";
    }

    private static string Hint(string key) => SiloSwitches.AliasOf(key) is { } alias ? $" ({alias})" : "";
}

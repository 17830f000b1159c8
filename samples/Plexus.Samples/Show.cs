using System.Collections;
using System.Globalization;
using System.Text;

namespace Plexus.Samples;

/// <summary>Prints values the way the seed's Python prints them (<c>[11, None, 'hello']</c>), so outputs compare side by side.</summary>
internal static class Show
{
    public static string Py(object? value)
    {
        var text = new StringBuilder();
        Append(text, value);
        return text.ToString();
    }

    private static void Append(StringBuilder text, object? value)
    {
        switch (value)
        {
            case null: text.Append("None"); break;
            case bool b: text.Append(b ? "True" : "False"); break;
            case string s: text.Append('\'').Append(s).Append('\''); break;
            case IFormattable f: text.Append(f.ToString(null, CultureInfo.InvariantCulture)); break;
            case IDictionary map:
                text.Append('{');
                bool first = true;
                foreach (DictionaryEntry entry in map)
                {
                    text.Append(first ? "" : ", ");
                    Append(text, entry.Key);
                    text.Append(": ");
                    Append(text, entry.Value);
                    first = false;
                }
                text.Append('}');
                break;
            case IEnumerable items:
                text.Append('[');
                bool head = true;
                foreach (object? item in items)
                {
                    text.Append(head ? "" : ", ");
                    Append(text, item);
                    head = false;
                }
                text.Append(']');
                break;
            default: text.Append(value); break;
        }
    }
}

using System.Globalization;
using System.Net;
using System.Text;

namespace ImageEmbed.Cli.Reports;

/// <summary>One group in a report: its title line, and members with a score each (null: no score to show).</summary>
internal sealed record ReportGroup(string Title, IReadOnlyList<ReportMember> Members, int Hidden = 0);

/// <summary>A member: id, source, score against the group (similarity), a label such as "exact", and its thumbnail.</summary>
internal sealed record ReportMember(string Id, string? Source, float? Score, string? Label, string? Thumbnail);

/// <summary>
/// A self-contained HTML page: groups side by side as rows of thumbnails with their scores. No scripts,
/// no external resources (thumbnails are data URIs), so it opens offline and from an e-mail attachment.
/// Every id, source and label is HTML-encoded: they come from file names and URLs.
/// </summary>
internal static class HtmlReport
{
    public static string Render(string title, string summary, IReadOnlyList<ReportGroup> groups)
    {
        var sb = new StringBuilder();
        sb.Append("""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
            """);
        sb.Append("<title>").Append(E(title)).AppendLine("</title>");
        sb.AppendLine("""
            <style>
            body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; background: #fafafa; }
            h1 { font-size: 1.4rem; margin: 0 0 .3rem; } p.summary { color: #555; margin: 0 0 1.2rem; }
            section { background: #fff; border: 1px solid #ddd; border-radius: 8px; padding: .8rem; margin-bottom: 1rem; }
            h2 { font-size: 1rem; margin: 0 0 .6rem; }
            .row { display: flex; flex-wrap: wrap; gap: .6rem; }
            figure { margin: 0; width: 180px; }
            figure img, figure .none { width: 180px; height: 180px; object-fit: contain; background: #eee; border-radius: 4px; display: block; }
            figure .none { display: flex; align-items: center; justify-content: center; color: #888; font-size: .8rem; }
            figcaption { font-size: .75rem; word-break: break-all; margin-top: .25rem; }
            .score { font-weight: 600; font-variant-numeric: tabular-nums; }
            .label { background: #1a7f37; color: #fff; border-radius: 3px; padding: 0 .3rem; margin-left: .3rem; }
            .label.similar { background: #9a6700; }
            .more { align-self: center; color: #555; }
            </style></head><body>
            """);
        sb.Append("<h1>").Append(E(title)).AppendLine("</h1>");
        sb.Append("<p class=\"summary\">").Append(E(summary)).AppendLine("</p>");
        if (groups.Count == 0) sb.AppendLine("<p>No groups found.</p>");
        foreach (ReportGroup group in groups)
        {
            sb.Append("<section><h2>").Append(E(group.Title)).AppendLine("</h2><div class=\"row\">");
            foreach (ReportMember m in group.Members)
            {
                sb.Append("<figure>");
                if (m.Thumbnail is not null) sb.Append("<img src=\"").Append(m.Thumbnail).Append("\" alt=\"").Append(E(m.Id)).Append("\">");
                else sb.Append("<div class=\"none\">no preview</div>");
                sb.Append("<figcaption>");
                if (m.Score is float score) sb.Append("<span class=\"score\">").Append(score.ToString("F4", CultureInfo.InvariantCulture)).Append("</span>");
                if (m.Label is not null) sb.Append("<span class=\"label ").Append(E(m.Label)).Append("\">").Append(E(m.Label)).Append("</span>");
                sb.Append("<br>").Append(E(m.Id));
                if (m.Source is not null && m.Source != m.Id) sb.Append("<br><small>").Append(E(m.Source)).Append("</small>");
                sb.AppendLine("</figcaption></figure>");
            }
            if (group.Hidden > 0) sb.Append("<div class=\"more\">+").Append(group.Hidden.ToString(CultureInfo.InvariantCulture)).AppendLine(" more (see the JSON)</div>");
            sb.AppendLine("</div></section>");
        }
        sb.AppendLine("</body></html>");
        return sb.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}

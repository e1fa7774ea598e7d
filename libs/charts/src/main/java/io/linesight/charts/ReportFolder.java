package io.linesight.charts;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Writes a report folder's report.json and an index.html showing its headline figures and pictures. */
public final class ReportFolder {
    /** A picture in the folder under a heading. */
    public record Section(String heading, String file) {
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ReportFolder() {
    }

    /**
     * @param headline short figures shown as a table at the top
     * @param details everything, written to report.json only
     * @return the index.html written
     */
    public static Path write(Path dir, String title, Map<String, ?> headline, Object details, List<Section> sections)
            throws IOException {
        Files.createDirectories(dir);
        JSON.writeValue(dir.resolve("report.json").toFile(), details);
        StringBuilder rows = new StringBuilder();
        headline.forEach((k, v) -> rows.append("<tr><th>").append(escape(k)).append("</th><td>")
                .append(escape(String.valueOf(v))).append("</td></tr>\n"));
        StringBuilder pictures = new StringBuilder();
        for (Section section : sections) {
            if (Files.exists(dir.resolve(section.file()))) {
                pictures.append("<h2>").append(escape(section.heading())).append("</h2><img src=\"")
                        .append(escape(section.file())).append("\" alt=\"").append(escape(section.heading())).append("\">\n");
            }
        }
        Path index = dir.resolve("index.html");
        Files.writeString(index, """
                <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>%1$s</title>
                <style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}th{text-align:left;padding-right:1rem}
                img{max-width:100%%;border:1px solid #ccc;margin:1rem 0}</style></head><body>
                <h1>%1$s</h1><table>%2$s</table>
                %3$s<p><a href="report.json">All figures (report.json)</a></p>
                </body></html>
                """.formatted(escape(title), rows, pictures));
        return index;
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}

package dev.vdisk.e2e.docs;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The links and headings of one Markdown file, as GitHub renders them: links in code blocks and code spans are not
 * links; a heading's anchor is its text lower-cased, without punctuation, spaces turned into {@code -}, and a
 * {@code -N} suffix for the N-th repetition.
 */
final class MarkdownLinks {

    /** One link: its target as written, and the line it starts on (for the failure message). */
    record Link(String target, int line) {}

    private static final Pattern FENCE = Pattern.compile("(?m)^\\s*```.*?^\\s*```[^\\n]*$", Pattern.DOTALL);
    private static final Pattern CODE_SPAN = Pattern.compile("`[^`\\n]*`");
    // [text](target "title"): the text may wrap onto the next line, the target may not contain spaces
    private static final Pattern INLINE =
            Pattern.compile("\\[[^\\]]*\\]\\(\\s*<?([^)\\s>]+)>?(?:\\s+\"[^\"]*\")?\\s*\\)");
    private static final Pattern REFERENCE = Pattern.compile("(?m)^ {0,3}\\[[^\\]]+\\]:\\s*<?(\\S+?)>?(?:\\s.*)?$");
    private static final Pattern HEADING = Pattern.compile("(?m)^ {0,3}#{1,6}\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:");

    private MarkdownLinks() {}

    /** Links into the repository (no scheme such as {@code https:}); {@code #x} names a heading of this file. */
    static List<Link> relativeLinks(String markdown) {
        String text = withoutCode(markdown);
        List<Link> links = new ArrayList<>();
        for (Pattern p : List.of(INLINE, REFERENCE)) {
            Matcher m = p.matcher(text);
            while (m.find()) {
                String target = m.group(1);
                if (!SCHEME.matcher(target).find()) {
                    links.add(new Link(target, lineOf(text, m.start())));
                }
            }
        }
        return links;
    }

    /** The anchors the file's headings define. */
    static Set<String> anchors(String markdown) {
        Set<String> anchors = new HashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        Matcher m = HEADING.matcher(blank(FENCE, markdown).replace("`", ""));
        while (m.find()) {
            String slug = slug(m.group(1));
            int n = seen.merge(slug, 1, Integer::sum) - 1;
            anchors.add(n == 0 ? slug : slug + "-" + n);
        }
        return anchors;
    }

    static String slug(String heading) {
        String plain = heading.replaceAll("\\[([^\\]]*)\\]\\([^)]*\\)", "$1").toLowerCase(Locale.ROOT);
        return plain.replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
    }

    /** Code blocks and spans blanked out (newlines kept, so line numbers stay right). */
    private static String withoutCode(String markdown) {
        String text = blank(FENCE, markdown);
        return blank(CODE_SPAN, text);
    }

    private static String blank(Pattern p, String text) {
        Matcher m = p.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(m.group().replaceAll("[^\\n]", " ")));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static int lineOf(String text, int offset) {
        int line = 1;
        for (int i = 0; i < offset; i++) {
            if (text.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }
}

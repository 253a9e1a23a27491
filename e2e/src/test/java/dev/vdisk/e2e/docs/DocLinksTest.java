package dev.vdisk.e2e.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A reader who follows a relative link in {@code README.md} or {@code docs/**} finds the file (and the heading, when
 * the link names one); a doc named in a source comment exists; and no doc or source file cites a document that is not
 * in the repository.
 */
class DocLinksTest {

    /** A path into docs/ as a source comment names it, e.g. docs/architecture/write-path.md. */
    private static final Pattern DOC_PATH = Pattern.compile("\\bdocs/[\\w./-]*\\.md\\b");

    /** Citations of material that never was in the repository: design notes, patent-style figures, sibling trees. */
    private static final Pattern ABSENT =
            Pattern.compile("(?i)\\bseeds? \\d{3}\\b|\\bFIG\\. ?\\d|DESIGN\\.md|\\.\\./shared/");

    @Test
    void everyRelativeLinkResolves() throws IOException {
        Path root = repoRoot();
        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (Path doc : docs(root)) {
            String text = Files.readString(doc);
            for (MarkdownLinks.Link link : MarkdownLinks.relativeLinks(text)) {
                checked++;
                String problem = problem(root, doc, link.target());
                if (problem != null) {
                    broken.add(root.relativize(doc) + ":" + link.line() + ": " + link.target() + " (" + problem + ")");
                }
            }
        }
        assertTrue(checked > 50, "found only " + checked + " relative links: is the link pattern still right?");
        assertEquals(List.of(), broken, "broken relative links; fix the target or the link");
    }

    @Test
    void nothingCitesFilesOutsideTheRepository() throws IOException {
        Path root = repoRoot();
        List<Path> files = new ArrayList<>(docs(root));
        files.addAll(sources(root));
        List<String> citations = new ArrayList<>();
        for (Path file : files) {
            List<String> lines = Files.readAllLines(file);
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = ABSENT.matcher(lines.get(i));
                if (m.find()) {
                    citations.add(root.relativize(file) + ":" + (i + 1) + ": " + m.group());
                }
            }
        }
        assertEquals(
                List.of(), citations, "describe the idea in our own words instead of citing what a reader cannot open");
    }

    @Test
    void sourcesCiteDocsThatExist() throws IOException {
        Path root = repoRoot();
        List<String> missing = new ArrayList<>();
        for (Path file : sources(root)) {
            List<String> lines = Files.readAllLines(file);
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = DOC_PATH.matcher(lines.get(i));
                while (m.find()) {
                    if (!Files.exists(root.resolve(m.group()))) {
                        missing.add(root.relativize(file) + ":" + (i + 1) + ": " + m.group());
                    }
                }
            }
        }
        assertEquals(List.of(), missing, "source comments name docs that do not exist");
    }

    @Test
    void anchorsFollowGitHubsRules() {
        String md = "# Write path and recovery\n## The engine's API (for `bin/vdisk`)\n## I/O limits\n## I/O limits\n"
                + "```\n# not a heading\n```\n";
        assertEquals(
                Set.of("write-path-and-recovery", "the-engines-api-for-binvdisk", "io-limits", "io-limits-1"),
                MarkdownLinks.anchors(md));
        List<MarkdownLinks.Link> links = MarkdownLinks.relativeLinks(
                "see [a\nb](x.md#y), [web](https://e.org), [here](#top), `[code](no.md)`\n\n[ref]: ../z/\n");
        assertEquals(
                List.of(
                        new MarkdownLinks.Link("x.md#y", 1),
                        new MarkdownLinks.Link("#top", 2),
                        new MarkdownLinks.Link("../z/", 4)),
                links);
    }

    /** Why {@code target}, linked from {@code doc}, leads nowhere; null when it resolves. */
    private static String problem(Path root, Path doc, String target) throws IOException {
        int hash = target.indexOf('#');
        String file = hash < 0 ? target : target.substring(0, hash);
        String anchor = hash < 0 ? null : target.substring(hash + 1);
        Path resolved = file.isEmpty() ? doc : doc.getParent().resolve(file).normalize();
        if (!resolved.startsWith(root)) {
            return "outside the repository";
        }
        if (!Files.exists(resolved)) {
            return "no such file";
        }
        String relative = root.relativize(resolved).toString();
        if (anchor == null || !relative.endsWith(".md")) {
            return null;
        }
        return MarkdownLinks.anchors(Files.readString(resolved)).contains(anchor) ? null : "no heading #" + anchor;
    }

    /** The Java sources of every module, main and test. */
    private static List<Path> sources(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> root.relativize(p).toString().matches("[^/]+/src/.*"))
                    .sorted()
                    .toList();
        }
    }

    private static List<Path> docs(Path root) throws IOException {
        List<Path> docs = new ArrayList<>(List.of(root.resolve("README.md")));
        try (Stream<Path> walk = Files.walk(root.resolve("docs"))) {
            walk.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        return docs;
    }

    private static Path repoRoot() {
        String root = System.getProperty("vdisk.repo.root");
        Path path = (root != null ? Path.of(root) : Path.of("").toAbsolutePath().getParent())
                .toAbsolutePath()
                .normalize();
        if (!Files.isRegularFile(path.resolve("README.md")) || !Files.isDirectory(path.resolve("docs"))) {
            fail("no README.md and docs/ under " + path + " (vdisk.repo.root=" + root + ")");
        }
        return path;
    }
}

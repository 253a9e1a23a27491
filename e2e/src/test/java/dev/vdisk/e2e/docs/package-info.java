/**
 * Tests of the documentation as a reader meets it: every relative link in {@code README.md} and {@code docs/**}
 * leads somewhere ({@link dev.vdisk.e2e.docs.MarkdownLinks} finds the links and the headings they may point at), and
 * nothing cites a file that is not in the repository. Unit tests (surefire): they read files only.
 */
package dev.vdisk.e2e.docs;

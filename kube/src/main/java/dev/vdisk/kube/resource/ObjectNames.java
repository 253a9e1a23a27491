package dev.vdisk.kube.resource;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Names derived from another object's name (a PVC's split request, an Event about a resource): valid for the API
 * server by construction, which refuses (422) a name that is not an RFC 1123 subdomain of at most 253 characters.
 */
public final class ObjectNames {

    /** metadata.name's limit for the objects we derive names for. */
    public static final int MAX_LENGTH = 253;

    private ObjectNames() {}

    /**
     * {@code base + suffix} when that fits; else base cut short (so that it still ends in a letter or digit), '-', 8 hex
     * digits of base's SHA-256 (names that share the cut prefix still differ), then suffix.
     *
     * @param base   a valid object name
     * @param suffix '-' or '.' then lower-case letters and digits, ending in one, at most 200 characters
     */
    public static String withSuffix(String base, String suffix) {
        if (base.length() + suffix.length() <= MAX_LENGTH) {
            return base + suffix;
        }
        String cut = base.substring(0, MAX_LENGTH - suffix.length() - 9);
        int end = cut.length();
        while (end > 0 && !Character.isLetterOrDigit(cut.charAt(end - 1))) {
            end--;
        }
        return cut.substring(0, end) + (end == 0 ? "" : "-") + sha256Hex(base).substring(0, 8) + suffix;
    }

    private static String sha256Hex(String s) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}

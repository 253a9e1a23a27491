package dev.vdisk.controller.service;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The CSI volume, snapshot and group snapshot ID of a CreateVolume (CreateSnapshot, ...) name: a pure function of the
 * name, so that a retried call (after a crash, a timeout, on another controller replica) finds the object without
 * any name &rarr; ID table that could be lost or disagree with the pools.
 *
 * <p>In cluster mode every ID is the name of a custom resource, and a group snapshot's ID is also a label value, so
 * each ID is valid for the API server by construction ({@code VolumeIdsTest} checks it against the API server's own rules
 * on fuzzed names):
 * <ul>
 *   <li>A name that is already a readable ID passes through: an RFC 1123 subdomain (lower-case letters, digits, '-'
 *       and '.', dot-separated labels each alphanumeric at both ends) of at most {@code maxLength} characters that
 *       contains no {@code --}. That is what the external-provisioner and -snapshotter send ({@code pvc-<uid>},
 *       {@code snapshot-<uid>}), so an operator sees the PV's name in the pool, the resources and the logs.</li>
 *   <li>Any other name (upper case, '_', unicode, too long, {@code --}) becomes {@code <slug>--<hash>}: the slug is
 *       the name in lower case with every run of other characters turned into one '-', cut so that the ID fits; the
 *       hash is the first 32 hex digits (128 bits) of the name's SHA-256. It is a DNS-1123 label.</li>
 * </ul>
 * The forms cannot collide: only hashed IDs contain {@code --}, and two hashed IDs are equal only if the names' hashes
 * are; so names that differ only in case get different IDs. {@link ContentSource#internalSnapshotId} ends in
 * {@code --clonesrc}, which no ID of either form does. IDs are also valid engine vdisk names ({@code [A-Za-z0-9._:-]},
 * at most 253).
 *
 * <p>Before issue 16 a name that was not readable became {@code h_<40 hex>}, which the API server refuses: such IDs
 * exist only in standalone pools. {@link #legacy} gives that old ID so that a retried create still finds the object;
 * every other call takes the ID the CO stored (the PV's volumeHandle) and passes it through unchanged.
 */
final class VolumeIds {

    /** The longest volume and snapshot ID: derived IDs ({@code <id>--clonesrc}, {@code <group>.<volume>}) stay short. */
    static final int MAX_LENGTH = 128;
    /** The longest group snapshot ID: it is also the value of a label, and those have at most 63 characters. */
    static final int MAX_GROUP_LENGTH = 63;

    private static final Pattern SUBDOMAIN =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern OTHER = Pattern.compile("[^a-z0-9]+");
    private static final Pattern OLD_READABLE = Pattern.compile("[a-z0-9]([a-z0-9.-]{0,126}[a-z0-9])?");
    private static final int HASH_HEX = 32;

    private VolumeIds() {}

    /** A volume's or snapshot's ID. */
    static String forName(String name) {
        return forName(name, MAX_LENGTH);
    }

    /** A group snapshot's ID. */
    static String forGroupName(String name) {
        return forName(name, MAX_GROUP_LENGTH);
    }

    private static String forName(String name, int maxLength) {
        if (name.length() <= maxLength
                && !name.contains("--")
                && SUBDOMAIN.matcher(name).matches()) {
            return name;
        }
        String slug = OTHER.matcher(name.toLowerCase(Locale.ROOT)).replaceAll("-");
        slug = trimDashes(slug.substring(0, Math.min(slug.length(), maxLength - HASH_HEX - 2)));
        return (slug.isEmpty() ? "id" : slug) + "--" + sha256Hex(name).substring(0, HASH_HEX);
    }

    /** The ID this name had before issue 16, when it differs from {@link #forName}'s (standalone pools only). */
    static Optional<String> legacy(String name) {
        String old = OLD_READABLE.matcher(name).matches()
                ? name
                : "h_" + sha256Hex(name).substring(0, 40);
        return old.equals(forName(name)) ? Optional.empty() : Optional.of(old);
    }

    private static String trimDashes(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && s.charAt(from) == '-') {
            from++;
        }
        while (to > from && s.charAt(to - 1) == '-') {
            to--;
        }
        return s.substring(from, to);
    }

    private static String sha256Hex(String name) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}

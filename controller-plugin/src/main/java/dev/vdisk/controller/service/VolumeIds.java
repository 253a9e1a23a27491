package dev.vdisk.controller.service;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The CSI volume ID of a CreateVolume name: a pure function of the name, so that a retried CreateVolume (after a
 * crash, a timeout, on another controller replica) finds the volume without any name &rarr; ID table that could be
 * lost or disagree with the pools.
 *
 * <ul>
 *   <li>A name that is already a readable ID (lower-case letters, digits, '-' and '.', 1-128 characters, alphanumeric
 *       at both ends; what the external-provisioner sends: {@code pvc-<uid>}) is the ID, so an operator sees the PV's
 *       name in the pool, the FUSE mount and the logs.</li>
 *   <li>Any other name becomes {@code h_} and the first 40 hex digits of its SHA-256. The two forms cannot collide:
 *       an ID passed through never contains '_'.</li>
 * </ul>
 * Both forms are valid engine vdisk names ({@code [A-Za-z0-9._:-]}, at most 253).
 */
final class VolumeIds {
    private static final Pattern READABLE = Pattern.compile("[a-z0-9]([a-z0-9.-]{0,126}[a-z0-9])?");

    private VolumeIds() {
    }

    static String forName(String name) {
        if (READABLE.matcher(name).matches()) {
            return name;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
            return "h_" + HexFormat.of().formatHex(digest).substring(0, 40);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}

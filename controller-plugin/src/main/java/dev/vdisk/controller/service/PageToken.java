package dev.vdisk.controller.service;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * ListVolumes' next_token: the last volume ID of a page (volumes are listed sorted by ID), so the next page starts
 * after it whatever was created or deleted in between. A page never repeats a volume of an earlier page and a volume
 * that exists throughout the paging is never missed; a volume created meanwhile is seen only if its ID sorts after
 * the token (spec: the CO "SHALL NOT expect a consistent view"). Tokens do not expire; one this plugin did not issue
 * is ABORTED (spec: "Invalid starting_token").
 *
 * <p>Encoding: base64url (no padding) of {@code "v1:" + lastVolumeId}, opaque to the CO.
 */
final class PageToken {
    private static final String PREFIX = "v1:";

    private PageToken() {}

    static String after(String lastVolumeId) {
        return Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString((PREFIX + lastVolumeId).getBytes(StandardCharsets.UTF_8));
    }

    /** The volume ID after which the page starts. */
    static String decode(String token) {
        String text;
        try {
            text = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw invalid(token);
        }
        if (!text.startsWith(PREFIX) || text.length() == PREFIX.length()) {
            throw invalid(token);
        }
        return text.substring(PREFIX.length());
    }

    private static InvalidPageTokenException invalid(String token) {
        return new InvalidPageTokenException(
                "starting_token '" + token + "' was not issued by this plugin; start" + " again without a token");
    }
}

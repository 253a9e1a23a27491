package dev.vdisk.controller.service;

/** A ListVolumes starting_token this plugin did not issue (spec: "Invalid starting_token", ABORTED). */
public final class InvalidPageTokenException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InvalidPageTokenException(String message) {
        super(message);
    }
}

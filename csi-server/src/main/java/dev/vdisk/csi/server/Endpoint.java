package dev.vdisk.csi.server;

import java.nio.file.Path;

/**
 * Where the server listens: a unix domain socket, written {@code unix:///absolute/path} as the CSI sidecars
 * and kubelet write it ({@code --csi-address}, {@code --endpoint}).
 */
public record Endpoint(Path socketPath) {

    private static final String SCHEME = "unix://";

    public Endpoint {
        if (!socketPath.isAbsolute()) {
            throw new IllegalArgumentException("socket path must be absolute: " + socketPath);
        }
        socketPath = socketPath.normalize();
    }

    /** Parses {@code unix:///run/vdisk/csi.sock}; any other scheme is refused (we serve only unix sockets). */
    public static Endpoint parse(String uri) {
        if (!uri.startsWith(SCHEME) || uri.length() == SCHEME.length()) {
            throw new IllegalArgumentException("endpoint must look like unix:///path/to/csi.sock, got '" + uri + "'");
        }
        String path = uri.substring(SCHEME.length());
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("endpoint needs an absolute path (unix:///...), got '" + uri + "'");
        }
        return new Endpoint(Path.of(path));
    }

    @Override
    public String toString() {
        return SCHEME + socketPath;
    }
}

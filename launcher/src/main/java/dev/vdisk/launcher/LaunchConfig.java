package dev.vdisk.launcher;

import dev.vdisk.csi.server.Endpoint;
import java.nio.file.Path;
import java.util.Optional;

/** Everything the command line decided. {@code pool} is present exactly in the modes that own a pool. */
record LaunchConfig(Mode mode, Endpoint endpoint, String driverName, String nodeId, Optional<Path> pool,
                    String logLevel, boolean demo) {
}

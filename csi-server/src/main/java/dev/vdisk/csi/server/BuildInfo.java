package dev.vdisk.csi.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** What the build stamped into this module: the project version, reported as GetPluginInfo.vendor_version. */
public record BuildInfo(String version) {

    private static final String RESOURCE = "build.properties";

    /** Reads {@code build.properties}, which Maven resource filtering fills with {@code ${project.version}}. */
    public static BuildInfo load() {
        try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(
                        RESOURCE + " missing next to " + BuildInfo.class.getName() + ": broken build");
            }
            Properties properties = new Properties();
            properties.load(in);
            return new BuildInfo(properties.getProperty("version"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

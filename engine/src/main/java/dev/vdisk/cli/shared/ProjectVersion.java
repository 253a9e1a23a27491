package dev.vdisk.cli.shared;

import picocli.CommandLine.IVersionProvider;

/** {@code --version} of the three programs: the version in the jar's manifest, or that this is a source-tree build. */
public final class ProjectVersion implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = ProjectVersion.class.getPackage().getImplementationVersion();
        return new String[] {"vdisk-csi " + (v == null ? "(built from the source tree)" : v)};
    }
}

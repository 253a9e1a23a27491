package dev.vdisk.cli;

import picocli.CommandLine.IVersionProvider;

/** {@code vdisk --version}: the version in the jar's manifest, or that this is a build from the source tree. */
final class ProjectVersion implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = VdiskCli.class.getPackage().getImplementationVersion();
        return new String[] {"vdisk " + (v == null ? "(built from the source tree)" : v)};
    }
}

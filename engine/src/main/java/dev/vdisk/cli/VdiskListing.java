package dev.vdisk.cli;

import dev.vdisk.cli.shared.ByteSize;
import dev.vdisk.engine.SnapshotInfo;
import dev.vdisk.engine.VdiskInfo;
import java.io.PrintStream;
import java.time.Instant;
import java.util.List;

/** {@code vdisk ls}'s tables: the vdisks (name, size, allocated, created), then the snapshots if there are any. */
final class VdiskListing {
    private final PrintStream out;

    VdiskListing(PrintStream out) {
        this.out = out;
    }

    void print(List<VdiskInfo> vdisks, List<SnapshotInfo> snaps) {
        out.printf("%-32s %12s %12s  %s%n", "NAME", "SIZE", "ALLOCATED", "CREATED");
        for (VdiskInfo v : vdisks) {
            out.printf(
                    "%-32s %12s %12s  %s%n",
                    v.name(),
                    new ByteSize(v.sizeBytes()),
                    new ByteSize(v.allocatedBytes()),
                    Instant.ofEpochMilli(v.createdMillis()));
        }
        if (snaps.isEmpty()) {
            return;
        }
        out.printf("%n%-32s %-24s %8s %12s  %s%n", "SNAPSHOT", "OF", "SEQ", "SIZE", "CREATED");
        for (SnapshotInfo s : snaps) {
            out.printf(
                    "%-32s %-24s %8d %12s  %s%n",
                    s.name(),
                    s.vdiskName() == null ? "(deleted, id " + s.vdiskId() + ")" : s.vdiskName(),
                    s.sequence(),
                    new ByteSize(s.sizeBytes()),
                    Instant.ofEpochMilli(s.createdMillis()));
        }
    }
}

package dev.vdisk.engine.replica;

import dev.vdisk.engine.Pool;
import dev.vdisk.engine.PoolReplicaHost;
import java.nio.file.Path;

/**
 * Child process of {@link ReplicaCrashTest}: imports source snapshot {@code snap} of pool {@code src} into replica
 * "r-vol" of pool {@code dst} as {@code r-<snap>}, slowly (a few ms per chunk), recording the cursor every eight
 * chunks; prints {@code READY}, {@code DURABLE cursor} after each record and {@code COMPLETE} at the end. Args: source
 * pool, target pool, state directory, snapshot.
 */
public final class ReplicaCrashChild {
    private ReplicaCrashChild() {}

    public static void main(String[] args) throws Exception {
        Pool src = Pool.open(Path.of(args[0]), ReplicaFixture.options());
        Pool dst = Pool.open(Path.of(args[1]), ReplicaFixture.options());
        ReplicaImport imp = ReplicaImport.open(PoolReplicaHost.of(dst), Path.of(args[2]), "r-vol");
        String snap = args[3];
        ReplicaState.Pending p = imp.begin(
                        snap, "r-" + snap, src.snapshots().info(snap).sizeBytes())
                .orElseThrow();
        System.out.println("READY");
        System.out.flush();
        SnapshotExport export = new SnapshotExport(PoolReplicaHost.of(src), p.sourceBase(), snap, p.cursor(), 64 << 10);
        int n = 0;
        while (export.hasNext()) {
            imp.apply(export.next());
            Thread.sleep(3);
            if (++n % 8 == 0) {
                System.out.println("DURABLE " + imp.checkpoint());
                System.out.flush();
            }
        }
        imp.complete();
        System.out.println("COMPLETE");
        System.out.flush();
        Thread.sleep(60_000); // killed here if the parent was late
    }
}

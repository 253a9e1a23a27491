package dev.vdisk.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.vdisk.engine.check.CheckReport;
import dev.vdisk.engine.error.VdiskNotFoundException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Properties 1, 2 and 4 with snapshots and clones: random writes, discards, grows, snapshots, clones, deletions of vdisks and
 * snapshots (in any order, so snapshots become hidden and are freed later) and close/reopen cycles (half of them
 * crashes after a flush); every live vdisk and every snapshot reads exactly like its byte-array model; the check is
 * clean throughout; deleting everything returns the pool to its empty usage. Every few steps a delta between two
 * snapshots of one vdisk is applied to a copy of the older one and must yield the younger.
 */
class SnapshotModelTest {
    @TempDir
    Path dir;

    record Snap(String name, long owner, byte[] content) {}

    @ParameterizedTest(name = "segment size {0}")
    @ValueSource(ints = {4096, 16384})
    void vdisksSnapshotsAndClonesMatchTheModel(int segmentSize) {
        Random rnd = new Random(segmentSize * 17L + 3);
        Path p = dir.resolve("p");
        Pool pool = TestPools.create(p, 24L << 20, segmentSize, TestPools.fastOptions());
        long emptyUsed = pool.info().usedBytes();
        Map<String, byte[]> vdisks = new LinkedHashMap<>();
        Map<String, Long> ownerKey = new LinkedHashMap<>();
        Map<String, Snap> snaps = new LinkedHashMap<>();
        int names = 0;
        try {
            for (int op = 0; op < 3000; op++) {
                int r = rnd.nextInt(100);
                if (vdisks.isEmpty() || (r < 4 && vdisks.size() < 5)) {
                    String n = "v" + names++;
                    int size = segmentSize * (8 + rnd.nextInt(40));
                    pool.vdisks().create(n, size);
                    vdisks.put(n, new byte[size]);
                    ownerKey.put(
                            n,
                            pool.vdisks().list().stream()
                                    .filter(i -> i.name().equals(n))
                                    .findFirst()
                                    .orElseThrow()
                                    .id());
                    continue;
                }
                String vn = pick(rnd, vdisks.keySet());
                byte[] m = vdisks.get(vn);
                if (r < 40) {
                    int len = Math.min(
                            m.length,
                            rnd.nextBoolean()
                                    ? 4096 * (1 + rnd.nextInt(2 * segmentSize / 4096))
                                    : 1 + rnd.nextInt(2 * segmentSize));
                    int off = rnd.nextBoolean()
                            ? 4096 * rnd.nextInt((m.length - len) / 4096 + 1)
                            : rnd.nextInt(m.length - len + 1);
                    byte[] d = TestPools.filled(len, op);
                    TestPools.write(pool.vdisks().get(vn), off, d);
                    System.arraycopy(d, 0, m, off, len);
                } else if (r < 48) {
                    int off = rnd.nextBoolean()
                            ? segmentSize * rnd.nextInt(m.length / segmentSize)
                            : rnd.nextInt(m.length);
                    int len = Math.min(
                            m.length - off,
                            rnd.nextBoolean() ? segmentSize * (1 + rnd.nextInt(3)) : 1 + rnd.nextInt(2 * segmentSize));
                    pool.vdisks().get(vn).discard(off, len);
                    Arrays.fill(m, off, off + len, (byte) 0);
                } else if (r < 56) {
                    String sn = "s" + names++;
                    pool.snapshots().take(vn, sn);
                    snaps.put(sn, new Snap(sn, ownerKey.get(vn), m.clone()));
                } else if (r < 61 && !snaps.isEmpty() && vdisks.size() < 7) {
                    Snap s = snaps.get(pick(rnd, snaps.keySet()));
                    String cn = "c" + names++;
                    pool.snapshots().clone(s.name(), cn);
                    vdisks.put(cn, s.content().clone());
                    ownerKey.put(
                            cn,
                            pool.vdisks().list().stream()
                                    .filter(i -> i.name().equals(cn))
                                    .findFirst()
                                    .orElseThrow()
                                    .id());
                } else if (r < 65 && !snaps.isEmpty()) {
                    String sn = pick(rnd, snaps.keySet());
                    pool.vdisks().delete(sn);
                    snaps.remove(sn);
                    Pool pp = pool;
                    assertThrows(
                            VdiskNotFoundException.class, () -> pp.snapshots().reader(sn));
                } else if (r < 67 && vdisks.size() > 1) {
                    pool.vdisks().delete(vn);
                    vdisks.remove(vn);
                } else if (r < 68 && m.length < 64 * segmentSize) { // grow (clones too: beyond the backing = zeros)
                    int grown = m.length + segmentSize * (1 + rnd.nextInt(8)) + 4096 * rnd.nextInt(2);
                    pool.vdisks().resize(vn, grown);
                    vdisks.put(vn, Arrays.copyOf(m, grown));
                } else if (r < 85) {
                    int len = Math.min(m.length, 1 + rnd.nextInt(3 * segmentSize));
                    int off = rnd.nextInt(m.length - len + 1);
                    assertArrayEquals(
                            Arrays.copyOfRange(m, off, off + len),
                            TestPools.read(pool.vdisks().get(vn), off, len),
                            "op " + op + ": read of " + vn);
                } else if (r < 92 && !snaps.isEmpty()) {
                    Snap s = snaps.get(pick(rnd, snaps.keySet()));
                    assertArrayEquals(
                            s.content(),
                            ModelTest.readAll(pool.snapshots().reader(s.name())),
                            "op " + op + ": snapshot " + s.name());
                } else if (r < 94) {
                    deltaMatches(pool, snaps, rnd, op);
                } else if (r < 96) {
                    if (rnd.nextBoolean()) {
                        pool.close();
                    } else {
                        pool.vdisks().get(vn).flush();
                        pool.abandonForTesting();
                    }
                    pool = Pool.open(p, TestPools.fastOptions());
                }
                if (op % 25 == 0) {
                    Pool pp = pool;
                    CheckReport c = pool.check();
                    assertTrue(
                            c.clean(),
                            () -> "check: " + c.problems() + " lineage "
                                    + pp.lineage().all());
                }
            }
            for (var e : vdisks.entrySet()) {
                assertArrayEquals(
                        e.getValue(), ModelTest.readAll(pool.vdisks().get(e.getKey())), "final " + e.getKey());
            }
            for (Snap s : snaps.values()) {
                assertArrayEquals(
                        s.content(), ModelTest.readAll(pool.snapshots().reader(s.name())), "final " + s.name());
            }
            // delete everything in random order: all space comes back
            List<String> all = new ArrayList<>(vdisks.keySet());
            all.addAll(snaps.keySet());
            Collections.shuffle(all, rnd);
            for (String n : all) {
                pool.vdisks().delete(n);
                CheckReport c = pool.check();
                assertTrue(c.clean(), () -> "check after deleting " + n + ": " + c.problems());
            }
            Pool pp = pool;
            assertTrue(
                    pp.lineage().all().isEmpty(),
                    () -> "left over: " + pp.lineage().all());
            pool.checkpoint();
            pool.checkpoint();
            assertEquals(emptyUsed, pool.info().usedBytes(), "space of an emptied pool");
        } finally {
            pool.close();
        }
    }

    /** Applies delta(L, M) of two random snapshots of one vdisk to a copy of L and compares with M. */
    static void deltaMatches(Pool pool, Map<String, Snap> snaps, Random rnd, int op) {
        List<Snap> list = new ArrayList<>(snaps.values());
        Collections.shuffle(list, rnd);
        for (Snap l : list) {
            for (Snap m : list) {
                SnapshotInfo li = pool.snapshots().info(l.name());
                SnapshotInfo mi = pool.snapshots().info(m.name());
                if (l.owner() == m.owner() && li.sequence() < mi.sequence()) {
                    byte[] copy = Arrays.copyOf(l.content(), m.content().length);
                    DeltaTest.apply(pool, pool.extents().delta(l.name(), m.name(), 0), m.name(), copy);
                    assertArrayEquals(m.content(), copy, "op " + op + ": delta " + l.name() + ".." + m.name());
                    return;
                }
            }
        }
    }

    static String pick(Random rnd, Collection<String> c) {
        int i = rnd.nextInt(c.size());
        for (String s : c) {
            if (i-- == 0) {
                return s;
            }
        }
        throw new IllegalStateException();
    }
}

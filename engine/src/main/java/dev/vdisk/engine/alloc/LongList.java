package dev.vdisk.engine.alloc;

import java.util.Arrays;

/** Growable list of longs, no boxing. Not thread-safe. */
final class LongList {
    private long[] a = new long[16];
    private int n;

    void add(long v) {
        if (n == a.length) {
            a = Arrays.copyOf(a, n * 2);
        }
        a[n++] = v;
    }

    long get(int i) {
        return a[i];
    }

    int size() {
        return n;
    }

    void clear() {
        n = 0;
    }
}

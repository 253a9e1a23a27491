package dev.vdisk.engine.alloc;

import java.util.Arrays;

/**
 * An open-addressing map from long to int (linear probing, backward-shift deletion): 12 bytes a slot where a
 * {@code HashMap<Long, Integer>} costs about 80 an entry. Key {@link #EMPTY} is reserved. Not thread-safe.
 */
final class LongIntMap {
    private static final long EMPTY = -1;

    private long[] keys = new long[16];
    private int[] values = new int[16];
    private int size;

    LongIntMap() {
        Arrays.fill(keys, EMPTY);
    }

    int size() {
        return size;
    }

    /** The value of {@code key}, or 0 if absent. */
    int get(long key) {
        int i = find(key);
        return keys[i] == EMPTY ? 0 : values[i];
    }

    void put(long key, int value) {
        int i = find(key);
        if (keys[i] == EMPTY) {
            keys[i] = key;
            size++;
        }
        values[i] = value;
        if (size * 4 > keys.length * 3) {
            resize(keys.length * 2);
        }
    }

    void remove(long key) {
        int i = find(key);
        if (keys[i] == EMPTY) {
            return;
        }
        size--;
        int mask = keys.length - 1;
        // shift back the entries of the probe run that follows, so that lookups never stop at a false gap
        for (int j = (i + 1) & mask; keys[j] != EMPTY; j = (j + 1) & mask) {
            int home = slot(keys[j]);
            if (((j - home) & mask) >= ((j - i) & mask)) {
                keys[i] = keys[j];
                values[i] = values[j];
                i = j;
            }
        }
        keys[i] = EMPTY;
    }

    private int find(long key) {
        int mask = keys.length - 1;
        int i = slot(key);
        while (keys[i] != EMPTY && keys[i] != key) {
            i = (i + 1) & mask;
        }
        return i;
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 32) & (keys.length - 1);
    }

    private void resize(int capacity) {
        long[] oldKeys = keys;
        int[] oldValues = values;
        keys = new long[capacity];
        values = new int[capacity];
        Arrays.fill(keys, EMPTY);
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) {
                put(oldKeys[i], oldValues[i]);
            }
        }
    }
}

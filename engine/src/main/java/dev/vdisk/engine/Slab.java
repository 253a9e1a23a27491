package dev.vdisk.engine;

import dev.vdisk.engine.core.GuardedBy;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Fixed memory for the changes table: {@code capacity} 4 KiB blocks in one direct buffer, handed out by index.
 * It bounds the memory of dirty data and is the engine's backpressure: a writer that cannot get blocks waits until
 * the destager returns some. No allocation per request.
 */
final class Slab {
    static final int BLOCK = 4096;

    private final ByteBuffer memory;
    private final int capacity;
    /** Guards the free stack; writers wait on {@link #returned} when it is empty. */
    private final ReentrantLock lock = new ReentrantLock();

    private final Condition returned = lock.newCondition();

    @GuardedBy("lock")
    private final int[] freeStack;

    @GuardedBy("lock")
    private int freeCount;

    private volatile Runnable onPressure = () -> {};

    Slab(int capacity) {
        this.capacity = capacity;
        this.memory = ByteBuffer.allocateDirect(Math.multiplyExact(capacity, BLOCK));
        this.freeStack = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            freeStack[i] = capacity - 1 - i;
        }
        this.freeCount = capacity;
    }

    void onPressure(Runnable r) {
        this.onPressure = r;
    }

    ByteBuffer memory() {
        return memory;
    }

    static int offsetOf(int slot) {
        return slot * BLOCK;
    }

    int capacity() {
        return capacity;
    }

    int used() {
        lock.lock();
        try {
            return capacity - freeCount;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes {@code n} blocks into {@code out[0..n)}, waiting while fewer are free. Restores the interrupt flag and
     * keeps waiting (an acknowledged-write path must not fail half-way because of an interrupt).
     */
    void acquire(int n, int[] out) {
        if (n > capacity) {
            throw new IllegalArgumentException(n + " blocks requested from a slab of " + capacity);
        }
        boolean interrupted = false;
        lock.lock();
        try {
            while (freeCount < n) {
                onPressure.run();
                try {
                    returned.await();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            for (int i = 0; i < n; i++) {
                out[i] = freeStack[--freeCount];
            }
            if (capacity - freeCount > capacity / 4) {
                onPressure.run();
            }
        } finally {
            lock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    void release(int slot) {
        lock.lock();
        try {
            freeStack[freeCount++] = slot;
            returned.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns the blocks among {@code slots[from..to)} (negative entries are skipped) under one lock and one wake-up:
     * a destaged segment gives back its 16 blocks at once, where a release per block woke every waiting writer 16
     * times. They are pushed last first, so that the next {@link #acquire} takes them in their former order (a
     * segment written whole then gets consecutive blocks, which the destager writes without copying).
     */
    void release(int[] slots, int from, int to) {
        int i = from;
        while (i < to && slots[i] < 0) {
            i++;
        }
        if (i >= to) {
            return;
        }
        lock.lock();
        try {
            for (int k = to - 1; k >= i; k--) {
                if (slots[k] >= 0) {
                    freeStack[freeCount++] = slots[k];
                }
            }
            returned.signalAll();
        } finally {
            lock.unlock();
        }
    }
}

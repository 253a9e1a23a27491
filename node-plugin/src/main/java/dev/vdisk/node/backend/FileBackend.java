package dev.vdisk.node.backend;

import com.sun.nio.file.ExtendedOpenOption;
import dev.vdisk.engine.io.PrivateFiles;
import dev.vdisk.node.sys.ErrnoException;
import dev.vdisk.node.sys.Libc;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link BlockBackend} over a plain (sparse) file, for tests and the benchmark: positional
 * {@link FileChannel} I/O, and {@code fallocate(PUNCH_HOLE|KEEP_SIZE)} through FFM for discards.
 *
 * <p>I/O goes either through positional {@link FileChannel} calls or, with {@code nativeIo}, straight to
 * pread/pwrite through FFM.
 *
 * <p>{@code direct} opens the file with O_DIRECT, so that the benchmark compares disk with disk rather than
 * with the page cache; it needs 4 KiB aligned buffers, offsets and lengths, which the data path gives.
 *
 * <p>As a {@link BackingFile} it lets the io_uring data path read and write {@link #descriptor()} itself.
 *
 * <p>Threading: stateless apart from {@link #size}, which {@link #resize} changes (volatile); FileChannel
 * positional I/O is safe from many threads.
 */
public final class FileBackend implements BlockBackend, BackingFile, AutoCloseable {
    private final Path file;
    private final FileChannel channel;
    /**
     * A second descriptor (FileChannel has no fallocate and does not expose its own), opened with the same
     * O_DIRECT choice; with {@code native_} reads and writes use it too, through pread/pwrite.
     */
    private final int fd;
    /** Plain pread/pwrite through FFM instead of FileChannel: less per-call overhead (docs/benchmarks/archive.md). */
    private final boolean native_;

    private volatile long size;

    private FileBackend(Path file, FileChannel channel, int fd, long size, boolean nativeIo) {
        this.file = file;
        this.native_ = nativeIo;
        this.channel = channel;
        this.fd = fd;
        this.size = size;
    }

    /** Opens {@code file}, creating it sparse with {@code size} bytes if it does not exist. */
    public static FileBackend open(Path file, long size, boolean direct) throws IOException {
        return open(file, size, direct, false);
    }

    /**
     * @param nativeIo read and write with pread/pwrite through FFM rather than FileChannel
     */
    public static FileBackend open(Path file, long size, boolean direct, boolean nativeIo) throws IOException {
        if (size % 4096 != 0) {
            throw new IllegalArgumentException("size " + size + " is not a multiple of 4096");
        }
        List<OpenOption> options =
                new ArrayList<>(List.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE));
        if (direct) {
            options.add(ExtendedOpenOption.DIRECT);
        }
        FileChannel channel = PrivateFiles.open(file, options.toArray(OpenOption[]::new));
        try {
            if (channel.size() < size) {
                // setLength through the non-direct descriptor below: extending needs no alignment, but keep it simple
                try (var raf = new RandomAccessFile(file.toFile(), "rw")) {
                    raf.setLength(size);
                }
            }
            int fd = Libc.checkedOpen(file.toString(), Libc.O_RDWR | (direct ? Libc.O_DIRECT : 0));
            return new FileBackend(file, channel, fd, Math.max(size, channel.size()), nativeIo);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    public Path file() {
        return file;
    }

    @Override
    public int descriptor() {
        return fd;
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws IOException {
        if (!native_) {
            int total = 0;
            while (dst.hasRemaining()) {
                int n = channel.read(dst, offset + total);
                if (n <= 0) {
                    break;
                }
                total += n;
            }
            return total;
        }
        MemorySegment buffer = MemorySegment.ofBuffer(dst);
        long total = 0;
        long want = buffer.byteSize();
        while (total < want) {
            long n = Libc.pread(fd, buffer.asSlice(total), want - total, offset + total);
            if (n < 0) {
                int errno = Libc.errno();
                if (errno == Libc.EINTR) {
                    continue;
                }
                throw new ErrnoException("pread " + file, errno);
            }
            if (n == 0) {
                break;
            }
            total += n;
        }
        dst.position(dst.position() + (int) total);
        return (int) total;
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        if (!native_) {
            long position = offset;
            while (src.hasRemaining()) {
                position += channel.write(src, position);
            }
            return;
        }
        MemorySegment buffer = MemorySegment.ofBuffer(src);
        long total = 0;
        long want = buffer.byteSize();
        while (total < want) {
            long n = Libc.pwrite(fd, buffer.asSlice(total), want - total, offset + total);
            if (n < 0) {
                int errno = Libc.errno();
                if (errno == Libc.EINTR) {
                    continue;
                }
                throw new ErrnoException("pwrite " + file, errno);
            }
            total += n;
        }
        src.position(src.position() + (int) total);
    }

    @Override
    public void flush() throws IOException {
        channel.force(false);
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        if (Libc.fallocate(fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, offset, length) < 0) {
            throw new ErrnoException("fallocate(PUNCH_HOLE) on " + file, Libc.errno());
        }
    }

    @Override
    public long size() {
        return size;
    }

    /** Grows (never shrinks) the file; the data path must be told afterwards ({@code DataPath.resize}). */
    public void resize(long newSize) throws IOException {
        if (newSize < size || newSize % 4096 != 0) {
            throw new IllegalArgumentException("cannot resize " + file + " from " + size + " to " + newSize);
        }
        try (var raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(newSize);
        }
        size = newSize;
    }

    @Override
    public void close() throws IOException {
        try {
            channel.close();
        } finally {
            Libc.checkedClose(fd);
        }
    }
}

package dev.vdisk.cli;

import dev.vdisk.cli.shared.ByteSize;
import dev.vdisk.cli.shared.ProgressBar;
import dev.vdisk.engine.Vdisk;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.time.Duration;

/**
 * The byte copying of {@code vdisk write} and {@code vdisk read}: between a channel (a file, stdin, stdout) and a
 * vdisk in 1 MiB chunks, with a progress bar on stderr for transfers large enough to be worth one.
 */
final class RawTransfer {
    private static final int CHUNK = 1 << 20;
    /** Transfers smaller than this finish before a bar would be worth reading. */
    private static final long PROGRESS_MIN_BYTES = 64L << 20;

    private final PrintStream err;

    RawTransfer(PrintStream err) {
        this.err = err;
    }

    /**
     * Writes everything {@code src} holds into {@code v} from byte {@code offset}, then flushes the vdisk (durable on
     * return). {@code total} sizes the bar, -1 when unknown (stdin: no bar). Returns the bytes written.
     */
    long write(ReadableByteChannel src, long total, Vdisk v, long offset, String what) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
        Bar progress = new Bar(what, total);
        long done = 0;
        boolean eof = false;
        while (!eof) {
            buf.clear();
            while (buf.hasRemaining()) {
                if (src.read(buf) < 0) {
                    eof = true;
                    break;
                }
            }
            buf.flip();
            if (buf.hasRemaining()) {
                int n = buf.remaining();
                v.write(offset + done, buf);
                done += n;
                progress.update(done);
            }
        }
        v.flush();
        progress.finish();
        return done;
    }

    /** Copies {@code length} bytes of {@code v} from byte {@code offset} (a range the caller checked) to {@code dst}. */
    void read(Vdisk v, long offset, long length, WritableByteChannel dst, String what) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
        Bar progress = new Bar(what, length);
        long done = 0;
        while (done < length) {
            buf.clear().limit((int) Math.min(CHUNK, length - done));
            v.read(offset + done, buf);
            buf.flip();
            while (buf.hasRemaining()) {
                dst.write(buf);
            }
            done += buf.limit();
            progress.update(done);
        }
        progress.finish();
    }

    /** A transfer's bar on stderr: none for small or unknown totals (stdin), else bytes done and throughput. */
    private final class Bar {
        private final long total;
        private final long start = System.nanoTime();
        private final ProgressBar bar;

        Bar(String what, long total) {
            this.total = total;
            this.bar = total < PROGRESS_MIN_BYTES
                    ? null
                    : new ProgressBar(err, System.console() != null, what, Duration.ofMillis(200));
        }

        void update(long done) {
            if (bar != null) {
                double secs = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
                bar.show(
                        (int) (done * 100 / total),
                        "",
                        new ByteSize(done) + " " + new ByteSize((long) (done / secs)).toFixedString() + "/s");
            }
        }

        void finish() {
            if (bar != null) {
                bar.finish();
            }
        }
    }
}

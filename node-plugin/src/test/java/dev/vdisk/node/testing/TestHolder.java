package dev.vdisk.node.testing;

import dev.vdisk.node.handover.DescriptorStore;
import dev.vdisk.node.sys.ErrnoException;
import dev.vdisk.node.sys.Libc;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A descriptor holder for tests, in the test's own process: keeps duplicates of what is put (taken with
 * pidfd_getfd, from this process or from a child that reaches it through {@link Child}), so that a child killed with
 * SIGKILL leaves its FUSE connection and loop devices alive, as the real holder would.
 *
 * <p>Child protocol (the child's stdout, lines starting {@code @@}; everything else is passed to a listener):
 * {@code @@ PUT name fd,fd base64}, {@code @@ UPDATE name base64}, {@code @@ DROP name}; each is answered with
 * {@code OK} on the child's stdin once this holder holds it.
 */
public final class TestHolder implements DescriptorStore {
    private static final long SYS_PIDFD_OPEN = 434, SYS_PIDFD_GETFD = 438;

    private record Held(int[] fds, byte[] record) {}

    private final Map<String, Held> entries = new TreeMap<>();

    /** A duplicate, in this process, of descriptor {@code fd} of process {@code pid}. */
    public static int grab(long pid, int fd) throws ErrnoException {
        int pidfd = (int) Libc.syscall(SYS_PIDFD_OPEN, pid, 0, 0, 0, 0, 0);
        if (pidfd < 0) {
            throw new ErrnoException("pidfd_open(" + pid + ")", Libc.errno());
        }
        try {
            int copy = (int) Libc.syscall(SYS_PIDFD_GETFD, pidfd, fd, 0, 0, 0, 0);
            if (copy < 0) {
                throw new ErrnoException("pidfd_getfd(" + pid + ", " + fd + ")", Libc.errno());
            }
            return copy;
        } finally {
            Libc.close(pidfd);
        }
    }

    private synchronized void hold(String name, long pid, int[] fds, byte[] record) throws IOException {
        int[] copies = new int[fds.length];
        for (int i = 0; i < fds.length; i++) {
            copies[i] = grab(pid, fds[i]);
        }
        Held old = entries.put(name, new Held(copies, record.clone()));
        if (old != null) {
            closeAll(old.fds());
        }
    }

    @Override
    public void put(String name, int[] fds, byte[] record) throws IOException {
        hold(name, ProcessHandle.current().pid(), fds, record);
    }

    @Override
    public synchronized void update(String name, byte[] record) throws IOException {
        Held old = entries.get(name);
        if (old == null) {
            throw new IOException("no entry " + name);
        }
        entries.put(name, new Held(old.fds(), record.clone()));
    }

    @Override
    public synchronized Optional<Entry> get(String name) throws IOException {
        Held held = entries.get(name);
        if (held == null) {
            return Optional.empty();
        }
        int[] copies = new int[held.fds().length];
        for (int i = 0; i < copies.length; i++) {
            copies[i] = grab(ProcessHandle.current().pid(), held.fds()[i]);
        }
        return Optional.of(new Entry(copies, held.record()));
    }

    @Override
    public synchronized void drop(String name) {
        Held old = entries.remove(name);
        if (old != null) {
            closeAll(old.fds());
        }
    }

    @Override
    public synchronized List<String> names() {
        return new ArrayList<>(entries.keySet());
    }

    /** The record stored under {@code name}, if any. */
    public synchronized Optional<byte[]> record(String name) {
        return Optional.ofNullable(entries.get(name)).map(h -> h.record().clone());
    }

    /** Closes every held descriptor (a FUSE connection nobody else holds then ends: cleanup after a test). */
    @Override
    public synchronized void close() {
        entries.values().forEach(h -> closeAll(h.fds()));
        entries.clear();
    }

    private static void closeAll(int[] fds) {
        for (int fd : fds) {
            Libc.close(fd);
        }
    }

    /**
     * Serves a child process's store calls on a thread until its stdout ends; other output lines go to
     * {@code lines}. Completes with null at the end, or exceptionally if a call failed.
     */
    public CompletableFuture<Void> serve(Process child, Consumer<String> lines) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("test-holder-" + child.pid()).start(() -> {
            try (BufferedReader in =
                    new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                OutputStream out = child.getOutputStream();
                String line;
                while ((line = in.readLine()) != null) {
                    if (!line.startsWith("@@ ")) {
                        lines.accept(line);
                        continue;
                    }
                    String[] f = line.substring(3).split(" ");
                    switch (f[0]) {
                        case "PUT" -> {
                            int[] fds = Arrays.stream(f[2].split(","))
                                    .mapToInt(Integer::parseInt)
                                    .toArray();
                            hold(f[1], child.pid(), fds, Base64.getDecoder().decode(f[3]));
                        }
                        case "UPDATE" -> update(f[1], Base64.getDecoder().decode(f[2]));
                        case "DROP" -> drop(f[1]);
                        default -> throw new IOException("unknown holder call " + line);
                    }
                    out.write("OK\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
                done.complete(null);
            } catch (IOException | RuntimeException e) {
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    /** The child's side: a {@link DescriptorStore} that asks the test's holder over stdout/stdin. */
    public static final class Child implements DescriptorStore {
        private final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

        private synchronized void call(String line) throws IOException {
            System.out.println("@@ " + line);
            System.out.flush();
            String answer = in.readLine();
            if (!"OK".equals(answer)) {
                throw new IOException("holder answered " + answer + " to " + line);
            }
        }

        @Override
        public void put(String name, int[] fds, byte[] record) throws IOException {
            StringBuilder list = new StringBuilder();
            for (int fd : fds) {
                list.append(list.isEmpty() ? "" : ",").append(fd);
            }
            call("PUT " + name + " " + list + " " + Base64.getEncoder().encodeToString(record));
        }

        @Override
        public void update(String name, byte[] record) throws IOException {
            call("UPDATE " + name + " " + Base64.getEncoder().encodeToString(record));
        }

        @Override
        public Optional<Entry> get(String name) {
            return Optional.empty(); // the child always starts afresh
        }

        @Override
        public void drop(String name) throws IOException {
            call("DROP " + name);
        }

        @Override
        public List<String> names() {
            return List.of();
        }

        @Override
        public void close() {}
    }
}

package dev.vdisk.node.handover;

import dev.vdisk.node.handover.HolderProtocol.Frame;
import dev.vdisk.node.handover.HolderProtocol.Op;
import dev.vdisk.node.handover.HolderProtocol.ProtocolException;
import dev.vdisk.node.handover.HolderProtocol.Status;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The holder's table: name to descriptors and record, and the answer to each request. The descriptors are the
 * holder process's own (the kernel installed them when the request arrived); a replaced or dropped entry's are
 * closed here. Confined to the holder's serving thread: no locking. Not final: a test hands the holder a table that
 * fails, to see the holder survive it.
 */
class HeldEntries implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HeldEntries.class);

    /** What a request gets back: the message, and the descriptors to send with it (still owned by the table). */
    record Reply(byte[] message, int[] fds) {
        static Reply of(Status status, String name, byte[] body) {
            return new Reply(HolderProtocol.encode(status, name, body), new int[0]);
        }

        static Reply error(String message) {
            return new Reply(HolderProtocol.error(message), new int[0]);
        }
    }

    private record Held(int[] fds, byte[] record) {}

    private final TreeMap<String, Held> entries = new TreeMap<>();
    private final DescriptorHolder.Limits limits;
    /** The bytes of all records held, at most {@link DescriptorHolder.Limits#maxRecordBytes}. */
    private long recordBytes;

    HeldEntries(DescriptorHolder.Limits limits) {
        this.limits = limits;
    }

    /**
     * Answers one request; takes {@code fds} (kept if the request is a PUT that succeeds, else closed). {@code
     * peer} names the client in log lines.
     */
    Reply handle(Frame request, int[] fds, String peer) {
        Op op;
        try {
            op = Op.of(request.code());
            if (op != Op.PUT && fds.length > 0) {
                throw new ProtocolException(op + " carries no descriptors, got " + fds.length);
            }
            if (op != Op.LIST) {
                HolderProtocol.checkName(request.name(), false);
            }
        } catch (ProtocolException e) {
            HolderProtocol.closeAll(fds);
            return refuse(peer, e.getMessage());
        }
        return switch (op) {
            case PUT -> put(request, fds, peer);
            case UPDATE -> update(request, peer);
            case GET -> get(request.name());
            case DROP -> drop(request.name());
            case LIST -> list(request.name());
        };
    }

    /** A request that could not be read at all; the message says why. */
    Reply refuse(String peer, String why) {
        LOG.warn("fd holder: refused a request from {}: {}", peer, why);
        return Reply.error(why);
    }

    int size() {
        return entries.size();
    }

    private Reply put(Frame request, int[] fds, String peer) {
        String name = request.name();
        if (fds.length > limits.maxFds()) {
            HolderProtocol.closeAll(fds);
            return refuse(peer, "PUT " + name + " carries " + fds.length + " descriptors; at most " + limits.maxFds());
        }
        if (!entries.containsKey(name) && entries.size() >= limits.maxEntries()) {
            HolderProtocol.closeAll(fds);
            return refuse(
                    peer,
                    "PUT " + name + ": the holder is full (" + limits.maxEntries()
                            + " entries); drop entries that are no longer needed");
        }
        Held replaced = entries.get(name);
        if (!fitsRecord(replaced, request.body())) {
            HolderProtocol.closeAll(fds);
            return refuse(peer, tooManyBytes("PUT", name, request.body()));
        }
        Held old = entries.put(name, new Held(fds, request.body()));
        recordBytes += request.body().length - (old == null ? 0 : old.record().length);
        if (old != null) {
            HolderProtocol.closeAll(old.fds());
        }
        LOG.info("fd holder: put {} ({} fds, {}-byte record)", name, fds.length, request.body().length);
        return Reply.of(Status.OK, name, new byte[0]);
    }

    private Reply update(Frame request, String peer) {
        Held held = entries.get(request.name());
        if (held == null) {
            return Reply.of(Status.NOT_FOUND, request.name(), new byte[0]);
        }
        if (!fitsRecord(held, request.body())) {
            return refuse(peer, tooManyBytes("UPDATE", request.name(), request.body()));
        }
        entries.put(request.name(), new Held(held.fds(), request.body()));
        recordBytes += request.body().length - held.record().length;
        return Reply.of(Status.OK, request.name(), new byte[0]);
    }

    private Reply get(String name) {
        Held held = entries.get(name);
        if (held == null) {
            return Reply.of(Status.NOT_FOUND, name, new byte[0]);
        }
        return new Reply(HolderProtocol.encode(Status.OK, name, held.record()), held.fds());
    }

    private Reply drop(String name) {
        Held held = entries.remove(name);
        if (held != null) {
            recordBytes -= held.record().length;
            HolderProtocol.closeAll(held.fds());
            LOG.info("fd holder: dropped {} ({} fds)", name, held.fds().length);
        }
        return Reply.of(Status.OK, name, new byte[0]);
    }

    /** Whether {@code record} in place of {@code replaced}'s (null: a new entry) keeps the records within bounds. */
    private boolean fitsRecord(Held replaced, byte[] record) {
        long after = recordBytes - (replaced == null ? 0 : replaced.record().length) + record.length;
        return after <= limits.maxRecordBytes();
    }

    private String tooManyBytes(String op, String name, byte[] record) {
        return op + " " + name + ": a " + record.length + "-byte record does not fit; the holder keeps at most "
                + limits.maxRecordBytes() + " bytes of records and holds " + recordBytes
                + "; drop entries that are no longer needed";
    }

    /** True if {@code fds} are (some of) the descriptors an entry holds: they must not be closed by the caller. */
    boolean holdsAny(int[] fds) {
        for (Held held : entries.values()) {
            for (int kept : held.fds()) {
                for (int fd : fds) {
                    if (fd == kept) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** The names after {@code cursor}, as many as fit in one body. */
    private Reply list(String cursor) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        Map<String, Held> after = cursor.isEmpty() ? entries : entries.tailMap(cursor, false);
        for (String name : after.keySet()) {
            byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
            if (body.size() + bytes.length + 1 > DescriptorStore.MAX_RECORD) {
                return Reply.of(Status.MORE, "", body.toByteArray());
            }
            if (body.size() > 0) {
                body.write('\n');
            }
            body.writeBytes(bytes);
        }
        return Reply.of(Status.OK, "", body.toByteArray());
    }

    /** Closes every descriptor held (the holder is stopping). */
    @Override
    public void close() {
        entries.values().forEach(h -> HolderProtocol.closeAll(h.fds()));
        entries.clear();
        recordBytes = 0;
    }
}

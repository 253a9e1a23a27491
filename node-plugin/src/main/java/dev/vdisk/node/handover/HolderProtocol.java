package dev.vdisk.node.handover;

import dev.vdisk.node.sys.ErrnoException;
import dev.vdisk.node.sys.Libc;
import dev.vdisk.node.sys.UnixSockets;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The descriptor holder's wire: one request and one answer per AF_UNIX SOCK_SEQPACKET message (the kernel keeps
 * message boundaries, so no framing beyond this header), descriptors as SCM_RIGHTS ancillary data of the same
 * message. Integers are big-endian.
 *
 * <pre>
 * offset  size  field
 *      0     1  version       1
 *      1     1  code          request: the {@link Op}; answer: the {@link Status}
 *      2     2  name length   N, 0..255
 *      4     4  body length   B, 0..65536 ({@link DescriptorStore#MAX_RECORD})
 *      8     N  name          UTF-8, no control characters
 *    8+N     B  body          PUT, UPDATE: the record; GET answer: the record; LIST answer: names, '\n' between;
 *                             ERROR answer: a one-line message
 * ancillary: SCM_RIGHTS      PUT request, GET answer: the entry's descriptors (at most 253); nothing otherwise
 * </pre>
 *
 * <p>LIST's name is a cursor: the answer lists the names after it in sorted order, as many as fit in one body;
 * {@link Status#MORE} says to ask again from the last one. A message is at most {@link #MAX_MESSAGE} bytes.
 */
final class HolderProtocol {
    static final int VERSION = 1;
    static final int HEADER = 8;
    static final int MAX_NAME = 255;
    static final int MAX_MESSAGE = HEADER + MAX_NAME + DescriptorStore.MAX_RECORD;

    /** What a request asks. */
    enum Op {
        PUT(1),
        UPDATE(2),
        GET(3),
        DROP(4),
        LIST(5);

        final int code;

        Op(int code) {
            this.code = code;
        }

        static Op of(int code) throws ProtocolException {
            for (Op op : values()) {
                if (op.code == code) {
                    return op;
                }
            }
            throw new ProtocolException(
                    "unknown op " + code + " (this holder knows PUT 1, UPDATE 2, GET 3, DROP 4, LIST 5)");
        }
    }

    /** How an answer went. */
    enum Status {
        OK(0),
        MORE(1),
        NOT_FOUND(2),
        ERROR(3);

        final int code;

        Status(int code) {
            this.code = code;
        }

        static Status of(int code) throws ProtocolException {
            for (Status status : values()) {
                if (status.code == code) {
                    return status;
                }
            }
            throw new ProtocolException("unknown answer status " + code);
        }
    }

    /** A message without its descriptors: code, name, body. */
    record Frame(int code, String name, byte[] body) {
        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** A message that breaks the layout above; its text is the one-line answer. */
    static final class ProtocolException extends Exception {
        ProtocolException(String message) {
            super(message);
        }
    }

    private HolderProtocol() {}

    static byte[] encode(int code, String name, byte[] body) {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        if (nameBytes.length > MAX_NAME || body.length > DescriptorStore.MAX_RECORD) {
            throw new IllegalArgumentException("name of " + nameBytes.length + " bytes or body of " + body.length
                    + " bytes is over the limit (" + MAX_NAME + ", " + DescriptorStore.MAX_RECORD + ")");
        }
        return ByteBuffer.allocate(HEADER + nameBytes.length + body.length)
                .put((byte) VERSION)
                .put((byte) code)
                .putShort((short) nameBytes.length)
                .putInt(body.length)
                .put(nameBytes)
                .put(body)
                .array();
    }

    static byte[] encode(Status status, String name, byte[] body) {
        return encode(status.code, name, body);
    }

    static byte[] error(String message) {
        byte[] text = message.getBytes(StandardCharsets.UTF_8);
        return encode(Status.ERROR, "", text.length > DescriptorStore.MAX_RECORD ? new byte[0] : text);
    }

    static Frame decode(byte[] message) throws ProtocolException {
        if (message.length < HEADER) {
            throw new ProtocolException(
                    "message of " + message.length + " bytes is shorter than the " + HEADER + "-byte header");
        }
        ByteBuffer in = ByteBuffer.wrap(message);
        int version = in.get() & 0xff;
        if (version != VERSION) {
            throw new ProtocolException("protocol version " + version + " is not spoken here (only " + VERSION + ")");
        }
        int code = in.get() & 0xff;
        int nameLength = in.getShort() & 0xffff;
        long bodyLength = in.getInt() & 0xffffffffL;
        if (nameLength > MAX_NAME) {
            throw new ProtocolException("name of " + nameLength + " bytes; at most " + MAX_NAME);
        }
        if (bodyLength > DescriptorStore.MAX_RECORD) {
            throw new ProtocolException("record of " + bodyLength + " bytes; at most " + DescriptorStore.MAX_RECORD);
        }
        if (HEADER + nameLength + bodyLength != message.length) {
            throw new ProtocolException("message of " + message.length + " bytes does not match its header ("
                    + nameLength + "-byte name, " + bodyLength + "-byte body)");
        }
        byte[] name = new byte[nameLength];
        byte[] body = new byte[(int) bodyLength];
        in.get(name).get(body);
        String text = new String(name, StandardCharsets.UTF_8);
        checkName(text, true);
        return new Frame(code, text, body);
    }

    /** Closes descriptors that came with a message and are not kept. */
    static void closeAll(int[] fds) {
        for (int fd : fds) {
            Libc.close(fd);
        }
    }

    /** Duplicates of {@code fds} owned by the caller; none left open if one fails. */
    static int[] duplicateAll(int[] fds) throws ErrnoException {
        int[] copies = new int[fds.length];
        for (int i = 0; i < fds.length; i++) {
            try {
                copies[i] = UnixSockets.dup(fds[i]);
            } catch (ErrnoException e) {
                closeAll(Arrays.copyOf(copies, i));
                throw e;
            }
        }
        return copies;
    }

    /** Names are 1..255 bytes of UTF-8 without control characters (LIST's cursor may be empty). */
    static void checkName(String name, boolean emptyAllowed) throws ProtocolException {
        if (name.isEmpty() && !emptyAllowed) {
            throw new ProtocolException("empty entry name");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME) {
            throw new ProtocolException("entry name of more than " + MAX_NAME + " bytes");
        }
        if (name.chars().anyMatch(Character::isISOControl)) {
            throw new ProtocolException("entry name with a control character");
        }
    }
}

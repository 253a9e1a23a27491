package dev.vdisk.node.fuse;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vdisk.node.backend.MemoryBackend;
import dev.vdisk.node.fuse.ImageDirectory.Image;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The dispatcher's own check of the caller, without a kernel: requests are crafted in the layout each transport
 * delivers (/dev/fuse: header and body contiguous; io_uring: header in the entry's in_out area, body in op_in), so
 * a non-root caller is refused even on a mount whose kernel would let it through (no default_permissions).
 */
class FuseDispatcherTest {
    private static final int EACCES = 13, EPERM = 1, NOBODY = 65534;

    private final Arena arena = Arena.ofConfined();
    private final MemoryBackend backend = new MemoryBackend(1 << 20);
    private final ImageDirectory directory = new ImageDirectory();
    private final Image image = directory.add("vol-a", backend);
    private final List<String> replies = new ArrayList<>();

    private MemorySegment header;
    private MemorySegment body;
    private FuseDispatcher dispatcher;

    @AfterEach
    void close() {
        backend.close();
        arena.close();
    }

    /** @param transport "dev" or "uring": where the request's parts lie */
    private void slot(String transport) {
        MemorySegment payload = arena.allocate(1 << 20, 4096);
        FuseRequest request;
        if (transport.equals("dev")) {
            MemorySegment buffer = arena.allocate(4096);
            header = buffer;
            body = buffer.asSlice(FuseRequest.HEADER_SIZE);
            request = FuseRequest.contiguous(buffer, 0);
        } else {
            header = arena.allocate(FuseRequest.RING_HEADER_SIZE);
            body = header.asSlice(FuseRequest.RING_OP_IN);
            request = FuseRequest.ring(header, payload);
        }
        FuseReply reply =
                new FuseReply(arena.allocate(4096), (unique, error, length, data) -> replies.add(unique + ":" + error));
        dispatcher = new FuseDispatcher(
                null, directory, FuseConfig.defaults(), 0, request, reply, payload.asByteBuffer(), null, null);
    }

    /** Puts a request in the slot: a fuse_in_header from {@code uid} and a zeroed body, and dispatches it. */
    private String dispatch(int opcode, long unique, long nodeId, int uid) {
        header.set(JAVA_INT_UNALIGNED, 0, FuseRequest.HEADER_SIZE + 64);
        header.set(JAVA_INT_UNALIGNED, 4, opcode);
        header.set(JAVA_LONG_UNALIGNED, 8, unique);
        header.set(JAVA_LONG_UNALIGNED, 16, nodeId);
        header.set(JAVA_INT_UNALIGNED, 24, uid);
        header.set(JAVA_INT_UNALIGNED, 28, uid);
        header.set(JAVA_INT_UNALIGNED, 32, 4242);
        body.asSlice(0, 64).fill((byte) 0);
        replies.clear();
        dispatcher.handle();
        return replies.isEmpty() ? "no reply" : replies.getLast();
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "uring"})
    void aRequestFromANonRootUidIsRefusedWhateverTheOpcode(String transport) {
        slot(transport);
        assertEquals("1:-" + EACCES, dispatch(FuseProtocol.OPEN, 1, image.inode(), NOBODY), "OPEN");
        assertEquals("2:-" + EACCES, dispatch(FuseProtocol.ACCESS, 2, image.inode(), NOBODY), "ACCESS");
        assertEquals("3:-" + EPERM, dispatch(FuseProtocol.SETATTR, 3, image.inode(), NOBODY), "SETATTR");
        assertEquals("4:-" + EACCES, dispatch(FuseProtocol.READ, 4, image.inode(), NOBODY), "READ");
        assertEquals("5:-" + EACCES, dispatch(FuseProtocol.WRITE, 5, image.inode(), NOBODY), "WRITE");
        assertEquals("6:-" + EACCES, dispatch(FuseProtocol.LOOKUP, 6, FuseProtocol.ROOT_ID, NOBODY), "LOOKUP");
        assertEquals("7:-" + EACCES, dispatch(FuseProtocol.STATFS, 7, FuseProtocol.ROOT_ID, NOBODY), "STATFS");
        assertEquals("8:-" + EACCES, dispatch(35 /* CREATE */, 8, FuseProtocol.ROOT_ID, NOBODY), "CREATE");
        assertEquals("9:-" + EACCES, dispatch(FuseProtocol.OPEN, 9, image.inode(), 1), "any uid but 0");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "uring"})
    void rootIsServedAndReleasingWhatIsOpenIsLeftToAnyone(String transport) {
        slot(transport);
        assertEquals("1:0", dispatch(FuseProtocol.OPEN, 1, image.inode(), 0), "root opens");
        assertEquals("2:0", dispatch(FuseProtocol.ACCESS, 2, image.inode(), 0), "root's ACCESS");
        assertEquals("3:0", dispatch(FuseProtocol.RELEASE, 3, image.inode(), NOBODY), "RELEASE");
        assertEquals("4:0", dispatch(FuseProtocol.FLUSH, 4, image.inode(), NOBODY), "FLUSH");
        assertEquals("no reply", dispatch(FuseProtocol.FORGET, 5, image.inode(), NOBODY), "FORGET");
    }
}

package dev.vdisk.kube.agentapi;

import dev.vdisk.api.agent.ReplicaChunk;
import dev.vdisk.api.agent.ReplicaPlan;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * The replication service of the agent API on the wire: service {@value #SERVICE} with {@code Export} (server
 * stream of chunks) and {@code Plan} (unary), in a small fixed binary encoding (no .proto: two messages that only
 * our agents speak). A request is {@code (base, snapshot, from)}, strings as UTF with "" for null; a chunk is offset,
 * length, CRC32C, a kind byte (0 zeros, 1 data, 2 unchanged) and the bytes of a data chunk; a plan is size and covered bytes.
 */
final class ReplicaWire {
    static final String SERVICE = "vdisk.agent.v1.ReplicaSource";

    /** A chunk's kind byte. */
    private static final byte ZEROS = 0;

    private static final byte DATA = 1;
    private static final byte UNCHANGED = 2;

    /** What to export: {@code base} null for a seed. */
    record ExportRequest(String base, String snapshot, long from) {}

    static final MethodDescriptor<ExportRequest, ReplicaChunk> EXPORT =
            MethodDescriptor.<ExportRequest, ReplicaChunk>newBuilder()
                    .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
                    .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Export"))
                    .setRequestMarshaller(new RequestMarshaller())
                    .setResponseMarshaller(new ChunkMarshaller())
                    .build();

    static final MethodDescriptor<ExportRequest, ReplicaPlan> PLAN =
            MethodDescriptor.<ExportRequest, ReplicaPlan>newBuilder()
                    .setType(MethodDescriptor.MethodType.UNARY)
                    .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Plan"))
                    .setRequestMarshaller(new RequestMarshaller())
                    .setResponseMarshaller(new PlanMarshaller())
                    .build();

    private ReplicaWire() {}

    private interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    private static InputStream encode(Writer w) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            w.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ByteArrayInputStream(bytes.toByteArray());
    }

    private static final class RequestMarshaller implements MethodDescriptor.Marshaller<ExportRequest> {
        @Override
        public InputStream stream(ExportRequest r) {
            return encode(out -> {
                out.writeUTF(r.base() == null ? "" : r.base());
                out.writeUTF(r.snapshot());
                out.writeLong(r.from());
            });
        }

        @Override
        public ExportRequest parse(InputStream stream) {
            try (DataInputStream in = new DataInputStream(stream)) {
                String base = in.readUTF();
                return new ExportRequest(base.isEmpty() ? null : base, in.readUTF(), in.readLong());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static final class ChunkMarshaller implements MethodDescriptor.Marshaller<ReplicaChunk> {
        @Override
        public InputStream stream(ReplicaChunk c) {
            return encode(out -> {
                out.writeLong(c.offset());
                out.writeLong(c.length());
                out.writeInt(c.crc32c());
                out.writeByte(c.hasData() ? DATA : c.unchanged() ? UNCHANGED : ZEROS);
                if (c.hasData()) {
                    ByteBuffer d = c.data().duplicate();
                    byte[] b = new byte[d.remaining()];
                    d.get(b);
                    out.writeInt(b.length);
                    out.write(b);
                }
            });
        }

        @Override
        public ReplicaChunk parse(InputStream stream) {
            try (DataInputStream in = new DataInputStream(stream)) {
                long offset = in.readLong();
                long length = in.readLong();
                int crc = in.readInt();
                byte kind = in.readByte();
                ByteBuffer data = null;
                if (kind == DATA) {
                    byte[] b = new byte[in.readInt()];
                    in.readFully(b);
                    data = ByteBuffer.wrap(b).asReadOnlyBuffer();
                }
                return new ReplicaChunk(offset, length, data, crc, kind == UNCHANGED);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static final class PlanMarshaller implements MethodDescriptor.Marshaller<ReplicaPlan> {
        @Override
        public InputStream stream(ReplicaPlan p) {
            return encode(out -> {
                out.writeLong(p.sizeBytes());
                out.writeLong(p.coveredBytes());
            });
        }

        @Override
        public ReplicaPlan parse(InputStream stream) {
            try (DataInputStream in = new DataInputStream(stream)) {
                return new ReplicaPlan(in.readLong(), in.readLong());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}

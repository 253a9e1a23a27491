package dev.vdisk.kube.agentapi;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.api.agent.ReplicaChunk;
import dev.vdisk.api.agent.ReplicaPlan;
import dev.vdisk.api.agent.ReplicaSourceApi;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.util.Iterator;

/**
 * The source agent's replication service seen from a pulling agent: {@link ReplicaSourceApi} over the agent API's
 * channel and token ({@link AgentApiClient}). A failed call becomes an {@link AgentException}: NOT_FOUND,
 * INVALID_ARGUMENT and FAILED_PRECONDITION keep their meaning, an authentication refusal is FAILED_PRECONDITION (the
 * pulling agent's account is not admitted: fix the configuration), everything else (unreachable, reset, cancelled,
 * the agent restarting) is IO_ERROR, which the puller answers by resuming from its cursor.
 */
public final class ReplicaSourceClient implements ReplicaSourceApi {
    private final AgentApiClient client;
    private final String address;

    public ReplicaSourceClient(AgentApiClient client, String address) {
        this.client = client;
        this.address = address;
    }

    @Override
    public Iterator<ReplicaChunk> export(String baseSnapshotId, String snapshotId, long fromOffset) {
        ManagedChannel channel = channel();
        ClientCall<ReplicaWire.ExportRequest, ReplicaChunk> call =
                channel.newCall(ReplicaWire.EXPORT, CallOptions.DEFAULT.withCallCredentials(client.bearer()));
        Iterator<ReplicaChunk> it;
        try {
            it = ClientCalls.blockingServerStreamingCall(
                    call, new ReplicaWire.ExportRequest(baseSnapshotId, snapshotId, fromOffset));
        } catch (StatusRuntimeException e) {
            throw failure(e);
        }
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                try {
                    return it.hasNext();
                } catch (StatusRuntimeException e) {
                    throw failure(e);
                }
            }

            @Override
            public ReplicaChunk next() {
                try {
                    return it.next();
                } catch (StatusRuntimeException e) {
                    throw failure(e);
                }
            }
        };
    }

    @Override
    public long snapshotSize(String snapshotId) {
        return exportPlan(null, snapshotId, Long.MAX_VALUE).sizeBytes(); // from past the end: no extents to count
    }

    @Override
    public ReplicaPlan exportPlan(String baseSnapshotId, String snapshotId, long fromOffset) {
        try {
            return ClientCalls.blockingUnaryCall(
                    channel(),
                    ReplicaWire.PLAN,
                    CallOptions.DEFAULT.withCallCredentials(client.bearer()),
                    new ReplicaWire.ExportRequest(baseSnapshotId, snapshotId, fromOffset));
        } catch (StatusRuntimeException e) {
            throw failure(e);
        }
    }

    private ManagedChannel channel() {
        try {
            return client.channelFor(address);
        } catch (StatusRuntimeException e) {
            throw failure(e);
        }
    }

    private AgentException failure(StatusRuntimeException e) {
        AgentReason reason =
                switch (e.getStatus().getCode()) {
                    case NOT_FOUND -> AgentReason.NOT_FOUND;
                    case INVALID_ARGUMENT -> AgentReason.INVALID_ARGUMENT;
                    case FAILED_PRECONDITION, UNAUTHENTICATED, PERMISSION_DENIED -> AgentReason.FAILED_PRECONDITION;
                    default -> AgentReason.IO_ERROR;
                };
        return new AgentException(
                reason,
                "replication stream from the agent at " + address + ": "
                        + e.getStatus().getCode() + " " + e.getStatus().getDescription(),
                e);
    }
}

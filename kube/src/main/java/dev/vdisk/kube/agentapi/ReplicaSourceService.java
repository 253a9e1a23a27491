package dev.vdisk.kube.agentapi;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.ReplicaChunk;
import dev.vdisk.api.agent.ReplicaSourceApi;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Serves this node's snapshots to agents that pull replicas of them ({@link ReplicaWire}). A stream sends a chunk only
 * when the transport is ready for it (the puller's pace and throttle reach the pool's reads, nothing is buffered
 * beyond gRPC's window); it runs on a virtual thread of its own, since the call's callbacks (onReady, cancel) are
 * delivered serialized on the thread that started it.
 */
final class ReplicaSourceService {
    private ReplicaSourceService() {}

    static ServerServiceDefinition of(ReplicaSourceApi source) {
        return ServerServiceDefinition.builder(ReplicaWire.SERVICE)
                .addMethod(
                        ReplicaWire.EXPORT,
                        ServerCalls.asyncServerStreamingCall((req, out) -> export(source, req, out)))
                .addMethod(ReplicaWire.PLAN, ServerCalls.asyncUnaryCall((req, out) -> {
                    try {
                        out.onNext(source.exportPlan(req.base(), req.snapshot(), req.from()));
                        out.onCompleted();
                    } catch (AgentException e) {
                        out.onError(status(e).asRuntimeException());
                    }
                }))
                .build();
    }

    private static void export(
            ReplicaSourceApi source, ReplicaWire.ExportRequest req, StreamObserver<ReplicaChunk> observer) {
        ServerCallStreamObserver<ReplicaChunk> out = (ServerCallStreamObserver<ReplicaChunk>) observer;
        ReentrantLock lock = new ReentrantLock();
        Condition ready = lock.newCondition();
        Runnable wake = () -> {
            lock.lock();
            try {
                ready.signalAll();
            } finally {
                lock.unlock();
            }
        };
        // handlers only before the method returns; the loop on a thread of its own, since the call's callbacks
        // (onReady, cancel) are delivered serialized on the thread that runs this method
        out.setOnReadyHandler(wake);
        out.setOnCancelHandler(wake);
        Thread.ofVirtual().name("replica-export").start(() -> send(source, req, out, lock, ready));
    }

    private static void send(
            ReplicaSourceApi source,
            ReplicaWire.ExportRequest req,
            ServerCallStreamObserver<ReplicaChunk> out,
            ReentrantLock lock,
            Condition ready) {
        try {
            Iterator<ReplicaChunk> it = source.export(req.base(), req.snapshot(), req.from());
            while (it.hasNext()) {
                ReplicaChunk c = it.next();
                lock.lock();
                try {
                    while (!out.isReady() && !out.isCancelled()) {
                        ready.await(100, TimeUnit.MILLISECONDS);
                    }
                } finally {
                    lock.unlock();
                }
                if (out.isCancelled()) {
                    return; // the puller went away; it resumes from its cursor
                }
                out.onNext(c);
            }
            out.onCompleted();
        } catch (AgentException e) {
            out.onError(status(e).asRuntimeException());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            out.onError(
                    Status.CANCELLED.withDescription("the agent is stopping").asRuntimeException());
        } catch (RuntimeException e) {
            out.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
        }
    }

    static Status status(AgentException e) {
        Status s =
                switch (e.reason()) {
                    case NOT_FOUND -> Status.NOT_FOUND;
                    case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
                    case OUT_OF_SPACE -> Status.RESOURCE_EXHAUSTED;
                    case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
                    case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
                    case CORRUPT -> Status.DATA_LOSS;
                    case UNSUPPORTED -> Status.UNIMPLEMENTED;
                    case IO_ERROR -> Status.UNAVAILABLE;
                };
        return s.withDescription(e.getMessage());
    }
}

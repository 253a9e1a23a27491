package dev.vdisk.kube.controller;

import dev.vdisk.controller.service.CapacityOutOfRangeException;
import dev.vdisk.controller.service.NoSuitableNodeException;
import dev.vdisk.controller.service.OperationPendingException;
import dev.vdisk.csi.server.ErrorTranslation;
import dev.vdisk.csi.server.StatusMapper;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/** Calls a CSI service method directly and maps what it throws to a status as the launcher's mapper does. */
final class Csi {

    static final StatusMapper MAPPER = new StatusMapper()
            .register(ErrorTranslation.of(OperationPendingException.class, Status.Code.ABORTED))
            .register(ErrorTranslation.of(CapacityOutOfRangeException.class, Status.Code.OUT_OF_RANGE))
            .register(ErrorTranslation.of(NoSuitableNodeException.class, Status.Code.RESOURCE_EXHAUSTED));

    /** The call failed with this status. */
    static final class Failed extends RuntimeException {
        final Status status;

        Failed(Status status, Throwable cause) {
            super(status.toString(), cause);
            this.status = status;
        }
    }

    private Csi() {}

    static <Q, R> R call(BiConsumer<Q, StreamObserver<R>> method, Q request) {
        List<R> out = new ArrayList<>();
        try {
            method.accept(request, new StreamObserver<>() {
                @Override
                public void onNext(R value) {
                    out.add(value);
                }

                @Override
                public void onError(Throwable t) {
                    throw new IllegalStateException(t);
                }

                @Override
                public void onCompleted() {}
            });
        } catch (RuntimeException e) {
            throw new Failed(MAPPER.toStatus(e), e);
        }
        return out.getFirst();
    }

    static <Q, R> Status.Code code(BiConsumer<Q, StreamObserver<R>> method, Q request) {
        try {
            call(method, request);
            return Status.Code.OK;
        } catch (Failed e) {
            return e.status.getCode();
        }
    }
}

package dev.vdisk.kube.controller;

import io.grpc.stub.StreamObserver;
import java.util.List;

/** A stream observer that collects a server stream's messages and rethrows its error. */
final class Csi2 {

    private Csi2() {}

    static <T> StreamObserver<T> collect(List<T> out) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {
                out.add(value);
            }

            @Override
            public void onError(Throwable t) {
                throw new IllegalStateException(t);
            }

            @Override
            public void onCompleted() {}
        };
    }
}

package dev.vdisk.kube.reconcile;

/** A core/v1 Event's type: Normal for progress, Warning for what someone should look at. */
public enum EventType {
    Normal,
    Warning
}

/** A CSI client for benchmarks: volumes created, staged and published through the driver's own socket. */
package dev.vdisk.bench.csi;

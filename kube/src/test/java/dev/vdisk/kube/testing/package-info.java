/** Helpers the kube tests of several packages share. */
package dev.vdisk.kube.testing;

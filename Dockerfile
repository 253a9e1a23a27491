# One image for every mode of vdisk-csi (controller, node, standalone), with the offline pool tool (vdisk) and the
# kubectl plugin (kubectl-vdisk), for users with a registry at hand: it starts from Temurin's images on Docker Hub
# and has not been built in CI. bin/vdisk-image builds the same layout from Debian packages and Maven Central only
# (no registry; a smaller, jlinked Java), and .ci/run builds and starts that one. Build from the repository root
# with any OCI builder, e.g.
#
#   docker build -t ghcr.io/vdisk-csi/vdisk-csi:0.1.0 .
#   podman build -t ghcr.io/vdisk-csi/vdisk-csi:0.1.0 .
#
# The tag should be the chart's appVersion (charts/vdisk-csi/Chart.yaml), or set image.tag in the chart's values.
# The build stage runs the Maven wrapper (it downloads Maven and the dependencies from Maven Central); the tests run
# in CI (.ci/run), not here. The runtime stage keeps the layout bin/vdisk-csi expects after ./mvnw package:
# bin/, .mvn/jdk25.sh and cds.sh, launcher/target/launcher-*.jar with launcher/target/lib/, engine/target/{classes,lib}.

FROM eclipse-temurin:25-jdk-noble AS build
WORKDIR /src
COPY . .
# the launcher and every module it needs (engine included, for bin/vdisk); e2e and benchmarks are left out
RUN ./mvnw -q -B -DskipTests -pl launcher -am package \
 && mkdir -p /out/launcher/target /out/engine/target /out/.mvn \
 && cp -r bin /out/bin \
 && cp .mvn/jdk25.sh .mvn/cds.sh /out/.mvn/ \
 && cp launcher/target/launcher-*.jar /out/launcher/target/ \
 && cp -r launcher/target/lib /out/launcher/target/lib \
 && cp -r engine/target/classes engine/target/lib /out/engine/target/ \
 && rm -f /out/bin/vdisk-bench /out/bin/vdisk-image

FROM eclipse-temurin:25-jre-noble
# e2fsprogs, xfsprogs: mkfs, resize2fs, xfs_growfs for mount volumes; util-linux: blkid, mount. No fuse3: the node
# plugin opens /dev/fuse and mounts it with mount(2) itself.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends e2fsprogs xfsprogs util-linux \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /opt/vdisk-csi/
ENV PATH=/opt/vdisk-csi/bin:$PATH
# Non-root by default: the controller needs no privilege (the chart runs it as 65532). The node plugin must run as
# root and privileged (loop devices, FUSE, mount(2) with propagation to the host); the chart's DaemonSet says so.
USER 65532:65532
ENTRYPOINT ["/opt/vdisk-csi/bin/vdisk-csi"]

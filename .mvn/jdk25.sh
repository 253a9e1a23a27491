# Sourced by ./mvnw and bin/*: selects a JDK 25 for the build and the launchers.
# The machine's default java may be older (17 here); we never rely on it.
# Order: $JAVA_HOME if it is 25, then $VDISK_JAVA_HOME, then any JDK 25 under /usr/lib/jvm.
# The version comes from the JDK's release file (JAVA_VERSION="25.0.3"): starting a JVM only to ask it costs
# 0.15-0.2 s of every launch (a restart of the node plugin pauses I/O that long); the JVM is asked only when
# the file is missing.
vdisk_java_major() {
  if [ -f "$1/release" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release"
  else
    "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'
  fi
}
vdisk_select_jdk25() {
  if [ -n "${JAVA_HOME-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(vdisk_java_major "$JAVA_HOME")" = 25 ]; then return 0; fi
  case $- in *f*) vdisk_noglob=1; set +f ;; *) vdisk_noglob= ;; esac
  for candidate in ${VDISK_JAVA_HOME-} /usr/lib/jvm/*25* /usr/lib/jvm/*; do
    if [ -x "$candidate/bin/javac" ] && [ "$(vdisk_java_major "$candidate")" = 25 ]; then
      JAVA_HOME="$candidate"; export JAVA_HOME; [ -z "$vdisk_noglob" ] || set -f; return 0
    fi
  done
  [ -z "$vdisk_noglob" ] || set -f
  echo "vdisk-csi needs JDK 25 (found none: JAVA_HOME=${JAVA_HOME-unset}, nothing under /usr/lib/jvm)." >&2
  echo "Install Temurin 25 (e.g. apt-get install temurin-25-jdk) or set VDISK_JAVA_HOME to a JDK 25." >&2
  return 1
}
vdisk_select_jdk25 || exit 1

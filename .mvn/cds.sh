# Sourced by bin/vdisk-csi, bin/vdisk and bin/kubectl-vdisk: the JVM options that make their start cheaper.
#
# vdisk_cds NAME DEFAULT_DIR NEWER...: sets vdisk_cds_opts to class-data sharing with the archive NAME.jsa of the
# classes a start loads, written by the JVM at the exit of a run that found none (or a stale one) and mapped by the
# next starts. The directory must be ours alone (a foreign archive would be code we run): $VDISK_CDS_DIR if set, else
# DEFAULT_DIR in a checkout (the caller's $root has a pom.xml); the image has neither (its containers are fresh at
# every start: an archive would be written at every exit for nothing). The JVM finds an archive older than one of
# the jars NEWER... (a rebuild) stale but does not write it again: we remove it. Empty when no directory fits.
vdisk_cds() {
  vdisk_cds_opts=
  vdisk_cds_name=$1
  vdisk_cds_dir=${VDISK_CDS_DIR-}
  [ -n "$vdisk_cds_dir" ] || { [ ! -f "$root/pom.xml" ] || vdisk_cds_dir=$2; }
  shift 2
  case $vdisk_cds_dir in *[[:space:]]*) vdisk_cds_dir= ;; esac # it goes into one unquoted word
  if [ -n "$vdisk_cds_dir" ] && { [ -d "$vdisk_cds_dir" ] || (umask 077 && mkdir -p "$vdisk_cds_dir"); } 2>/dev/null \
      && [ -O "$vdisk_cds_dir" ] && [ -z "$(find "$vdisk_cds_dir" -maxdepth 0 -perm /022)" ]; then
    vdisk_cds_file=$vdisk_cds_dir/$vdisk_cds_name.jsa
    if [ -f "$vdisk_cds_file" ] && [ -n "$(find "$@" -newer "$vdisk_cds_file" -print | head -n 1)" ]; then
      rm -f "$vdisk_cds_file"
    fi
    vdisk_cds_opts="-XX:+AutoCreateSharedArchive -XX:SharedArchiveFile=$vdisk_cds_file -Xlog:cds=off -Xlog:cds+dynamic=off"
  fi
}

# vdisk_quick ARGS...: true when the command line only asks for help or the version (or is empty: a usage error).
# Such a run ends within a second: the JIT's optimizing compiler would only burn CPU (-XX:TieredStopAtLevel=1 saves
# a third of it); runs that do work keep it.
vdisk_quick() {
  [ $# -gt 0 ] || return 0
  [ "$1" != help ] || return 0
  for vdisk_arg in "$@"; do
    case $vdisk_arg in -h|--help|-V|--version) return 0 ;; --) return 1 ;; esac
  done
  return 1
}

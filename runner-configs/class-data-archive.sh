#!/usr/bin/env bash
# Builds a class-data-sharing (CDS) archive for the job jar. A JVM started with
# -XX:SharedArchiveFile=<archive> maps the 13,000-odd classes a run loads instead of reading,
# parsing and verifying each from the jar: 1 to 1.3 s less per Flink local run on the 2-core
# project machine (see "Runners" in pipelines/README.md). The classes are listed from two runs
# of the bundled sample, on the Direct runner and on Flink local, so one archive serves both.
#
# The archive belongs to one build of the jar: rebuild it after every build. A JVM given an
# archive of another build (or another JDK) warns and runs without it, nothing worse.
#
# usage: runner-configs/class-data-archive.sh [JAR [ARCHIVE]]
#   JAR      default pipelines/target/audience-segmenter-pipelines-0.1.0-SNAPSHOT.jar
#   ARCHIVE  default the jar's path with .jsa for .jar
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
jar=${1:-$root/pipelines/target/audience-segmenter-pipelines-0.1.0-SNAPSHOT.jar}
if [[ ! -f $jar ]]; then
  echo "class-data-archive: no jar at $jar (build it first: mvn -B -q -DskipTests package)" >&2
  exit 2
fi
jar=$(cd "$(dirname "$jar")" && pwd)/$(basename "$jar")
archive=${2:-${jar%.jar}.jsa}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

list_classes() {  # $1: runner args file, $2: class list to write
  (cd "$root" && java -XX:DumpLoadedClassList="$2" -XX:TieredStopAtLevel=1 -XX:+UseParallelGC \
    -jar "$jar" @"runner-configs/$1" --input='sample/events/*' \
    --profiles='sample/profiles/*' --segments=sample/segments.yaml --asOf=2024-06-30 \
    --output="$work/out-$1/" > "$work/run-$1.log" 2>&1) || {
    echo "class-data-archive: the sample run with $1 failed; its log:" >&2
    tail -20 "$work/run-$1.log" >&2
    exit 1
  }
}

list_classes direct.args "$work/direct.lst"
list_classes flink-local.args "$work/flink.lst"
# Each list keeps its order (a class after its super classes); the second adds what is new.
awk '!seen[$0]++' "$work/flink.lst" "$work/direct.lst" > "$work/classes.lst"
java -Xshare:dump -XX:SharedClassListFile="$work/classes.lst" -XX:SharedArchiveFile="$archive" \
  -jar "$jar" > "$work/dump.log" 2>&1 || {
  echo "class-data-archive: the dump failed; its log:" >&2
  tail -20 "$work/dump.log" >&2
  exit 1
}
echo "class-data-archive: $(grep -vc "^[#@]" "$work/classes.lst") classes in $archive"
echo "run with: java -XX:SharedArchiveFile=$archive ... -jar $jar ..."

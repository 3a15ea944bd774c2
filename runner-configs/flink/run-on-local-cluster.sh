#!/usr/bin/env bash
# Runs the segmentation job on a real Flink 1.19 session cluster on this machine: starts a
# JobManager and a TaskManager as two separate JVMs (from the packaged job jar, which carries
# Flink's runtime; no Flink download), submits the job to the cluster's REST endpoint, waits
# for it, checks its output, and stops the cluster whatever happens.
#
#   mvn -B -DskipTests package                      # builds pipelines/target/*.jar
#   runner-configs/flink/run-on-local-cluster.sh [job options...]
#
# Without job options it runs the bundled sample and checks that every one of its customers
# has features, segments and a summary; and it checks that no credential leaks (SECRET_CHECK,
# below). Extra options are passed to the job (they override the sample's). Environment: OUTPUT
# (default: a scratch folder), KEEP=1 keeps the scratch folder, TIMEOUT_SECONDS for the job
# (default 900), SECRET_CHECK=0 skips the credential check.
#
# The credential check (without job options): the sample job also syncs to HubSpot (token in a
# file, --hubspotAccessTokenFile) and Klaviyo (key in an environment variable of the daemons,
# --klaviyoApiKeyEnv), both played by FakeVendor.java, which refuses every request with an
# answer that repeats the token. Random sentinel tokens are used; the check fails if the
# vendor did not receive them (the workers resolved them), if a token given as a value is not
# refused at launch, or if any token appears in the cluster's REST answers (job config, plan,
# exceptions, accumulators, JobManager and TaskManager details and logs), the daemons' and the
# client's logs, the job's outputs, dead letters and sync state, or the cluster's folders.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/runner-configs/flink"
JAR=$(ls "$ROOT"/pipelines/target/audience-segmenter-pipelines-*.jar 2>/dev/null \
  | grep -v -e original -e sources -e tests | head -1 || true)
if [ -z "$JAR" ]; then
  echo "No job jar in pipelines/target: run 'mvn -B -DskipTests package' first" >&2
  exit 2
fi
command -v curl >/dev/null || { echo "run-on-local-cluster.sh needs curl" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/flink-cluster.XXXXXX")
OUTPUT=${OUTPUT:-$WORK/out}
TIMEOUT_SECONDS=${TIMEOUT_SECONDS:-900}
JM_PID=
TM_PID=
VENDOR_PID=
SECRET_CHECK=${SECRET_CHECK:-1}
[ "$#" = 0 ] || SECRET_CHECK=0

log() { echo "[flink-cluster] $*" >&2; }

stop_cluster() {
  local status=$?
  for pid in $TM_PID $JM_PID $VENDOR_PID; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in $TM_PID $JM_PID $VENDOR_PID; do
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ "$status" != 0 ]; then
    log "failed (exit $status); last lines of the daemons' logs:"
    tail -n 30 "$WORK/jobmanager.log" "$WORK/taskmanager.log" 2>/dev/null >&2 || true
  fi
  if [ "${KEEP:-0}" = 1 ]; then
    log "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap stop_cluster EXIT

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
}

RPC_PORT=$(free_port)
REST_PORT=$(free_port)
while [ "$REST_PORT" = "$RPC_PORT" ]; do REST_PORT=$(free_port); done
mkdir -p "$WORK/conf" "$WORK/tmp" "$WORK/blobs" "$WORK/web"
sed -e "s|@RPC_PORT@|$RPC_PORT|g" -e "s|@REST_PORT@|$REST_PORT|g" -e "s|@WORK@|$WORK|g" \
  "$HERE/flink-conf.yaml" > "$WORK/conf/flink-conf.yaml"

# Flink's start scripts size each JVM from the configuration with BashJavaUtils: its last two
# result lines are the JVM flags and the derived settings (-D key=value).
resource_params() {
  java -cp "$JAR" org.apache.flink.runtime.util.bash.BashJavaUtils "$1" \
    --configDir "$WORK/conf" 2>/dev/null | grep '^BASH_JAVA_UTILS_EXEC_RESULT:' \
    | sed 's/^BASH_JAVA_UTILS_EXEC_RESULT://'
}
mapfile -t JM_PARAMS < <(resource_params GET_JM_RESOURCE_PARAMS)
mapfile -t TM_PARAMS < <(resource_params GET_TM_RESOURCE_PARAMS)
if [ "${#JM_PARAMS[@]}" -lt 2 ] || [ "${#TM_PARAMS[@]}" -lt 2 ]; then
  log "could not derive the daemons' memory settings from $WORK/conf/flink-conf.yaml"
  exit 1
fi

random_hex() { od -An -N12 -tx1 /dev/urandom | tr -d ' \n'; }
if [ "$SECRET_CHECK" = 1 ]; then
  # Sentinels: the HubSpot token in a file only the workers read, the Klaviyo key in an
  # environment variable the daemons inherit, and a third token given as a value (refused).
  mkdir -m 700 "$WORK/secrets"
  HUBSPOT_SENTINEL="pat-na1-leakcheck-$(random_hex)"
  LEAKCHECK_KLAVIYO_KEY="pk_leakcheck_$(random_hex)"
  VALUE_SENTINEL="pat-na1-valuecheck-$(random_hex)"
  export LEAKCHECK_KLAVIYO_KEY
  (umask 077 && printf '%s\n' "$HUBSPOT_SENTINEL" > "$WORK/secrets/hubspot-token")
  java "$HERE/FakeVendor.java" "$WORK/secrets/vendor.port" "$WORK/secrets/vendor.stats" \
    "$WORK/secrets/hubspot-token" LEAKCHECK_KLAVIYO_KEY > "$WORK/secrets/vendor.log" 2>&1 &
  VENDOR_PID=$!
  for _ in $(seq 1 60); do
    [ -s "$WORK/secrets/vendor.port" ] && break
    sleep 0.5
  done
  [ -s "$WORK/secrets/vendor.port" ] || { log "the fake vendor did not start"; exit 1; }
  VENDOR="http://127.0.0.1:$(cat "$WORK/secrets/vendor.port")"
fi

log "starting a JobManager (REST port $REST_PORT) and a TaskManager in $WORK"
# shellcheck disable=SC2086 # the JVM flags and -D settings are word lists
java ${JM_PARAMS[0]} -Xss16m -cp "$JAR" \
  org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint \
  --configDir "$WORK/conf" ${JM_PARAMS[1]} > "$WORK/jobmanager.log" 2>&1 &
JM_PID=$!
# shellcheck disable=SC2086
java ${TM_PARAMS[0]} -Xss16m -XX:+UseParallelGC -cp "$JAR" \
  org.apache.flink.runtime.taskexecutor.TaskManagerRunner \
  --configDir "$WORK/conf" ${TM_PARAMS[1]} > "$WORK/taskmanager.log" 2>&1 &
TM_PID=$!

REST="http://127.0.0.1:$REST_PORT"
for i in $(seq 1 120); do
  if curl -fsS "$REST/overview" 2>/dev/null | grep -q '"taskmanagers":1'; then
    log "cluster up after ${i}s: $(curl -fsS "$REST/overview")"
    break
  fi
  for pid in $JM_PID $TM_PID; do
    kill -0 "$pid" 2>/dev/null || { log "a daemon (pid $pid) exited during start"; exit 1; }
  done
  if [ "$i" = 120 ]; then
    log "no TaskManager registered within 120 s"
    exit 1
  fi
  sleep 1
done

JOB_ARGS=()
if [ "$#" = 0 ]; then
  JOB_ARGS=("--input=$ROOT/sample/events/*" "--profiles=$ROOT/sample/profiles/*"
    "--segments=$ROOT/sample/segments.yaml" "--asOf=2024-06-30")
fi
submit() {
  timeout "$TIMEOUT_SECONDS" java -Xss16m -jar "$JAR" --runner=FlinkRunner \
    --flinkMaster="127.0.0.1:$REST_PORT" --parallelism=2 --reIterableGroupByKeyResult=true \
    --output="$OUTPUT" "$@"
}
if [ "$SECRET_CHECK" = 1 ]; then
  # A token given as a value cannot reach the cluster's workers (it is kept out of the job):
  # the launch is refused, naming the option and not the value.
  if submit "${JOB_ARGS[@]}" --sinks=hubspot --syncState="$WORK/sync-state" \
      --hubspotBaseUrl="$VENDOR" \
      --hubspotAccessToken="$VALUE_SENTINEL" > "$WORK/refused.out" 2>&1; then
    log "a token given as a value was not refused for a cluster run"
    exit 1
  fi
  if ! grep -q -- '--hubspotAccessToken is for runs whose workers are this process' \
      "$WORK/refused.out"; then
    log "the refused launch did not say why:"; tail -n 20 "$WORK/refused.out" >&2
    exit 1
  fi
  log "a token given as a value was refused at launch, as expected"
  JOB_ARGS+=("--sinks=hubspot,klaviyo" "--syncState=$WORK/sync-state" "--hubspotBaseUrl=$VENDOR"
    "--hubspotAccessTokenFile=$WORK/secrets/hubspot-token" "--klaviyoBaseUrl=$VENDOR"
    "--klaviyoApiKeyEnv=LEAKCHECK_KLAVIYO_KEY")
fi
log "submitting $(basename "$JAR") to $REST"
started=$(date +%s)
# the client's log (stderr) is kept too: it is checked for credentials
submit "${JOB_ARGS[@]}" "$@" 2>&1 | tee "$WORK/job.out"
log "job finished in $(( $(date +%s) - started )) s"

# The cluster ran it: its REST API lists one finished job and no failed one.
jobs=$(curl -fsS "$REST/jobs/overview")
finished=$(grep -o '"state":"FINISHED"' <<<"$jobs" | wc -l || true)
failed=$(grep -o '"state":"FAILED"' <<<"$jobs" | wc -l || true)
if [ "$finished" -lt 1 ] || [ "$failed" != 0 ]; then
  log "the cluster does not list the job as finished: $jobs"
  exit 1
fi

# The output: every resolved customer has one features row, and there are segments and a summary.
count_rows() { cat "$OUTPUT/$1"/*.jsonl 2>/dev/null | grep -c . || true; }
customers=$(cat "$OUTPUT"/identities/*.jsonl | { grep -o '"customer_id":"[^"]*"' || true; } \
  | sort -u | wc -l)
features=$(count_rows features)
segments=$(count_rows segments)
summary=$(count_rows summary)
log "customers $customers, features rows $features, memberships $segments, summary rows $summary"
if [ "$customers" = 0 ] || [ "$features" != "$customers" ] || [ "$segments" = 0 ] \
    || [ "$summary" = 0 ]; then
  log "unexpected output in $OUTPUT"
  exit 1
fi
if [ "$#" = 0 ] && [ "$customers" != 2000 ]; then
  log "the bundled sample has 2000 customers, the job resolved $customers"
  exit 1
fi
log "OK: the job ran on the cluster and its output is complete"

if [ "$SECRET_CHECK" != 1 ]; then
  exit 0
fi
# The workers resolved the references: the vendor got both sentinels.
log "fake vendor: $(tr '\n' ' ' < "$WORK/secrets/vendor.stats")"
for vendor in hubspot klaviyo; do
  if ! grep -Eq "^$vendor requests=[0-9]+ authorized=[1-9]" "$WORK/secrets/vendor.stats"; then
    log "$vendor never received its token: the workers did not resolve the credential"
    exit 1
  fi
done
# The vendor's refusals were dead-lettered, with the token it repeated masked.
refused=$(cat "$OUTPUT"/dead-letter/*.jsonl 2>/dev/null \
  | grep -F '"Send to hubspot' | grep -cF 'Authentication failed for' || true)
masked=$(cat "$OUTPUT"/dead-letter/*.jsonl 2>/dev/null \
  | grep -F '"Send to hubspot' | grep -cF "'Bearer ****'" || true)
log "HubSpot dead letters $refused, with the repeated token masked $masked"
if [ "$refused" = 0 ] || [ "$masked" != "$refused" ]; then
  log "the vendor's refusals were not dead-lettered with the token masked"
  exit 1
fi
# What the cluster shows: every REST answer about the job and the daemons.
mkdir -p "$WORK/rest"
fetch() { curl -fsS "$REST$1" > "$WORK/rest/$(tr '/' '_' <<<"$1").json"; }
JOB_ID=$(curl -fsS "$REST/jobs/overview" | grep -o '"jid":"[0-9a-f]*"' | head -1 | cut -d'"' -f4)
TM_ID=$(curl -fsS "$REST/taskmanagers" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
for path in /jobs/overview "/jobs/$JOB_ID" "/jobs/$JOB_ID/config" "/jobs/$JOB_ID/plan" \
    "/jobs/$JOB_ID/exceptions" "/jobs/$JOB_ID/accumulators" /jobmanager/config \
    /jobmanager/environment /taskmanagers "/taskmanagers/$TM_ID" /jobmanager/logs \
    "/taskmanagers/$TM_ID/logs"; do
  fetch "$path" || { log "GET $path failed"; exit 1; }
done
for vertex in $(grep -o '"id":"[0-9a-f]\{32\}"' "$WORK/rest/_jobs_$JOB_ID.json" | cut -d'"' -f4 \
    | sort -u); do
  fetch "/jobs/$JOB_ID/vertices/$vertex/accumulators" || true
done
if ! grep -q '"execution-config"' "$WORK/rest/_jobs_${JOB_ID}_config.json"; then
  log "unexpected job config answer"; exit 1
fi
# The sentinels anywhere: REST answers, logs (daemons and client), outputs, dead letters, sync
# state, the cluster's blob, upload and temp folders. Only the secrets folder may hold them.
grep -qaF -- "$HUBSPOT_SENTINEL" "$WORK/secrets/hubspot-token" \
  || { log "self-check failed: the search does not find the sentinel in its own file"; exit 1; }
leaks=0
for token in "$HUBSPOT_SENTINEL" "$LEAKCHECK_KLAVIYO_KEY" "$VALUE_SENTINEL"; do
  found=$(grep -rlaF --exclude-dir=secrets -- "$token" "$WORK" "$OUTPUT" 2>/dev/null \
    | sort -u || true)
  if [ -n "$found" ]; then
    log "a sentinel credential leaked into: $(tr '\n' ' ' <<<"$found")"
    leaks=1
  fi
done
[ "$leaks" = 0 ] || exit 1
log "OK: no credential in the REST API ($(ls "$WORK/rest" | wc -l) answers), logs, outputs," \
  "dead letters or cluster folders; the workers resolved the file and the variable"

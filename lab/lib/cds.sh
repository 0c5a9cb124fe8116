# shellcheck shell=bash
# Class data sharing (CDS) for the lab's JVMs. `lab up` starts up to seven Spring Boot JVMs at once
# (agents, monitors, the lb-plugin) and waits for them: on a 2-core machine most of a lab's start,
# and most of the tests' time. Each jar is extracted once with Spring Boot's tools jarmode (the
# application jar beside its libraries: the JVM archives classes from a plain class path, not from
# nested jars) and trained once: -XX:ArchiveClassesAtExit with -Dspring.context.exit=onRefresh
# builds the application context and exits before anything starts. The training runs in a
# throwaway namespace, so that no bean's check touches the host's network. Archives are keyed by
# the jar's size and time, so a rebuilt jar gets a new one. Without an archive (training failed or
# TRODS_LAB_CDS=off) a JVM starts from its jar as before; one whose archive does not match its
# class path starts without it (-Xshare:auto, the JVM's default).

LAB_CDS_DIR=${TRODS_LAB_CDS_DIR:-/var/cache/trods-lab/cds}
LAB_CDS_TRAINING_SECONDS=120

# Where a jar's extraction and archive live.
cds_dir() { echo "$LAB_CDS_DIR/$(basename "$1" .jar)-$(stat -c '%s-%Y' "$1")"; }

# Sets JAR_ARGS to the java arguments that run the jar: its archive and extracted jar, or -jar JAR.
cds_jar_args() {
  local jar=$1 dir
  dir=$(cds_dir "$jar")
  if [ "${TRODS_LAB_CDS:-on}" != off ] && [ -f "$dir/app.jsa" ]; then
    JAR_ARGS=(-XX:SharedArchiveFile="$dir/app.jsa" -jar "$dir/app/$(basename "$jar")")
  else
    JAR_ARGS=(-jar "$jar")
  fi
}

# Extracts and trains the jar (its arguments after it) unless it has an archive already; in a
# namespace of its own named after NAME. A failure is reported and leaves the jar without one.
cds_train() {
  local name=$1 jar=$2 dir ns=${LAB_NS_PREFIX}cds-$1
  shift 2
  [ "${TRODS_LAB_CDS:-on}" != off ] && [ -f "$jar" ] || return 0
  dir=$(cds_dir "$jar")
  # One try per build: a training that failed is not repeated at every lab up.
  [ ! -f "$dir/app.jsa" ] && [ ! -f "$dir/failed" ] || return 0
  say "Training class data sharing for $(basename "$jar") (once per build)"
  rm -rf "$LAB_CDS_DIR/$(basename "$jar" .jar)"-*
  mkdir -p "$dir"
  ip netns add "$ns" && ip -n "$ns" link set lo up || { warn "class data sharing: no namespace for $name"; return 0; }
  if java -Djarmode=tools -jar "$jar" extract --destination "$dir/app" >"$dir/extract.out" 2>&1 &&
    (cd "$dir" && TRODS_ADMIN_USER=cds TRODS_ADMIN_PASSWORD=cds-training \
      timeout "$LAB_CDS_TRAINING_SECONDS" ip netns exec "$ns" java -Xmx256m -XX:+UseSerialGC \
      -XX:ArchiveClassesAtExit="$dir/app.jsa.tmp" -Dspring.context.exit=onRefresh \
      -jar "$dir/app/$(basename "$jar")" "$@" --logging.file.name="$dir/training.log" \
      </dev/null >"$dir/training.out" 2>&1 9>&-) && [ -s "$dir/app.jsa.tmp" ]; then
    mv "$dir/app.jsa.tmp" "$dir/app.jsa"
  else
    touch "$dir/failed"
    warn "class data sharing: no archive for $(basename "$jar") (see $dir); it starts without one"
  fi
  ip netns del "$ns" 2>/dev/null || true
}

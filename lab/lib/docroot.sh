# shellcheck shell=bash
# The default docroot: deterministic objects of several sizes, the same bytes on every machine, so
# that a checksum printed anywhere can be compared with one printed here. Each object is the AES-CTR
# keystream of a key derived from its name (fast, incompressible, reproducible); the expected
# SHA-256 sums are pinned in lab/docroot.sha256 and checked after generation.

LAB_OBJECTS=("1K.bin:1024" "1M.bin:1048576" "16M.bin:16777216" "64M.bin:67108864")

generate_object() {
  local name=$1 size=$2 out=$3 key
  key=$(printf 'trods-lab-object:%s' "$name" | sha256sum | cut -c1-32)
  # openssl ends on SIGPIPE when head has enough: expected, hence the `|| true`.
  { openssl enc -aes-128-ctr -K "$key" -iv 00000000000000000000000000000000 </dev/zero 2>/dev/null || true; } |
    head -c "$size" >"$out.tmp"
  mv "$out.tmp" "$out"
}

# Creates or repairs the default docroot; cheap when it is already complete and correct.
ensure_default_docroot() {
  local root=$1 dir=$1/obj pinned=$TRODS_HOME/lab/docroot.sha256 spec name size
  mkdir -p "$dir"
  chmod 755 "$root" "$dir" "$(dirname "$root")"
  if [ -f "$dir/SHA256SUMS" ] && cmp -s "$dir/SHA256SUMS" "$pinned" && [ -f "$dir/.verified" ]; then
    return 0
  fi
  say "Generating the default docroot in $root (deterministic objects, once)"
  for spec in "${LAB_OBJECTS[@]}"; do
    name=${spec%%:*}; size=${spec#*:}
    generate_object "$name" "$size" "$dir/$name"
    chmod 644 "$dir/$name"
  done
  (cd "$dir" && sha256sum "${LAB_OBJECTS[@]%%:*}") >"$dir/SHA256SUMS"
  chmod 644 "$dir/SHA256SUMS"
  cmp -s "$dir/SHA256SUMS" "$pinned" ||
    die "the generated objects do not match lab/docroot.sha256 (openssl's AES-CTR output changed?): $(diff "$pinned" "$dir/SHA256SUMS" | tr '\n' ' ')"
  touch "$dir/.verified"
}

# Writes "path size sha256" for every object of a docroot: the published checksum list where one
# exists next to the objects, otherwise computed here (once per `lab up`).
list_objects() {
  local root=$1 file rel sum
  while IFS= read -r -d '' file; do
    rel=${file#"$root"}
    sum=""
    if [ -f "$(dirname "$file")/SHA256SUMS" ]; then
      sum=$(awk -v n="$(basename "$file")" '$2 == n || $2 == "*"n {print $1}' "$(dirname "$file")/SHA256SUMS")
    fi
    [ -n "$sum" ] || sum=$(sha256sum "$file" | cut -d' ' -f1)
    printf '%s %s %s\n' "$rel" "$(stat -c %s "$file")" "$sum"
  done < <(find "$root" -type f ! -name SHA256SUMS ! -name '.*' -print0 | sort -z)
}

#!/usr/bin/env bash
# The RustSec advisory snapshot that `cargo deny` reads (see README.md beside this script).
#   advisory-db.sh check    every crate in Cargo.lock is covered by the snapshot (run by `make lint`)
#   advisory-db.sh refresh  take every advisory for the crates in Cargo.lock from the real database
#                           (needs GitHub); ADVISORY_DB_URL overrides where it is cloned from
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# The directory name is the one cargo-deny derives from deny.toml's db-urls entry.
db="$here/advisory-dbs/advisory-db-3157b0e258782691"
covered="$here/covered-crates.txt"

# Names of the crates.io packages in Cargo.lock, one per line, sorted.
lock_crates() {
  awk '/^\[\[package\]\]/{n=""} /^name = /{n=$3} /^source = "registry\+/{gsub(/"/,"",n); print n}' \
    "$root/Cargo.lock" | sort -u
}

case "${1:-}" in
  check)
    missing=$(comm -23 <(lock_crates) <(sort -u "$covered"))
    if [ -n "$missing" ]; then
      echo "advisory snapshot: no entry for these crates in Cargo.lock:" >&2
      printf '  %s\n' $missing >&2
      echo "run 'make advisory-db' where GitHub is reachable, or check each crate's folder in" >&2
      echo "the RustSec database by hand, copy its advisories and add the name to $covered" >&2
      exit 1
    fi
    echo "advisory snapshot covers all $(lock_crates | wc -l) crates in Cargo.lock ($(sed -n 's/^date: //p' "$here/SNAPSHOT"))"
    ;;
  refresh)
    url="${ADVISORY_DB_URL:-https://github.com/rustsec/advisory-db}"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    git clone --quiet --depth 1 "$url" "$tmp/advisory-db"
    rm -rf "$db/crates"
    mkdir -p "$db/crates"
    lock_crates > "$tmp/names"
    while read -r name; do
      src="$tmp/advisory-db/crates/$name"
      [ -d "$src" ] || continue
      mkdir -p "$db/crates/$name"
      # RUSTSEC-0000-0000 is the placeholder id of advisories still under review.
      find "$src" -maxdepth 1 -name 'RUSTSEC-*.md' ! -name 'RUSTSEC-0000-*' -exec cp {} "$db/crates/$name/" \;
      rmdir --ignore-fail-on-non-empty "$db/crates/$name"
    done < "$tmp/names"
    cp "$tmp/names" "$covered"
    {
      echo "source: $url"
      echo "commit: $(git -C "$tmp/advisory-db" rev-parse HEAD)"
      echo "date: $(git -C "$tmp/advisory-db" log -1 --format=%cs)"
      echo "refreshed: $(date -u +%F)"
    } > "$here/SNAPSHOT"
    echo "advisory snapshot: $(find "$db/crates" -name '*.md' | wc -l) advisories for $(wc -l < "$covered") crates"
    ;;
  *)
    echo "usage: $0 check|refresh" >&2
    exit 2
    ;;
esac

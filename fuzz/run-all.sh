#!/usr/bin/env bash
# Builds and runs every cargo-fuzz target of Faktura for N seconds each (default 60), one
# after another, and prints executions per second and total executions per target.
#
# Usage: fuzz/run-all.sh [SECONDS] [TARGET...]
#   SECONDS   run time per target (default 60)
#   TARGET    only these targets (default: all, from `fuzz/` and `crates/pdf/fuzz/`)
# Environment:
#   FUZZ_SANITIZER  address (default) or none, if AddressSanitizer does not link
#   FUZZ_RSS_MB     libFuzzer's -rss_limit_mb (default 2048)
#   FUZZ_JOBS       not used: targets run one at a time on purpose (shared machines)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). On a stable toolchain it sets
# RUSTC_BOOTSTRAP=1, because cargo-fuzz passes -Zsanitizer and other unstable flags.
# Seeds: on first run each corpus is seeded from ../shared/conformance when it is empty, with
# a random sample of FUZZ_SEEDS files (default 300) under 64 KiB: libFuzzer runs every seed
# before its clock starts, and all 2,600 XML files take ~6 min under ASan on a busy machine.
# Crashes land in <fuzz dir>/artifacts/<target>/; the script exits 1 if any target crashed.
# For a developer or a nightly job; not part of .ci/run.
set -uo pipefail

secs="${1:-60}"
shift || true
root="$(cd "$(dirname "$0")/.." && pwd)"
shared="${FAKTURA_SHARED:-$root/../shared}"
sanitizer="${FUZZ_SANITIZER:-address}"
rss="${FUZZ_RSS_MB:-2048}"
export RUSTC_BOOTSTRAP=1
logs="$root/fuzz/artifacts/logs"
mkdir -p "$logs"

command -v cargo-fuzz >/dev/null || {
    echo "cargo-fuzz is not installed: run 'cargo install cargo-fuzz --locked'" >&2
    exit 2
}

# target -> fuzz dir (relative to the repository root)
declare -A dir_of
for d in fuzz crates/pdf/fuzz; do
    for t in $(cd "$root/$d" && cargo fuzz list 2>/dev/null); do
        dir_of[$t]="$d"
    done
done
if [ $# -gt 0 ]; then targets=("$@"); else targets=($(printf '%s\n' "${!dir_of[@]}" | sort)); fi

# Seeds a target's corpus from the conformance files when it is empty (never committed).
seed() {
    local t="$1" corpus="$2" c="$shared/conformance"
    mkdir -p "$corpus"
    [ -n "$(ls -A "$corpus")" ] && return
    [ -d "$c" ] || return
    case "$t" in
    validate | xsd) find "$c" -name '*.xml' -size -64k -not -path '*/rules/*' ;;
    einvoice_cii) find "$c" -name '*.xml' -size -64k -not -path '*/rules/*' | xargs grep -l CrossIndustryInvoice ;;
    einvoice_ubl) find "$c" -name '*.xml' -size -64k -not -path '*/rules/*' | xargs grep -L CrossIndustryInvoice ;;
    facturx_extract) find "$c" -name '*.pdf' ;;
    audit_export) (cd "$root/fuzz" && cargo run -q --example audit_seeds -- "$corpus") >&2 ;;
    *) ;;
    esac | shuf -n "${FUZZ_SEEDS:-300}" | while read -r f; do
        n="$corpus/$(sha1sum "$f" | cut -c1-16)"
        cp "$f" "$n" && chmod u+w "$n"
    done
}

failed=0
printf '%-18s %10s %14s %8s %s\n' target exec/s executions crashed log
for t in "${targets[@]}"; do
    d="${dir_of[$t]:-}"
    if [ -z "$d" ]; then echo "unknown target $t" >&2; failed=1; continue; fi
    seed "$t" "$root/$d/corpus/$t"
    log="$logs/$t.log"
    (cd "$root/$d" && cargo fuzz build -s "$sanitizer" "$t") >"$log.build" 2>&1 || {
        echo "$t: build failed, see $log.build" >&2; failed=1; continue
    }
    (cd "$root/$d" && cargo fuzz run -s "$sanitizer" "$t" -- \
        -max_total_time="$secs" -rss_limit_mb="$rss" -timeout=30 -print_final_stats=1) >"$log" 2>&1
    rc=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    rate=$(grep -o 'exec/s: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    crashed=no
    [ "$rc" -ne 0 ] && { crashed=yes; failed=1; }
    printf '%-18s %10s %14s %8s %s\n' "$t" "${rate:-?}" "${execs:-?}" "$crashed" "$log"
done
exit "$failed"

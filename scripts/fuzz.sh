#!/usr/bin/env bash
# fuzz.sh MODULE [FUZZTIME]: run every fuzz test of a module, one after
# another, each for FUZZTIME (default 30s). `make fuzz-v1` calls it.
set -euo pipefail
module=${1:?usage: fuzz.sh MODULE [FUZZTIME]}
fuzztime=${2:-30s}
cd "$(dirname "$0")/../$module"
found=0
while IFS=: read -r file func; do
	pkg=./$(dirname "$file")
	echo "== $module $pkg $func ($fuzztime)"
	go test -run='^$' -fuzz="^${func}\$" -fuzztime="$fuzztime" "$pkg"
	found=$((found + 1))
done < <(grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . | sed 's/func //' | sort)
echo "$found fuzz tests run in $module"
[ "$found" -gt 0 ]

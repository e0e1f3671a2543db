#!/usr/bin/env bash
# Compiles SOURCE, which must not compile, and checks that the compiler's messages hold
# each EXPECTED text.
#   expect_error.sh SOURCE INCLUDE_DIR EXPECTED... -- COMPILER...
set -uo pipefail
source=$1 include_dir=$2
shift 2
expected=()
while [ "$1" != "--" ]; do expected+=("$1"); shift; done
shift
if output=$("$@" -std=c++20 -fsyntax-only -I"$include_dir" "$source" 2>&1); then
  echo "$source compiled, but must not"
  exit 1
fi
status=0
for text in "${expected[@]}"; do
  if ! grep -qF -- "$text" <<<"$output"; then
    echo "the error does not say: $text"
    status=1
  fi
done
[ "$status" -eq 0 ] || printf '%s\n' "$output" | head -n 40
exit "$status"

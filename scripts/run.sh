#!/usr/bin/env bash
# Runs a command with kiln's tools first on PATH, after an idempotent setup (fast when cached).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$(bash "$here/setup.sh")"
export PATH="$bin:$PATH"
exec "$@"

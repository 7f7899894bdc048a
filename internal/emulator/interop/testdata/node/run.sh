#!/bin/sh
# make interop-node: install the official TypeScript SDKs from the npm registry into a throwaway
# directory, serve the emulator with this project's own binary from state.json, and run
# interop.cjs against it. Prints how long each step took. Needs go, node and npm.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../../.." && pwd)
GO=${GO:-go}
ECS_SDK=${ECS_SDK:-@alicloud/ecs20140526@7.11.6}
OPENAPI_SDK=${OPENAPI_SDK:-@alicloud/openapi-client@0.4.15}

dir=$(mktemp -d)
emulator_pid=
cleanup() {
	if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ms() { date +%s%3N; }
step() { printf 'interop-node: %s took %d ms\n' "$1" $(( $(ms) - $2 )); }

t=$(ms)
(cd "$root" && "$GO" build -o "$dir/absr-autopair" .)
step "building the binary" "$t"

t=$(ms)
printf '{"private": true}\n' > "$dir/package.json"
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$ECS_SDK" "$OPENAPI_SDK" >/dev/null
step "npm install $ECS_SDK $OPENAPI_SDK" "$t"

t=$(ms)
"$dir/absr-autopair" emulator -state "$here/state.json" -addr 127.0.0.1:0 >"$dir/emulator.out" 2>&1 &
emulator_pid=$!
url=
for _ in $(seq 100); do
	url=$(sed -n 1p "$dir/emulator.out")
	case "$url" in http://*) break ;; esac
	if ! kill -0 "$emulator_pid" 2>/dev/null; then cat "$dir/emulator.out" >&2; exit 1; fi
	sleep 0.1
done
case "$url" in http://*) ;; *) echo "interop-node: the emulator did not start" >&2; cat "$dir/emulator.out" >&2; exit 1 ;; esac
step "starting the emulator at $url" "$t"

t=$(ms)
cp "$here/interop.cjs" "$dir/"
EMULATOR_ADDR=${url#http://} node "$dir/interop.cjs"
step "the node scenarios" "$t"

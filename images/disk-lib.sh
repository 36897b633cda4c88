# disk-lib.sh: shared by build-disk, inject and catalog (sourced, not run).
# Finds vigil-agent and the vigil-guestfs helper; progress and errors.
# The caller sets `prog` (its name) and `quiet`.

say() { [ "${quiet:-0}" = 1 ] || printf '%s: %s\n' "$prog" "$*" >&2; }
die() {
	printf '%s: error: %s\n' "$prog" "$*" >&2
	exit 1
}

lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# build_target BUILD_DIR TARGET: (re)builds one ninja target quietly.
build_target() {
	[ -f "$1/build.ninja" ] || die "--build-dir $1: not a configured meson build dir"
	if [ "${quiet:-0}" = 1 ]; then
		ninja -C "$1" "$2" >/dev/null || die "building $2 in $1 failed"
	else
		ninja -C "$1" "$2" >&2 || die "building $2 in $1 failed"
	fi
}

# find_agent BUILD_DIR AGENT: sets `agent` to an absolute path of a static
# vigil-agent: AGENT, else BUILD_DIR's (built first), else the installed one
# or ./build's. A dynamically linked agent would need the guest's libraries.
find_agent() {
	local build_dir=$1 c
	agent=$2
	if [ -z "$agent" ] && [ -n "$build_dir" ]; then
		build_target "$build_dir" guest-agent/vigil-agent
		agent=$build_dir/guest-agent/vigil-agent
	elif [ -z "$agent" ]; then
		for c in ${VIGIL_LIBEXECDIR:+"$VIGIL_LIBEXECDIR/vigil-agent"} \
			"$lib_dir/../../../libexec/vigil/vigil-agent" \
			./build/guest-agent/vigil-agent "$lib_dir/../build/guest-agent/vigil-agent"; do
			if [ -f "$c" ]; then agent=$c; break; fi
		done
		[ -n "$agent" ] || die "no vigil-agent found: pass --agent PATH or --build-dir DIR"
	fi
	[ -f "$agent" ] && [ -x "$agent" ] || die "agent $agent: not an executable file"
	agent=$(cd "$(dirname "$agent")" && pwd)/$(basename "$agent")
	if [[ $(readelf -lW "$agent" 2>/dev/null) == *"Requesting program interpreter"* ]]; then
		die "agent $agent is dynamically linked; images get the static build"
	fi
}

# find_tool BUILD_DIR: sets `tool` to vigil-guestfs: $VIGIL_GUESTFS, BUILD_DIR's
# (built first), the installed one, or ./build's.
find_tool() {
	local build_dir=$1 c
	tool=${VIGIL_GUESTFS:-}
	if [ -z "$tool" ] && [ -n "$build_dir" ]; then
		build_target "$build_dir" images/guestfs/vigil-guestfs
		tool=$build_dir/images/guestfs/vigil-guestfs
	elif [ -z "$tool" ]; then
		for c in ${VIGIL_LIBEXECDIR:+"$VIGIL_LIBEXECDIR/vigil-guestfs"} \
			"$lib_dir/../../../libexec/vigil/vigil-guestfs" \
			${VIGIL_BUILD_ROOT:+"$VIGIL_BUILD_ROOT/images/guestfs/vigil-guestfs"} \
			./build/images/guestfs/vigil-guestfs "$lib_dir/../build/images/guestfs/vigil-guestfs"; do
			if [ -x "$c" ]; then tool=$c; break; fi
		done
	fi
	[ -n "$tool" ] && [ -x "$tool" ] ||
		die "vigil-guestfs not found (build vigil with libguestfs-dev installed, or pass --build-dir DIR)"
}

# stripped_agent PATH: sets `agent` to a copy without symbols, debug info or
# build id (removed on exit by the caller's tmp_files): smaller in the image,
# and the same bytes from any build dir of the same sources, so the image
# cache survives a fresh build dir.
stripped_agent() {
	local tmp
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/vigil-agent.XXXXXX")
	tmp_files+=("$tmp")
	objcopy --strip-all --remove-section=.note.gnu.build-id "$1" "$tmp/vigil-agent" ||
		die "cannot strip $1"
	agent=$tmp/vigil-agent
}

#!/bin/sh
# install-gokernel.sh: install gokernel once for every user of a machine or image, as a hub
# operator does. Run it as root (or the image's build user) from anywhere:
#
#   deploy/install-gokernel.sh --sys-prefix            # into the Python environment Jupyter runs in
#   deploy/install-gokernel.sh --prefix /opt/gokernel  # into DIR/share/jupyter (add it to JUPYTER_PATH)
#
# It builds the gokernel binary from this checkout, writes the kernelspec and prebuilds, read-only
# for every user, the compiled standard library (plain and race-built) and the packages cells use
# (`gokernel install`: each student's first cell then compiles nothing of Go's own), and copies
# the lessons where every user can read them. deploy/Dockerfile runs this script, and so does the
# JupyterHub test (go test ./kernel/clienttest -run Hub), so what the image does is what the
# test checks.
#
# Options (defaults in brackets):
#   --src DIR       the gokernel checkout to build          [the checkout holding this script]
#   --bin DIR       where the gokernel binary goes          [PREFIX/bin; /usr/local/bin with --sys-prefix]
#   --lessons DIR   where the lessons go                    [PREFIX/share/gokernel/lessons;
#                                                             /usr/local/share/gokernel/lessons with --sys-prefix]
#   --prebuilt WHAT what to prebuild: std (the whole standard library, a few minutes), lessons
#                   (what the lessons import, seconds), none  [gokernel install's default: lessons]
#   --lesson-binaries yes|no  with a prebuilt library, run every lesson once now and keep its cells'
#                   binaries for all users (about a minute and 250 MB for the English and Chinese
#                   lessons): a student's first Run All of a lesson then builds nothing   [yes]
# Needs: go (1.26) on PATH. Prints what it did; exits non-zero on the first failure.
set -eu

usage() {
	echo "usage: $0 (--prefix DIR | --sys-prefix) [--src DIR] [--bin DIR] [--lessons DIR] [--prebuilt std|lessons|none] [--lesson-binaries yes|no]" >&2
	exit 2
}

src=$(cd "$(dirname "$0")/.." && pwd)
scope="" prefix="" bin="" lessons="" prebuilt="" lessonbins=yes
while [ $# -gt 0 ]; do
	case $1 in
	--prefix) [ $# -ge 2 ] || usage; scope=--prefix prefix=$2; shift 2 ;;
	--sys-prefix) scope=--sys-prefix; shift ;;
	--src) [ $# -ge 2 ] || usage; src=$2; shift 2 ;;
	--bin) [ $# -ge 2 ] || usage; bin=$2; shift 2 ;;
	--lessons) [ $# -ge 2 ] || usage; lessons=$2; shift 2 ;;
	--prebuilt) [ $# -ge 2 ] || usage; prebuilt=$2; shift 2 ;;
	--lesson-binaries) [ $# -ge 2 ] || usage; lessonbins=$2; shift 2 ;;
	*) usage ;;
	esac
done
[ -n "$scope" ] || usage
if [ "$scope" = --prefix ]; then
	mkdir -p "$prefix"
	prefix=$(cd "$prefix" && pwd)
	: "${bin:=$prefix/bin}" "${lessons:=$prefix/share/gokernel/lessons}"
else
	: "${bin:=/usr/local/bin}" "${lessons:=/usr/local/share/gokernel/lessons}"
fi

# Everything installed is read by every student: readable by all, writable by the installer only.
umask 022

echo "building gokernel from $src into $bin"
mkdir -p "$bin"
(cd "$src" && go build -o "$bin/gokernel" ./cmd/gokernel)

# The kernelspec points at the binary by absolute path and names the prebuilt library in its env.
set -- "$scope"
[ "$scope" = --prefix ] && set -- "$@" "$prefix"
[ -n "$prebuilt" ] && set -- "$@" --prebuilt "$prebuilt"
case $lessonbins in yes | no) ;; *) usage ;; esac

echo "copying the lessons into $lessons"
rm -rf "$lessons"
mkdir -p "$lessons"
cp "$src"/notebooks/0*.ipynb "$lessons/"
if [ -d "$src/notebooks/zh" ]; then
	mkdir -p "$lessons/zh"
	cp "$src"/notebooks/zh/*.ipynb "$lessons/zh/"
fi
chmod -R a+rX "$lessons"

# The lessons' cells are run once here, so their binaries are built once for the whole class.
if [ "$lessonbins" = yes ] && [ "$prebuilt" != none ]; then
	set -- "$@" --notebooks "$lessons"
fi
"$bin/gokernel" install "$@"
echo "gokernel installed: binary $bin/gokernel, lessons in $lessons"

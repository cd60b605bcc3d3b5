#!/bin/bash
# Build Bochs (pinned snapshot 783b58fd of the shared third-party sources)
# with the configure line of their README, under nice, at most -j2.
# usage: build-bochs.sh DIR [extra configure args]   (DIR is an unpacked copy of the bochs/ tree)
set -euo pipefail
dir=$1; shift
cd "$dir"
start=$(date +%s)
nice -n 19 ./configure --enable-x86-64 --enable-smp=no --enable-cpu-level=6 --enable-vmx=2 --enable-svm --enable-avx --enable-evex --enable-amx --enable-cet --enable-pci --enable-all-optimizations --with-nogui --disable-debugger --disable-docbook --without-x11 --enable-plugins=no "$@" > configure.log 2>&1
nice -n 19 make -j"${MAKEJ:-2}" > make.log 2>&1
end=$(date +%s)
echo "build of $dir took $((end-start)) s" | tee build-time.txt

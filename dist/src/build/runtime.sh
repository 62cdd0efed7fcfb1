#!/usr/bin/env bash
# Builds what the server package carries besides the jar: a Java runtime made with jlink from the JDK that builds
# Beacon (Maven's toolchain JDK, given as $1: its java executable or its home), and the gzipped changelog and manual page.
# Usage: runtime.sh JAVA OUTDIR. Reuses OUTDIR/runtime when it was made from the same JDK with the same modules.
set -euo pipefail
java="$1"
out="$2"
home="$java"
[ -x "$home/bin/jlink" ] || home="$(dirname "$(dirname "$(readlink -f "$java")")")"
[ -x "$home/bin/jlink" ] || { echo "runtime.sh: no jlink in the toolchain JDK ($java)" >&2; exit 1; }
version="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")"
[ "${version:-0}" -ge 21 ] || { echo "runtime.sh: the server needs Java 21+, the toolchain JDK is $version ($home)" >&2; exit 1; }

# What target/beacon.jar uses, found with `jdeps --print-module-deps --ignore-missing-deps --multi-release 25` on it,
# plus jdk.zipfs (Javalin serves the dashboard's assets out of the jar through it) and jdk.crypto.ec (TLS with EC
# keys). The package test starts the server on this runtime, so a missing module fails it.
modules=java.base,java.compiler,java.desktop,java.instrument,java.naming,java.net.http,java.rmi,java.security.jgss,java.sql
modules+=,jdk.jfr,jdk.management,jdk.unsupported,jdk.crypto.ec,jdk.zipfs
# java.desktop is there for java.beans (jdbi and Jackson use it); a headless server never loads its image, font, sound
# and X11 libraries, so they stay out (they would also be private copies of freetype, lcms2 and libjpeg).
gui_libs=libawt.so,libawt_headless.so,libawt_xawt.so,libfontmanager.so,libfreetype.so,libjavajpeg.so,libjawt.so
gui_libs+=,libjsound.so,liblcms.so,libmlib_image.so,libsplashscreen.so
exclude=""
for lib in ${gui_libs//,/ }; do exclude+="${exclude:+,}**/$lib"; done
options=(--add-modules "$modules" --exclude-files "$exclude" --strip-debug --no-header-files --no-man-pages --compress=zip-6)

stamp="$home $(sed -n 's/^IMPLEMENTOR_VERSION=//p; s/^JAVA_RUNTIME_VERSION=//p' "$home/release" | tr '\n' ' ') ${options[*]}"
mkdir -p "$out"
if [ -f "$out/runtime.stamp" ] && [ "$(cat "$out/runtime.stamp")" = "$stamp" ] && [ -x "$out/runtime/bin/java" ]; then
    echo "runtime.sh: $out/runtime is up to date (Java $version)"
else
    rm -rf "$out/runtime" "$out/runtime.stamp"
    echo "runtime.sh: jlink from $home (Java $version): $modules"
    "$home/bin/jlink" "${options[@]}" --output "$out/runtime"
    # As Debian strips its own JDK's binaries: symbols that only a debugger reads (the dynamic ones stay).
    find "$out/runtime" -type f \( -name '*.so' -o -perm -u+x \) -exec sh -c \
        'for f; do head -c 4 "$f" | grep -q ELF && strip --strip-unneeded --remove-section=.comment --remove-section=.note "$f"; done' sh {} +
    # jlink makes the license files read-only (0444); packages ship 0644.
    chmod -R u+w "$out/runtime"
    echo "$stamp" > "$out/runtime.stamp"
fi
# A tar keeps the executable bits that jdeb's directory copy would lose.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='2026-01-01 00:00:00Z' -C "$out" -cf "$out/runtime.tar" runtime
mkdir -p "$out/doc"
gzip -9nc "$(dirname "$0")/../deb/doc/changelog" > "$out/doc/changelog.gz"
gzip -9nc "$(dirname "$0")/../deb/doc/beacon.1" > "$out/doc/beacon.1.gz"
